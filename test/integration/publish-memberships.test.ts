// publishMemberships on dynalite (the real DynamoDB wire protocol): delta writes counted as actual
// BatchWriteItem requests, deletes for customers gone or erased, catalog versions, both access patterns.
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandIns, startStandIns } from '../../infra/local/standins.js';
import { publishMemberships } from '../../lib/pipeline/publish.js';
import { createDocumentClient } from '../../lib/storage/clients.js';
import { DynamoSegmentStore } from '../../lib/storage/segment-store.js';
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
    // Assess: 300 memberships in 12 requests of ≤ 25, plus one catalog request
    expect(first).toMatchObject({ memberships: 300, written: 300, deleted: 0, catalogWritten: 3 });
    expect(firstWrites).toBe(13);
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
    // Assess: 3 puts + 3 deletes in one request; the catalog cards whose size changed get version 2
    expect(third).toMatchObject({ written: 3, deleted: 3, erased: { deleted: 1, keptOut: 0 } });
    expect(batchWrites).toBe(2);
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
    // Assess: ⌈5,030 / 25⌉ = 202 membership requests plus one catalog request; every item readable
    expect(result).toMatchObject({ memberships: 5_030, written: 5_030, deleted: 0 });
    expect(batchWrites).toBe(203);
    const sample = await segments.customerSegments('big', people[5_029].id);
    expect(sample).toHaveLength(1);
  });
});
