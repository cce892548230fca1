// The starter's decisions: which snapshot a drop or a tick runs, when the settle window lets it
// start, and that duplicates, bursts and repeated ticks come to one execution each; and on the
// s3rver stand-in (the real wire protocol, no versions), files dropped together settle into one run.
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandIns, startStandIns } from '../../../infra/local/standins.js';
import { inlineObjects } from '../../../lib/pipeline/snapshot.js';
import {
  executionName,
  mergeSettleRequests,
  type SettleMessage,
  type StartExecution,
  settleAndStart,
  settleBatch,
  settleRequestOfDrop,
  snapshotRunId,
  startRunForObject,
  UnusableKeyError,
  UnusableTriggerError,
} from '../../../lib/pipeline/starter.js';
import type { IncomingObject, RunInput, SettleRequest } from '../../../lib/pipeline/types.js';
import { MemoryBlobStore } from '../../../lib/storage/blob.js';
import { createS3Client } from '../../../lib/storage/clients.js';
import { S3BlobStore } from '../../../lib/storage/s3.js';

const T0 = Date.parse('2026-11-23T06:00:00Z');

async function storeWith(files: Record<string, string>, atMs = T0): Promise<MemoryBlobStore> {
  const store = new MemoryBlobStore();
  store.now = () => atMs;
  for (const [k, v] of Object.entries(files)) await store.put(k, v);
  return store;
}

/** Step Functions as far as names go: a name starts one execution, ever. */
function fakeStepFunctions() {
  const executions = new Map<string, RunInput>();
  const calls: string[] = [];
  const start: StartExecution = async (name, input) => {
    calls.push(name);
    if (executions.has(name)) return 'already-exists';
    executions.set(name, input);
    return 'started';
  };
  return { executions, calls, start };
}

/**
 * The settle queue with its delivery delay, one message per receive (the worst case for
 * duplicates: no two messages ever share a batch), driven by a virtual clock.
 */
async function drainQueue(
  store: MemoryBlobStore,
  messages: { request: SettleRequest; sentMs: number }[],
  settleSeconds: number,
  start: StartExecution,
): Promise<{ requeued: number[]; endMs: number }> {
  const queue = messages.map((m) => ({ request: m.request, dueMs: m.sentMs + settleSeconds * 1000 }));
  const requeued: number[] = [];
  let nowMs = 0;
  while (queue.length > 0) {
    queue.sort((a, b) => a.dueMs - b.dueMs);
    const next = queue.shift();
    if (!next) break;
    nowMs = next.dueMs;
    await settleAndStart(store, next.request, {
      settleSeconds,
      nowMs,
      start,
      requeue: async (request, delaySeconds) => {
        requeued.push(delaySeconds);
        queue.push({ request, dueMs: nowMs + delaySeconds * 1000 });
      },
    });
  }
  return { requeued, endMs: nowMs };
}

const drop = (key: string, atMs: number) =>
  settleRequestOfDrop({
    'detail-type': 'Object Created',
    time: new Date(atMs).toISOString(),
    detail: { object: { key } },
  });

