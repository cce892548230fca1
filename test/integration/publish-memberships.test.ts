// publishMemberships on dynalite (the real DynamoDB wire protocol): delta writes counted as actual
// BatchWriteItem requests, deletes for customers gone or erased, catalog versions, both access patterns.
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandIns, startStandIns } from '../../infra/local/standins.js';
import { finishMemberships, publishMembershipShard, publishMemberships } from '../../lib/pipeline/publish.js';
import { loadManifest } from '../../lib/publish/membership-state.js';
import { createDocumentClient } from '../../lib/storage/clients.js';
import { decodeColumns, encodeColumns } from '../../lib/storage/columnar.js';
import { keys } from '../../lib/storage/keys.js';
import { DynamoSegmentStore } from '../../lib/storage/segment-store.js';
import { shardOf } from '../../lib/util/hash.js';
import { createMembershipsTable } from '../support/tables.js';
import { makePopulation, newStore, writeRun, writeSuppressions } from '../unit/publish/fixture.js';

let standIns: StandIns;
let segments: DynamoSegmentStore;
let batchWrites = 0;

beforeAll(async () => {
  standIns = await startStandIns();
  standIns.applyEnvironment();
  const ddb = new DynamoDBClient({});
  await createMembershipsTable(ddb, 'pm-memberships');
  await ddb.send(
    new CreateTableCommand({
      TableName: 'pm-catalog',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'dataset', KeyType: 'HASH' },
        { AttributeName: 'segmentId', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'dataset', AttributeType: 'S' },
        { AttributeName: 'segmentId', AttributeType: 'S' },
      ],
    }),
  );
  ddb.destroy();
  const doc = createDocumentClient();
  // Count what actually goes over the wire, not what the stage says it did.
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      if (/BatchWrite/.test(context.commandName ?? '')) batchWrites++;
      return next(args);
    },
    { step: 'initialize', name: 'countBatchWrites' },
  );
  segments = new DynamoSegmentStore(doc, { catalog: 'pm-catalog', memberships: 'pm-memberships', runs: 'x' });
});
afterAll(async () => {
  await standIns?.stop();
});

async function allMembers(segmentId: string): Promise<string[]> {
  const out: string[] = [];
  let page: Record<string, unknown> | undefined;
  do {
    const res = await segments.segmentMembers('shop', segmentId, page);
    out.push(...res.customerIds);
    page = res.next;
  } while (page);
  return out.sort();
}

/** BatchWriteItem requests of ≤ 25 when each shard writes its own customers' changes. */
function requestsPerShard(ids: readonly string[], shards: number): number {
  const counts = new Array<number>(shards).fill(0);
  for (const id of ids) counts[shardOf(id, shards)]++;
  return counts.reduce((n, c) => n + Math.ceil(c / 25), 0);
}

