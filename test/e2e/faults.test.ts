// Faults injected into the handlers' invocations on the local runner (infra/local/sandbox.ts), run by
// the synthesized state machine: a transient failure of any step is retried and the run ends as a
// clean one does; an input error is quarantined at once, unretried; a shard that keeps failing fails
// the run and is named; a Lambda timeout after partial writes is retried without duplicating anything.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeSample } from '../../events/data/generate.js';
import type { LocalEnvironment } from '../../infra/local/environment.js';
import { collectInputs } from '../../infra/local/inputs.js';
import { type LocalRunOptions, type LocalRunResult, runLocal } from '../../infra/local/runner.js';
import type { Fault } from '../../infra/local/sandbox.js';
import { setAudienceDeps } from '../../lib/pipeline/publish.js';
import { createDocumentClient } from '../../lib/storage/clients.js';
import { localEnvironment, readText } from '../support/local.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/receivers/index.js';
import { audiencesFrom, webhookArrivals } from '../unit/publish/arrivals.js';

const SECRET = 'hook-secret';
let env: LocalEnvironment;
let hook: WebhookReceiver;
let dataDir: string;
let clean: LocalRunResult;

const config = (dataset: string) => ({
  shards: 2,
  destinations: {
    hook: {
      type: 'webhook',
      url: `${hook.url}/audiences`,
      signingSecretArn: 'local:hook',
      batchSize: 40,
      // one receiver for every run: each dataset's audiences by their own names
      audienceNamePrefix: `${dataset} · `,
    },
  },
});

function run(
  dataset: string,
  options: Omit<LocalRunOptions, 'dataset'> = {},
  inputs = collectInputs([dataDir]),
) {
  return runLocal(env, inputs, { dataset, config: config(dataset), ...options });
}

/** What a run decided, without the run-specific parts: comparable between runs of the same data. */
const segmentsOf = (r: LocalRunResult) =>
  r.summary?.segments.map((s) => ({ id: s.id, name: s.name, size: s.size, status: s.status }));

/** The PublishMemberships branch's counts, without the run's names. */
function membershipCounts(r: LocalRunResult): Record<string, unknown> {
  const [memberships] = (r.output as { publish: Record<string, unknown>[] }).publish;
  const { dataset: _d, runId: _r, ...counts } = memberships;
  return counts;
}

/** The webhook audiences a dataset received, keyed without the dataset prefix. */
function audiencesOf(dataset: string): Map<string, Set<string>> {
  const mine = webhookArrivals(hook).filter((a) => a.audience.startsWith(`${dataset} · `));
  return new Map(
    [...audiencesFrom(mine)].map(([name, members]) => [name.slice(dataset.length + 3), members]),
  );
}

async function membershipItems(dataset: string): Promise<string[]> {
  const ddb = createDocumentClient();
  const keys: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({
        TableName: process.env.MEMBERSHIPS_TABLE!,
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': `${dataset}#` },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) keys.push(`${item.pk}|${item.sk}`);
    start = page.LastEvaluatedKey;
  } while (start);
  ddb.destroy();
  return keys;
}

beforeAll(async () => {
  // handler logs (Powertools writes to stdout) would bury the test output
  vi.spyOn(process.stdout, 'write').mockImplementation((() => true) as typeof process.stdout.write);
  hook = await startWebhookReceiver({ secret: SECRET });
  const dir = mkdtempSync(join(tmpdir(), 'faults-e2e-'));
  writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ hook: SECRET }));
  process.env.LOCAL_SECRETS_FILE = join(dir, 'secrets.json');
  setAudienceDeps({
    connector: { retry: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 2, timeoutMs: 5_000 } },
  });
  dataDir = join(dir, 'data');
  await writeSample(dataDir, join(dir, 'labels.csv'), { customers: 800, seed: 11 });
  env = await localEnvironment();
  clean = await run('clean');
}, 120_000);

afterAll(async () => {
  setAudienceDeps({});
  vi.restoreAllMocks();
  await env?.stop();
  await hook?.close();
});

/** A Distributed Map worker: faulted on item 1 (a shard, or an ingest range). */
const isMapItem = (state: string): boolean => state.endsWith('Shard') || state === 'IngestRange';