describe('settle window', () => {
  it('starts one execution for 20 files dropped over 19 seconds, over all 20', async () => {
    // Prepare: one file a second; each upload is an S3 event, queued with the settle delay
    const store = new MemoryBlobStore();
    const messages: { request: SettleRequest; sentMs: number }[] = [];
    for (let i = 0; i < 20; i++) {
      const at = T0 + i * 1000;
      store.now = () => at;
      await store.put(`incoming/shop/part-${String(i).padStart(2, '0')}.csv`, `rows ${i}`);
      messages.push({
        request: drop(`incoming/shop/part-${String(i).padStart(2, '0')}.csv`, at),
        sentMs: at,
      });
    }
    const sfn = fakeStepFunctions();
    // Act
    const { endMs } = await drainQueue(store, messages, 60, sfn.start);
    // Assess: one execution over the whole drop, started 60 s after the last file, not before
    expect(sfn.executions.size).toBe(1);
    const [input] = [...sfn.executions.values()];
    expect(inlineObjects(input)).toHaveLength(20);
    expect(inlineObjects(input).every((o) => o.versionId?.startsWith('v'))).toBe(true);
    expect(sfn.calls.length).toBeGreaterThanOrEqual(1);
    expect(endMs).toBeGreaterThanOrEqual(T0 + 19_000 + 60_000);
  });

  it('re-queues a snapshot still arriving for exactly the rest of the window', async () => {
    // Prepare: the newest object landed 20 s ago; settle window 60 s
    const store = await storeWith({ 'incoming/shop/a.csv': 'x' }, T0 - 20_000);
    const sfn = fakeStepFunctions();
    const requeued: { request: SettleRequest; delaySeconds: number }[] = [];
    // Act
    const outcome = await settleAndStart(
      store,
      { dataset: 'shop' },
      {
        settleSeconds: 60,
        nowMs: T0,
        start: sfn.start,
        requeue: async (request, delaySeconds) => {
          requeued.push({ request, delaySeconds });
        },
      },
    );
    // Assess
    expect(outcome).toEqual({ status: 'waiting', dataset: 'shop', delaySeconds: 40 });
    expect(requeued).toEqual([
      { request: { dataset: 'shop', lastActivityMs: T0 - 20_000 }, delaySeconds: 40 },
    ]);
    expect(sfn.calls).toEqual([]);
  });

  it('counts the window from the event when it is newer than the object (a long multipart upload)', async () => {
    // Prepare: S3 dates a multipart object at the upload's start, 10 minutes before its event
    const store = await storeWith({ 'incoming/shop/big.csv': 'x' }, T0 - 600_000);
    const delays: number[] = [];
    // Act
    await settleAndStart(
      store,
      { dataset: 'shop', lastActivityMs: T0 - 5_000 },
      {
        settleSeconds: 60,
        nowMs: T0,
        start: fakeStepFunctions().start,
        requeue: async (_r, d) => {
          delays.push(d);
        },
      },
    );
    // Assess
    expect(delays).toEqual([55]);
  });

  it('lists a dataset once and starts one run for a batch of 200 events of one drop', async () => {
    // Prepare: 200 files, settled; the batch also holds a tick, a junk body and a bad dataset
    const store = new MemoryBlobStore();
    store.now = () => T0;
    const messages: SettleMessage[] = [];
    for (let i = 0; i < 200; i++) {
      await store.put(`incoming/shop/f${i}.csv`, 'x');
      messages.push({ messageId: `m${i}`, request: drop(`incoming/shop/f${i}.csv`, T0) });
    }
    messages.push(
      { messageId: 'tick', request: { dataset: 'shop', scheduledTime: '2026-11-23T06:00:00Z' } },
      { messageId: 'junk', request: new UnusableTriggerError('the message body is not JSON') },
      { messageId: 'bad', request: { dataset: '../etc' } },
    );
    let listings = 0;
    const list = store.listLatestVersions.bind(store);
    store.listLatestVersions = async (prefix) => {
      listings += 1;
      return list(prefix);
    };
    const sfn = fakeStepFunctions();
    const outcomes: { status: string; messages: number }[] = [];
    // Act
    const { failedMessageIds } = await settleBatch(store, messages, {
      settleSeconds: 60,
      nowMs: T0 + 61_000,
      start: sfn.start,
      requeue: async () => {},
      onOutcome: (o, n) => outcomes.push({ status: o.status, messages: n }),
    });
    // Assess: the drop's run and the tick's run, each listed once; only the unusable two retried
    expect(failedMessageIds).toEqual(['junk', 'bad']);
    expect(listings).toBe(2);
    expect(sfn.calls).toHaveLength(2);
    expect(outcomes).toEqual([
      { status: 'started', messages: 200 },
      { status: 'started', messages: 1 },
    ]);
  });

  it('merges requests per dataset and tick, keeping the latest activity', () => {
    // Prepare
    const requests = Array.from({ length: 200 }, (_, i) => drop(`incoming/shop/f${i}.csv`, T0 + i));
    // Act
    const merged = mergeSettleRequests([...requests, { dataset: 'crm' }]);
    // Assess
    expect(merged).toEqual([{ dataset: 'shop', lastActivityMs: T0 + 199 }, { dataset: 'crm' }]);
  });
});