describe('publishMemberships delta on dynalite', () => {
  it('writes everything once, nothing on a re-run, then only what changed', async () => {
    // Prepare
    const store = newStore();
    const people = makePopulation(300, 3);
    const r1 = await writeRun(store, { dataset: 'shop', runId: 'r1' }, people, {});
    // Act: first publication
    batchWrites = 0;
    const first = await publishMemberships(store, segments, r1);
    const firstWrites = batchWrites;
    // Assess: 300 memberships in requests of ≤ 25 per shard (2 shards), plus one catalog request
    expect(first).toMatchObject({ memberships: 300, written: 300, deleted: 0, catalogWritten: 3 });
    expect(firstWrites).toBe(
      requestsPerShard(
        people.map((p) => p.id),
        2,
      ) + 1,
    );
    expect(firstWrites).toBeLessThanOrEqual(12 + 2 + 1);
    expect((await allMembers('seg-1')).length).toBe(100);
    const one = await segments.customerSegments('shop', 'C00004');
    expect(one).toEqual([
      expect.objectContaining({
        segmentId: 'seg-1',
        runId: 'r1',
        sk: 'clusters',
        holdout: expect.any(Boolean),
      }),
    ]);

    // Act: the same step again (a Step Functions retry), and a later run on the same data
    batchWrites = 0;
    const again = await publishMemberships(store, segments, r1);
    const r2 = await writeRun(store, { dataset: 'shop', runId: 'r2' }, people, {});
    const later = await publishMemberships(store, segments, r2);
    // Assess: not one BatchWriteItem request
    expect(batchWrites).toBe(0);
    expect(again).toMatchObject({ written: 0, deleted: 0, unchanged: 300, catalogWritten: 0 });
    expect(later).toMatchObject({ written: 0, deleted: 0, unchanged: 300 });
    expect((await segments.customerSegments('shop', 'C00004'))[0].runId).toBe('r1');

    // Prepare: 3 customers move segment, 2 leave the data, 1 is erased by email hash
    const moved = people.map((p, i) => (i < 3 ? { ...p, segment: (p.segment + 1) % 3 } : p));
    const r3people = moved.filter((_, i) => i !== 10 && i !== 11);
    const r3 = await writeRun(store, { dataset: 'shop', runId: 'r3' }, r3people, {});
    await writeSuppressions(store, r3, [{ email: people[20].email, type: 'erase' }]);
    batchWrites = 0;
    // Act
    const third = await publishMemberships(store, segments, r3);
    // Assess: 3 puts + 3 deletes in one request per shard; the catalog cards whose size changed get version 2
    expect(third).toMatchObject({ written: 3, deleted: 3, erased: { deleted: 1, keptOut: 0 } });
    const changed = ['C00000', 'C00001', 'C00002', 'C00010', 'C00011', 'C00020'];
    expect(batchWrites).toBe(requestsPerShard(changed, 2) + 1);
    expect((await segments.customerSegments('shop', 'C00000'))[0]).toMatchObject({
      segmentId: 'seg-1',
      runId: 'r3',
    });
    for (const gone of ['C00010', 'C00011', 'C00020'])
      expect(await segments.customerSegments('shop', gone)).toEqual([]);
    const total =
      (await allMembers('seg-0')).length +
      (await allMembers('seg-1')).length +
      (await allMembers('seg-2')).length;
    expect(total).toBe(297);

    // Act: a later run without the request file still keeps the erased customer out
    const r4 = await writeRun(store, { dataset: 'shop', runId: 'r4' }, r3people, {});
    batchWrites = 0;
    const fourth = await publishMemberships(store, segments, r4);
    expect(fourth).toMatchObject({ written: 0, deleted: 0, erased: { deleted: 0, keptOut: 1 } });
    expect(batchWrites).toBe(0);
  });

  it('writes a large population in whole requests as it goes, in as few requests as one write', async () => {
    // Prepare: more changed memberships than one flush (5,000), over two shards
    const store = newStore();
    const people = makePopulation(5_030, 3);
    const run = await writeRun(store, { dataset: 'big', runId: 'r1' }, people, {}, { shards: 2 });
    batchWrites = 0;
    // Act
    const result = await publishMemberships(store, segments, run);
    // Assess: ⌈n / 25⌉ membership requests per shard plus one catalog request; every item readable
    expect(result).toMatchObject({ memberships: 5_030, written: 5_030, deleted: 0 });
    expect(batchWrites).toBe(
      requestsPerShard(
        people.map((p) => p.id),
        2,
      ) + 1,
    );
    expect(batchWrites).toBeLessThanOrEqual(202 + 1 + 1);
    const sample = await segments.customerSegments('big', people[5_029].id);
    expect(sample).toHaveLength(1);
  });
});

/** Every membership item of a dataset, by customer: two items for one customer would show as a count of 2. */
async function itemsByCustomer(dataset: string, ids: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const id of ids) {
    const items = await segments.customerSegments(dataset, id);
    if (items.length) out.set(id, items.length);
  }
  return out;
}