describe('faults on the local runner', () => {
  it('a clean run publishes, every step once', () => {
    expect(clean.status, JSON.stringify(clean.error)).toBe('succeeded');
    expect(Object.values(clean.attempts).every((n) => n === 1)).toBe(true);
    expect(clean.attempts).toMatchObject({
      Ingest: 1,
      'BuildFeaturesShard#0': 1,
      'ScoreShard#1': 1,
      Report: 1,
    });
    expect(audiencesOf('clean').size).toBeGreaterThanOrEqual(3);
  });

  const STEPS = [
    'Ingest',
    'IngestRange',
    'MergeIngest',
    'BuildFeaturesShard',
    'Fit',
    'ScoreShard',
    'Validate',
    'PublishMembershipsShard',
    'FinishMemberships',
    'PublishExports',
    'PublishAudiences',
    'Report',
  ];
  it('a transient failure of every step (S3 SlowDown / DynamoDB throttling) is retried once, and the run ends as a clean one', async () => {
    // Prepare: every AWS call of each step's first attempt fails as a throttled service does (after the
    // SDK's own retries); for the Map workers, shard 1's. One run: each step still fails on its own
    const dataset = 'transient';
    const faults: Fault[] = STEPS.map((state) => ({
      state,
      shard: isMapItem(state) ? 1 : undefined,
      kind: 'transient',
    }));
    // Act
    const r = await run(dataset, { faults });
    // Assess: exactly one retry of each faulted step, nothing else retried, the clean run's outcome
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
    const faulted = STEPS.map((s) => (isMapItem(s) ? `${s}#1` : s));
    expect(Object.fromEntries(faulted.map((k) => [k, r.attempts[k]]))).toEqual(
      Object.fromEntries(faulted.map((k) => [k, 2])),
    );
    expect(Object.entries(r.attempts).filter(([k, n]) => !faulted.includes(k) && n !== 1)).toEqual([]);
    expect(segmentsOf(r)).toEqual(segmentsOf(clean));
    expect(r.summary!.audiences.map((a) => a.members)).toEqual(
      clean.summary!.audiences.map((a) => a.members),
    );
    expect(audiencesOf(dataset)).toEqual(audiencesOf('clean'));
    expect((await membershipItems(dataset)).length).toBe((await membershipItems('clean')).length);
  });

  it('an input error goes straight to quarantine: one attempt, an error report, nothing published', async () => {
    // Prepare: a transactions file without an amount column cannot be used at all
    const bad = join(dataDir, '..', 'refunds.csv');
    writeFileSync(bad, 'order_id,customer_id,created_at\n1,C100000,2026-01-02T10:00:00Z\n');
    // Act
    const r = await run('bad-input', {}, [...collectInputs([dataDir]), { path: bad, name: 'refunds.csv' }]);
    // Assess
    expect(r.status).toBe('failed');
    expect(r.error?.name).toMatch(/InputRejected|InputFile/);
    expect(r.error?.message).toMatch(/refunds\.csv/);
    expect(r.attempts).toEqual({ Ingest: 1, Quarantine: 1 });
    const report = JSON.parse(await readText(env, `rejected/bad-input/${r.runInput.runId}/run.errors.json`));
    expect(report).toMatchObject({ nothingPublished: true, error: { name: r.error?.name } });
    expect(await membershipItems('bad-input')).toEqual([]);
  });

  it('a permanent AWS failure (access denied) is not retried either', async () => {
    // Act
    const r = await run('denied', { faults: [{ state: 'Fit', kind: 'permanent' }] });
    // Assess
    expect(r.status).toBe('failed');
    expect(r.error?.name).toBe('AccessDenied');
    expect(r.attempts.Fit).toBe(1);
    expect(r.attempts.Quarantine).toBe(1);
  });

  it('a shard that keeps failing fails the run after its retries, and the failure names the shard', async () => {
    // Act: shard 1 of Score is throttled on every attempt
    const r = await run('bad-shard', {
      faults: [{ state: 'ScoreShard', shard: 1, attempts: 'all', kind: 'transient' }],
    });
    // Assess: 1 attempt + 4 retries (the TransientError retrier), then Quarantine; shard 0 was fine
    expect(r.status).toBe('failed');
    expect(r.attempts['ScoreShard#1']).toBe(5);
    expect(r.attempts['ScoreShard#0']).toBe(1);
    expect(r.error?.name).toBe('TransientError');
    expect(r.error?.message).toMatch(/^shard 1: SlowDown: /);
    const report = JSON.parse(await readText(env, `rejected/bad-shard/${r.runInput.runId}/run.errors.json`));
    expect(report.error.message).toMatch(/^shard 1: /);
    expect(r.attempts.Validate).toBeUndefined();
    expect(await membershipItems('bad-shard')).toEqual([]);
  });

  it('a Lambda timeout after a PublishMemberships shard wrote some items is retried: the table is exactly right', async () => {
    // Act: shard 1's first attempt makes 3 DynamoDB writes, then hangs until its (shortened) timeout;
    // the retry has the function's own
    const r = await run('timeout-ddb', {
      faults: [
        {
          state: 'PublishMembershipsShard',
          shard: 1,
          kind: 'timeout',
          afterEffects: 3,
          effects: 'dynamodb',
          timeoutMs: 1_500,
        },
      ],
    });
    // Assess
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
    expect(r.attempts['PublishMembershipsShard#1']).toBe(2);
    expect(r.attempts['PublishMembershipsShard#0']).toBe(1);
    expect(r.attempts.FinishMemberships).toBe(1);
    // the step's counts ($.publish[0]) are the clean run's: the retried shard's writes are not added twice
    expect(membershipCounts(r)).toEqual(membershipCounts(clean));
    expect(membershipCounts(r)).toMatchObject({ stage: 'publish-memberships', deleted: 0 });
    const items = await membershipItems('timeout-ddb');
    expect(new Set(items).size).toBe(items.length);
    expect(items.map((k) => k.slice('timeout-ddb'.length)).sort()).toEqual(
      (await membershipItems('clean')).map((k) => k.slice('clean'.length)).sort(),
    );
    expect(segmentsOf(r)).toEqual(segmentsOf(clean));
  });

  it('a Lambda timeout after PublishAudiences pushed some batches is retried: each member arrives once', async () => {
    // Act: the first attempt pushes 2 batches, then hangs on the third until its timeout
    const r = await run('timeout-push', {
      faults: [
        { state: 'PublishAudiences', kind: 'timeout', afterEffects: 2, effects: 'http', timeoutMs: 1_500 },
      ],
    });
    // Assess: nothing taken twice, nothing missing, counters as in the clean run
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
    expect(r.attempts.PublishAudiences).toBe(2);
    // audiences are pushed concurrently: a batch the platform accepted while its checkpoint write was
    // cut off by the timeout is sent again with the same Idempotency-Key, and not taken twice
    const mine = hook.requests.filter((q) => q.body.includes('"timeout-push · '));
    const resent = mine.filter((q) => q.duplicate);
    expect(resent.length).toBeLessThanOrEqual(r.summary!.audiences.length);
    const taken = new Set(mine.filter((q) => !q.duplicate).map((q) => q.headers['idempotency-key']));
    for (const q of resent) expect(taken.has(q.headers['idempotency-key'])).toBe(true);
    // each member arrived once (audiencesFrom throws on a second add) and nobody is missing
    expect(audiencesOf('timeout-push')).toEqual(audiencesOf('clean'));
    expect(r.summary!.audiences.map((a) => a.members)).toEqual(
      clean.summary!.audiences.map((a) => a.members),
    );
  });

  it('a stuck step is ended at its function timeout as Sandbox.Timedout, retried once, then quarantined', async () => {
    // Act: Validate hangs on every attempt
    const r = await run('stuck', {
      faults: [{ state: 'Validate', kind: 'timeout', attempts: 'all' }],
      timeoutMs: { Validate: 300 },
    });
    // Assess
    expect(r.status).toBe('failed');
    expect(r.error).toEqual({ name: 'Sandbox.Timedout', message: 'Task timed out after 0.30 seconds' });
    expect(r.attempts.Validate).toBe(2);
  });
});