describe('duplicates and versions', () => {
  it('starts one execution when the same object is delivered twice', async () => {
    // Prepare
    const store = await storeWith({ 'incoming/shop/orders.csv': 'x' }, T0);
    const sfn = fakeStepFunctions();
    const event = drop('incoming/shop/orders.csv', T0);
    // Act: the same event twice, the second long after the first run started
    const { requeued } = await drainQueue(
      store,
      [
        { request: event, sentMs: T0 },
        { request: event, sentMs: T0 + 3_600_000 },
      ],
      60,
      sfn.start,
    );
    // Assess
    expect(requeued).toEqual([]);
    expect(sfn.calls).toHaveLength(2);
    expect(sfn.executions.size).toBe(1);
  });

  it('starts a new run for a new version of an object, reading exactly that version', async () => {
    // Prepare: a first run over v1
    const store = await storeWith({ 'incoming/shop/orders.csv': 'old rows' }, T0);
    const sfn = fakeStepFunctions();
    await drainQueue(store, [{ request: drop('incoming/shop/orders.csv', T0), sentMs: T0 }], 60, sfn.start);
    // Act: the marketer overwrites the file an hour later (same key, new version)
    const later = T0 + 3_600_000;
    store.now = () => later;
    await store.put('incoming/shop/orders.csv', 'new rows!');
    await drainQueue(
      store,
      [{ request: drop('incoming/shop/orders.csv', later), sentMs: later }],
      60,
      sfn.start,
    );
    // Assess: two runs, each pinned to its version; both versions stay readable as they were
    const [first, second] = [...sfn.executions.values()];
    expect(sfn.executions.size).toBe(2);
    expect(first.runId).not.toBe(second.runId);
    const current = store.versions.get('incoming/shop/orders.csv')?.versionId;
    expect(inlineObjects(second)).toEqual([
      { key: 'incoming/shop/orders.csv', versionId: current, size: 9, etag: '' },
    ]);
    expect(inlineObjects(first)[0].versionId).not.toBe(current);
    const read = async (o: IncomingObject) => new TextDecoder().decode(await store.get(o.key, o.versionId));
    expect(await read(inlineObjects(first)[0])).toBe('old rows');
    expect(await read(inlineObjects(second)[0])).toBe('new rows!');
  });

  it('gives the same snapshot the same run id, and any changed object, version or tick a new one', () => {
    const a = snapshotRunId([{ key: 'incoming/s/a.csv', size: 1, etag: 'e1', versionId: 'v1' }]);
    expect(snapshotRunId([{ key: 'incoming/s/a.csv', size: 1, etag: 'e1', versionId: 'v1' }])).toBe(a);
    expect(snapshotRunId([{ key: 'incoming/s/a.csv', size: 1, etag: 'e2', versionId: 'v1' }])).not.toBe(a);
    expect(snapshotRunId([{ key: 'incoming/s/a.csv', size: 1, etag: 'e1', versionId: 'v2' }])).not.toBe(a);
    expect(
      snapshotRunId(
        [{ key: 'incoming/s/a.csv', size: 1, etag: 'e1', versionId: 'v1' }],
        '2026-11-23T06:00:00Z',
      ),
    ).toMatch(/^r[0-9a-f]{16}-20261123T0600Z$/);
  });
});

describe('scheduled refresh', () => {
  it('runs the unchanged snapshot on a tick, once per tick however often it is delivered', async () => {
    // Prepare: the drop already ran
    const store = await storeWith({ 'incoming/shop/orders.csv': 'x' }, T0 - 86_400_000);
    const sfn = fakeStepFunctions();
    await drainQueue(
      store,
      [{ request: drop('incoming/shop/orders.csv', T0 - 86_400_000), sentMs: T0 - 86_400_000 }],
      60,
      sfn.start,
    );
    const tick = { dataset: 'shop', scheduledTime: '2026-11-23T06:00:00Z' };
    // Act: the tick delivered twice (a scheduler retry), then the next day's tick
    await drainQueue(
      store,
      [
        { request: tick, sentMs: T0 },
        { request: tick, sentMs: T0 + 30_000 },
        { request: { dataset: 'shop', scheduledTime: '2026-11-24T06:00:00Z' }, sentMs: T0 + 86_400_000 },
      ],
      60,
      sfn.start,
    );
    // Assess: the drop's run and one run per tick, named after the tick, over the same objects
    const names = [...sfn.executions.keys()];
    expect(names).toHaveLength(3);
    expect(names[1]).toMatch(/^shop-r[0-9a-f]{16}-20261123T0600Z$/);
    expect(names[2]).toMatch(/^shop-r[0-9a-f]{16}-20261124T0600Z$/);
    const inputs = [...sfn.executions.values()];
    expect(inputs[1].objects).toEqual(inputs[0].objects);
    expect(inputs[1].runId).toBe(names[1].slice('shop-'.length));
  });

  it('starts nothing for a tick on a dataset with no drops', async () => {
    const sfn = fakeStepFunctions();
    const outcome = await settleAndStart(
      new MemoryBlobStore(),
      { dataset: 'shop', scheduledTime: '2026-11-23T06:00:00Z' },
      { settleSeconds: 60, nowMs: T0, start: sfn.start, requeue: async () => {} },
    );
    expect(outcome).toEqual({ status: 'empty', dataset: 'shop', scheduledTime: '2026-11-23T06:00:00Z' });
    expect(sfn.calls).toEqual([]);
  });

  it('refuses a tick without a usable time or dataset, naming what is wrong', async () => {
    const options = {
      settleSeconds: 60,
      nowMs: T0,
      start: fakeStepFunctions().start,
      requeue: async () => {},
    };
    await expect(
      settleAndStart(new MemoryBlobStore(), { dataset: 'shop', scheduledTime: 'tomorrow' }, options),
    ).rejects.toThrow(/scheduledTime "tomorrow" is not an ISO 8601 time/);
    expect(() => mergeSettleRequests([{ dataset: '../etc' }])).toThrow(UnusableTriggerError);
  });
});