describe('memberships state split by hash range', () => {
  it('a 3-shard run then a 5-shard run of the same customers writes nothing; then deletes exactly those removed', async () => {
    // Prepare
    const store = newStore();
    const people = makePopulation(240, 3, { prefix: 'R' });
    const r1 = await writeRun(store, { dataset: 'reshard', runId: 'r1' }, people, {}, { shards: 3 });
    await publishMemberships(store, segments, r1);
    const r2 = await writeRun(store, { dataset: 'reshard', runId: 'r2' }, people, {}, { shards: 5 });
    // customers whose shard number changes between 3 and 5 shards (they move between workers)
    const movers = people.filter((p) => shardOf(p.id, 3) !== shardOf(p.id, 5));
    batchWrites = 0;
    // Act
    const second = await publishMemberships(store, segments, r2);
    // Assess: not one request; every customer, movers included, has exactly one item
    expect(movers.length).toBeGreaterThan(60);
    expect(batchWrites).toBe(0);
    expect(second).toMatchObject({ memberships: 240, written: 0, deleted: 0, unchanged: 240 });
    const held = await itemsByCustomer(
      'reshard',
      people.map((p) => p.id),
    );
    expect(held.size).toBe(240);
    expect([...held.values()].every((n) => n === 1)).toBe(true);
    // the state is the 5-shard run's, the 3-shard files are gone
    expect(await loadManifest(store, 'reshard', 'clusters')).toMatchObject({ runId: 'r2', shardCount: 5 });
    const files = (await store.list(keys.memberships.folder('reshard', 'clusters'))).map((o) => o.key);
    expect(files.filter((k) => k.includes('/r1/'))).toEqual([]);
    expect(files.filter((k) => k.includes('/r2/'))).toHaveLength(5);

    // Prepare: 4 customers leave the data and the run goes back to 2 shards
    const farMovers = movers.filter((p) => p.id !== people[0].id && p.id !== people[1].id);
    const removed = [people[0].id, people[1].id, farMovers[0].id, farMovers[1].id];
    const kept = people.filter((p) => !removed.includes(p.id));
    const r3 = await writeRun(store, { dataset: 'reshard', runId: 'r3' }, kept, {}, { shards: 2 });
    // Act
    const third = await publishMemberships(store, segments, r3);
    // Assess: exactly the removed customers deleted, nobody written
    expect(third).toMatchObject({ memberships: 236, written: 0, deleted: 4 });
    const after = await itemsByCustomer(
      'reshard',
      people.map((p) => p.id),
    );
    expect([...after.keys()].sort()).toEqual(kept.map((p) => p.id).sort());
  });

  it('migrates the single-object state of earlier versions without rewriting anything', async () => {
    // Prepare: a dataset published once, its state turned back into the old single object
    const store = newStore();
    const people = makePopulation(200, 3, { prefix: 'M' });
    const r1 = await writeRun(store, { dataset: 'migrate', runId: 'r1' }, people, {}, { shards: 2 });
    await publishMemberships(store, segments, r1);
    const manifest = (await loadManifest(store, 'migrate', 'clusters'))!;
    const ids: string[] = [];
    const digests: string[] = [];
    for (let i = 0; i < manifest.shardCount; i++) {
      const { columns } = decodeColumns(
        await store.get(keys.memberships.range('migrate', 'clusters', 'r1', i, manifest.shardCount)),
      );
      ids.push(...(columns.customerId as string[]));
      digests.push(...(columns.digest as string[]));
    }
    const folder = await store.list(keys.memberships.folder('migrate', 'clusters'));
    await store.delete(folder.map((o) => o.key));
    const legacyKey = keys.memberships.legacy('migrate', 'clusters');
    await store.put(
      legacyKey,
      encodeColumns({ customerId: ids, digest: digests }, { catalog: manifest.catalog, runId: 'r1' }),
    );
    const r2 = await writeRun(
      store,
      { dataset: 'migrate', runId: 'r2' },
      people.filter((p) => p.id !== 'M00007'),
      {},
      { shards: 3 },
    );
    batchWrites = 0;
    // Act
    const second = await publishMemberships(store, segments, r2);
    // Assess: one delete in one request, no put, no catalog card rewritten except the changed sizes
    expect(second).toMatchObject({ memberships: 199, written: 0, deleted: 1 });
    expect(batchWrites).toBe(1 + (second.catalogWritten ? 1 : 0));
    expect(await segments.customerSegments('migrate', 'M00007')).toEqual([]);
    expect(await store.getIfExists(legacyKey)).toBeUndefined();
    expect(await loadManifest(store, 'migrate', 'clusters')).toMatchObject({ runId: 'r2', shardCount: 3 });
  });

  it('a run that failed after some shards leaves the old state current: the next run repeats its deltas', async () => {
    // Prepare: r1 published; r2 removes 6 customers and moves 6, but only its shard 0 ran
    const store = newStore();
    const people = makePopulation(300, 3, { prefix: 'F' });
    const r1 = await writeRun(store, { dataset: 'partial', runId: 'r1' }, people, {}, { shards: 2 });
    await publishMemberships(store, segments, r1);
    const changed = people
      .filter((_, i) => i >= 12)
      .map((p, i) => (i < 6 ? { ...p, segment: (p.segment + 1) % 3 } : p));
    const r2 = await writeRun(store, { dataset: 'partial', runId: 'r2' }, changed, {}, { shards: 2 });
    const partial = await publishMembershipShard(store, segments, { ...r2, shard: { index: 0 } });
    expect(partial.written + partial.deleted).toBeGreaterThan(0);
    // Act: r2's finish must refuse; a new run of the same data recomputes every delta
    await expect(finishMemberships(store, segments, r2)).rejects.toThrow(
      /shard 1 of 2 has no membership result/,
    );
    expect(await loadManifest(store, 'partial', 'clusters')).toMatchObject({ runId: 'r1' });
    const r3 = await writeRun(store, { dataset: 'partial', runId: 'r3' }, changed, {}, { shards: 3 });
    const third = await publishMemberships(store, segments, r3);
    // Assess: counted against r1 (all 6 moves and 12 deletes), the table exactly right
    expect(third).toMatchObject({ memberships: 288, written: 6, deleted: 12 });
    const held = await itemsByCustomer(
      'partial',
      people.map((p) => p.id),
    );
    expect([...held.keys()].sort()).toEqual(changed.map((p) => p.id).sort());
    for (const p of changed.slice(0, 6))
      expect((await segments.customerSegments('partial', p.id))[0].segmentId).toBe(`seg-${p.segment}`);
  });

  it('a shard worker run twice (a retry after a timeout) writes the same items and counts the same', async () => {
    // Prepare
    const store = newStore();
    const people = makePopulation(120, 3, { prefix: 'T' });
    const r1 = await writeRun(store, { dataset: 'retry', runId: 'r1' }, people, {}, { shards: 2 });
    // Act
    const first = await publishMembershipShard(store, segments, { ...r1, shard: { index: 1 } });
    const again = await publishMembershipShard(store, segments, { ...r1, shard: { index: 1 } });
    const done = await publishMemberships(store, segments, r1);
    // Assess
    expect(again).toEqual(first);
    expect(done).toMatchObject({ memberships: 120, written: 120, deleted: 0 });
    const held = await itemsByCustomer(
      'retry',
      people.map((p) => p.id),
    );
    expect(held.size).toBe(120);
    expect([...held.values()].every((n) => n === 1)).toBe(true);
  });
});