describe('immediate start (local runner and watch mode)', () => {
  it('starts one run over the whole dataset snapshot, named from its objects', async () => {
    // Prepare
    const store = await storeWith({
      'incoming/shop/a.csv': 'x',
      'incoming/shop/b.csv': 'yy',
      'incoming/other/c.csv': 'z',
    });
    const started: { name: string; input: RunInput }[] = [];
    // Act
    const result = await startRunForObject(
      store,
      { detail: { object: { key: 'incoming/shop/b.csv' } } },
      async (name, input) => {
        started.push({ name, input });
        return 'started';
      },
    );
    // Assess
    expect(started).toHaveLength(1);
    expect(inlineObjects(started[0].input).map((o) => o.key)).toEqual([
      'incoming/shop/a.csv',
      'incoming/shop/b.csv',
    ]);
    expect(result.executionName).toBe(executionName('shop', result.runId));
    expect(result.runId).toMatch(/^r[0-9a-f]{16}$/);
  });

  it('treats ExecutionAlreadyExists (a duplicate delivery) as success', async () => {
    const store = await storeWith({ 'incoming/shop/a.csv': 'x' });
    const result = await startRunForObject(
      store,
      { detail: { object: { key: 'incoming/shop/a.csv' } } },
      async () => 'already-exists',
    );
    expect(result.status).toBe('already-exists');
  });

  it('refuses keys outside incoming/<dataset>/ with an actionable message', async () => {
    const store = new MemoryBlobStore();
    await expect(
      startRunForObject(store, { detail: { object: { key: 'incoming/a.csv' } } }, async () => 'started'),
    ).rejects.toThrow(UnusableKeyError);
    await expect(
      startRunForObject(
        store,
        { detail: { object: { key: 'incoming/bad%20name!/a.csv' } } },
        async () => 'started',
      ),
    ).rejects.toThrow(/dataset name/);
  });

  it('keeps the whole run id in the execution name when the dataset name is long', () => {
    const runId = 'r0123456789abcdef-20261123T0600Z';
    const name = executionName('d'.repeat(64), runId);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name.endsWith(`-${runId}`)).toBe(true);
  });
});

describe('the starter on the s3rver stand-in', () => {
  let standIns: StandIns;
  let store: S3BlobStore;
  beforeAll(async () => {
    standIns = await startStandIns();
    standIns.applyEnvironment();
    const s3 = createS3Client();
    await s3.send(new CreateBucketCommand({ Bucket: 'starter-test' }));
    store = new S3BlobStore(s3, 'starter-test');
  });
  afterAll(async () => {
    await standIns?.stop();
  });

  it('starts one run over three files dropped together, after the window, from S3 dates', async () => {
    // Prepare: three uploads, each an event queued for the settle window
    const requests: SettleRequest[] = [];
    for (const name of ['orders-1.csv', 'orders-2.csv', 'customers.csv']) {
      await store.put(`incoming/shop/${name}`, `id\n${name}\n`);
      requests.push(
        settleRequestOfDrop({
          'detail-type': 'Object Created',
          time: new Date().toISOString(),
          detail: { object: { key: `incoming/shop/${name}` } },
        }),
      );
    }
    const started = new Map<string, RunInput>();
    const delays: number[] = [];
    const options = (nowMs: number) => ({
      settleSeconds: 60,
      nowMs,
      start: async (name: string, input: RunInput) => {
        if (started.has(name)) return 'already-exists' as const;
        started.set(name, input);
        return 'started' as const;
      },
      requeue: async (_r: SettleRequest, d: number) => {
        delays.push(d);
      },
    });
    // Act: each message arrives once within the window, then again (re-queued) after it
    for (const r of requests) await settleAndStart(store, r, options(Date.now()));
    const outcomes = [];
    for (const r of requests) outcomes.push(await settleAndStart(store, r, options(Date.now() + 62_000)));
    // Assess: re-queued for the rest of the window first (S3 dates have whole seconds), then one run
    expect(delays).toHaveLength(3);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(58);
    expect(outcomes.map((o) => o.status)).toEqual(['started', 'already-exists', 'already-exists']);
    const [input] = [...started.values()];
    expect(inlineObjects(input).map((o) => o.key)).toEqual([
      'incoming/shop/customers.csv',
      'incoming/shop/orders-1.csv',
      'incoming/shop/orders-2.csv',
    ]);
    // s3rver keeps no versions: the snapshot falls back to ListObjectsV2 and carries none
    expect(inlineObjects(input).every((o) => o.versionId === undefined && o.size > 0 && o.etag)).toBe(true);
  });
});
