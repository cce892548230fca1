// The sample's segments pushed through every connector by the local runner (synthesized state
// machine, in-process handlers, s3rver + dynalite) to the local platform receivers: what arrived is
// every consented, non-holdout member of each published segment exactly once and nobody else; a retried
// step sends nothing; a failing platform fails alone and resumes; erasure reaches every store; and no
// raw email or phone appears in any request or log line.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalEnvironment } from '../../infra/local/environment.js';
import { collectInputs } from '../../infra/local/inputs.js';
import { type LocalRunResult, runLocal } from '../../infra/local/runner.js';
import { AudiencePublishError, setAudienceDeps } from '../../lib/pipeline/publish.js';
import { buildRunSummary } from '../../lib/pipeline/summary.js';
import { sha256Hex } from '../../lib/publish/identity.js';
import { createDocumentClient } from '../../lib/storage/clients.js';
import { DynamoSegmentStore } from '../../lib/storage/segment-store.js';
import { localEnvironment, parseCsv, readText } from '../support/local.js';
import {
  type GoogleReceiver,
  type LinkedInReceiver,
  type MetaReceiver,
  type Receiver,
  startGoogleReceiver,
  startLinkedInReceiver,
  startMetaReceiver,
  startTikTokReceiver,
  startWebhookReceiver,
  type TikTokReceiver,
  type WebhookReceiver,
} from '../support/receivers/index.js';
import {
  type Arrival,
  audiencesFrom,
  googleArrivals,
  leaks,
  leaksInText,
  linkedinArrivals,
  metaArrivals,
  tiktokArrivals,
  webhookArrivals,
} from '../unit/publish/arrivals.js';
import { writeSuppressions } from '../unit/publish/fixture.js';

const TOKENS = {
  meta: 'm-tok',
  google: 'g-tok',
  tiktok: 't-tok',
  linkedin: 'l-tok',
  hook: 'h-secret',
  late: 'late-secret',
};
const SEGMENT_IDS = Array.from({ length: 12 }, (_, i) => `seg-${i}`);
const idsFrom = (base: number) =>
  Object.fromEntries(SEGMENT_IDS.map((s, i) => [s, { audienceId: String(base + i) }]));

interface Rx {
  meta: MetaReceiver;
  google: GoogleReceiver;
  tiktok: TikTokReceiver;
  linkedin: LinkedInReceiver;
  hook: WebhookReceiver;
  late: WebhookReceiver;
}
let rx: Rx;
let env: LocalEnvironment;
let result: LocalRunResult;
const captured: string[] = [];
const customers = parseCsv(readFileSync('events/data/sample/customers.csv', 'utf8'));
const byId = new Map(customers.map((c) => [c.customer_id, c]));
const emailHash = (id: string) => sha256Hex((byId.get(id)?.email ?? '').trim().toLowerCase());
const receivers = (): Receiver[] => Object.values(rx);

function config(r: Rx) {
  return {
    shards: 2,
    destinations: {
      meta: {
        type: 'meta',
        adAccountId: 'act_1',
        tokenSecretArn: 'local:meta',
        baseUrl: r.meta.url,
        audiences: idsFrom(100),
        consentChannel: 'email',
      },
      google: {
        type: 'google',
        customerId: '1234567890',
        tokenSecretArn: 'local:google',
        baseUrl: r.google.url,
        consent: { adUserData: 'GRANTED', adPersonalization: 'GRANTED' },
        audiences: idsFrom(200),
      },
      tiktok: {
        type: 'tiktok',
        advertiserId: '7001',
        tokenSecretArn: 'local:tiktok',
        baseUrl: r.tiktok.url,
        audiences: idsFrom(300),
      },
      linkedin: {
        type: 'linkedin',
        tokenSecretArn: 'local:linkedin',
        baseUrl: `${r.linkedin.url}/rest`,
        audiences: idsFrom(400),
        consentChannel: 'email',
      },
      hook: {
        type: 'webhook',
        url: `${r.hook.url}/audiences`,
        signingSecretArn: 'local:hook',
        batchSize: 200,
        audienceNamePrefix: 'Sample · ',
      },
    },
  };
}

function arrivals(): Record<string, Arrival[]> {
  return {
    meta: metaArrivals(rx.meta),
    google: googleArrivals(rx.google),
    tiktok: tiktokArrivals(rx.tiktok),
    linkedin: linkedinArrivals(rx.linkedin),
    hook: webhookArrivals(rx.hook),
    late: webhookArrivals(rx.late),
  };
}

interface Membership {
  customer_id: string;
  segment_id: string;
  segment_name: string;
  holdout: string;
}
let memberships: Membership[] = [];

/** What should be in a segment's audience: non-holdout members, with email consent where asked. */
function expected(
  segmentId: string,
  channel: 'ads' | 'email',
  without: Set<string> = new Set(),
): Set<string> {
  return new Set(
    memberships
      .filter((m) => m.segment_id === segmentId && m.holdout === '0' && !without.has(m.customer_id))
      .filter((m) => channel === 'ads' || byId.get(m.customer_id)?.accepts_marketing === 'yes')
      .map((m) => emailHash(m.customer_id)),
  );
}

/** Copies a finished run's files to a new run id: a later run over the same snapshot, minus the work. */
async function copyRun(from: string, to: string): Promise<void> {
  for (const o of await env.store.list(`runs/sample/${from}/`)) {
    if (/\/(audiences|erasure-[a-z]+|run)\.json$/.test(o.key)) continue;
    await env.store.copy(o.key, o.key.replace(`/${from}/`, `/${to}/`));
  }
}

async function parquetCustomerIds(bytes: Uint8Array): Promise<string[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = await parquetReadObjects({ file, columns: ['customer_id'] });
  return rows.map((r) => String(r.customer_id));
}

/** One step's handlers as the workflow calls them: PublishMemberships is a worker per shard, then the finish. */
async function step(state: string, runId: string): Promise<Record<string, unknown>> {
  const ref = { dataset: 'sample', runId, shardCount: 2 };
  if (state !== 'PublishMemberships') return env.handlers[state](ref) as Promise<Record<string, unknown>>;
  for (let index = 0; index < ref.shardCount; index++)
    await env.handlers.PublishMembershipsShard({ ...ref, shard: { index } });
  return env.handlers.FinishMemberships(ref) as Promise<Record<string, unknown>>;
}

beforeAll(async () => {
  const capture = (...args: unknown[]) => void captured.push(args.map(String).join(' '));
  for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const)
    vi.spyOn(console, m).mockImplementation(capture);
  // Handler loggers (Powertools) write to stdout directly: capture that too, quietly.
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    captured.push(typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk));
    return true;
  }) as typeof process.stdout.write);
  rx = {
    meta: await startMetaReceiver({ token: TOKENS.meta }),
    google: await startGoogleReceiver({ token: TOKENS.google }),
    tiktok: await startTikTokReceiver({ token: TOKENS.tiktok, advertiserId: '7001' }),
    linkedin: await startLinkedInReceiver({ token: TOKENS.linkedin }),
    hook: await startWebhookReceiver({ secret: TOKENS.hook }),
    late: await startWebhookReceiver({ secret: TOKENS.late }),
  };
  const dir = mkdtempSync(join(tmpdir(), 'publish-e2e-'));
  writeFileSync(join(dir, 'secrets.json'), JSON.stringify(TOKENS));
  process.env.LOCAL_SECRETS_FILE = join(dir, 'secrets.json');
  setAudienceDeps({
    connector: { retry: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 3, timeoutMs: 10_000 } },
  });
  env = await localEnvironment();
  result = await runLocal(env, collectInputs(['events/data/sample']), {
    dataset: 'sample',
    config: config(rx),
  });
  memberships = parseCsv(
    await readText(env, 'exports/sample/latest/memberships.csv'),
  ) as unknown as Membership[];
}, 180_000);

afterAll(async () => {
  setAudienceDeps({});
  vi.restoreAllMocks();
  await env?.stop();
  await Promise.all(Object.values(rx ?? {}).map((r) => r.close()));
});

describe('publishing the sample to every destination', () => {
  it('delivers every consented, non-holdout member of each published segment exactly once, nobody else', () => {
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    const published = result.summary!.segments.filter((s) => s.status === 'published');
    expect(published.length).toBeGreaterThanOrEqual(3);
    for (const r of receivers()) expect(r.problems).toEqual([]);
    for (const r of receivers()) expect(r.duplicates).toEqual([]);
    const got = Object.fromEntries(Object.entries(arrivals()).map(([k, v]) => [k, audiencesFrom(v)]));
    for (const s of published) {
      const n = Number(s.id.slice(4));
      expect(got.meta.get(String(100 + n)), `meta ${s.id}`).toEqual(expected(s.id, 'email'));
      expect(got.google.get(String(200 + n)), `google ${s.id}`).toEqual(expected(s.id, 'ads'));
      expect(got.linkedin.get(String(400 + n)), `linkedin ${s.id}`).toEqual(expected(s.id, 'email'));
      expect(got.hook.get(`Sample · ${s.name}`), `webhook ${s.id}`).toEqual(expected(s.id, 'ads'));
    }
    // No sample segment reaches TikTok's 1,000-member minimum: adds are held back, visibly.
    expect(got.tiktok.size).toBe(0);
    const tiktok = result.summary!.audiences.filter((a) => a.destination === 'tiktok') as {
      skipped?: string;
    }[];
    expect(tiktok.length).toBe(published.length);
    for (const a of tiktok) expect(a.skipped).toMatch(/needs at least 1000/);
    // Nobody outside the published segments' eligible members arrived anywhere.
    const eligible = new Set(published.flatMap((s) => [...expected(s.id, 'ads')]));
    for (const v of Object.values(arrivals())) for (const a of v) expect(eligible.has(a.email)).toBe(true);
  });

  it('a retried step sends nothing and writes nothing', async () => {
    const before = receivers().map((r) => r.requests.length);
    const audiences = await step('PublishAudiences', result.runInput.runId);
    const dynamo = await step('PublishMemberships', result.runInput.runId);
    expect(receivers().map((r) => r.requests.length)).toEqual(before);
    expect(audiences).toMatchObject({ sent: 0 });
    expect(dynamo).toMatchObject({ written: 0, deleted: 0, batchWriteCalls: 0 });
  });

  it('a platform that keeps failing fails alone, and a later attempt sends only what is missing', async () => {
    // Prepare: run 2 adds a webhook destination that accepts 3 batches, then answers 500 forever
    await copyRun(result.runInput.runId, 'run-2');
    const cfgKey = 'runs/sample/run-2/config.json';
    const cfg = JSON.parse(await readText(env, cfgKey));
    cfg.destinations.late = {
      type: 'webhook',
      url: `${rx.late.url}/in`,
      signingSecretArn: 'local:late',
      batchSize: 50,
    };
    await env.store.put(cfgKey, JSON.stringify(cfg));
    let healed = false;
    rx.late.faultWhen(
      () => !healed && rx.late.accepted.length >= 3,
      ...Array.from({ length: 300 }, () => ({ status: 500 })),
    );
    const others = receivers().filter((r) => r !== rx.late);
    const before = others.map((r) => r.requests.length);
    // Act
    const failure = await step('PublishAudiences', 'run-2').catch((e: unknown) => e);
    // Assess: visible, named failure; nothing new for the healthy platforms (nothing changed for them)
    expect(failure).toBeInstanceOf(AudiencePublishError);
    expect((failure as Error).message).toMatch(/late ".*HTTP 500/);
    expect(others.map((r) => r.requests.length)).toEqual(before);
    const delivered = rx.late.accepted.length;
    expect(delivered).toBe(3);
    // Act: the platform recovers and the step runs again
    healed = true;
    const resumed = await step('PublishAudiences', 'run-2');
    // Assess: the 3 delivered batches were not sent again; every member arrived exactly once
    expect(resumed).toMatchObject({
      sent: result.summary!.segments.filter((s) => s.status === 'published').length,
    });
    expect(rx.late.duplicates).toEqual([]);
    const late = audiencesFrom(webhookArrivals(rx.late));
    for (const s of result.summary!.segments.filter((x) => x.status === 'published'))
      expect(late.get(s.name)).toEqual(expected(s.id, 'ads'));
  });

  it('erasure removes the person from DynamoDB, exports and every destination, and the summary says where', async () => {
    // Prepare: erase two published, consented, non-holdout customers (one by id, one by email)
    const published = new Set(
      result.summary!.segments.filter((s) => s.status === 'published').map((s) => s.id),
    );
    const [a, b] = memberships.filter(
      (m) =>
        published.has(m.segment_id) &&
        m.holdout === '0' &&
        byId.get(m.customer_id)?.accepts_marketing === 'yes',
    );
    await copyRun('run-2', 'run-3');
    await writeSuppressions(env.store, { dataset: 'sample', runId: 'run-3' }, [
      { customerId: a.customer_id, type: 'erase' },
      { email: byId.get(b.customer_id)!.email, type: 'erase' },
    ]);
    const before = arrivals();
    // Act
    await step('PublishMemberships', 'run-3');
    await step('PublishExports', 'run-3');
    await step('PublishAudiences', 'run-3');
    // Assess: a remove per destination that held each of them (TikTok never did)
    const gone = [a, b].map((m) => emailHash(m.customer_id));
    const removes = Object.fromEntries(
      Object.entries(arrivals()).map(([k, v]) => [
        k,
        v
          .slice(before[k].length)
          .filter((x) => x.op === 'remove')
          .map((x) => x.email)
          .sort(),
      ]),
    );
    expect(removes).toEqual({
      meta: [...gone].sort(),
      google: [...gone].sort(),
      tiktok: [],
      linkedin: [...gone].sort(),
      hook: [...gone].sort(),
      late: [...gone].sort(),
    });
    const ddb = new DynamoSegmentStore(createDocumentClient(), {
      catalog: process.env.CATALOG_TABLE!,
      memberships: process.env.MEMBERSHIPS_TABLE!,
      runs: process.env.RUNS_TABLE!,
    });
    expect(await ddb.customerSegments('sample', a.customer_id)).toEqual([]);
    expect(await ddb.customerSegments('sample', b.customer_id)).toEqual([]);
    const csv = await readText(env, 'exports/sample/latest/memberships.csv');
    expect(csv).not.toContain(`${a.customer_id},`);
    expect(csv).not.toContain(`${b.customer_id},`);
    const parquetIds = await parquetCustomerIds(
      await env.store.get(`exports/sample/latest/segments/${a.segment_id}.parquet`),
    );
    expect(parquetIds.length).toBe(
      memberships.filter((m) => m.segment_id === a.segment_id).length -
        1 -
        (b.segment_id === a.segment_id ? 1 : 0),
    );
    expect(parquetIds).not.toContain(a.customer_id);
    const summary = await buildRunSummary(env.store, { dataset: 'sample', runId: 'run-3', asOfMs: 0 });
    expect(summary.erasure?.requests).toEqual({ suppress: 0, erase: 2 });
    const places = Object.fromEntries(summary.erasure!.places.map((p) => [p.where, p.removed]));
    expect(places['dynamodb:memberships']).toBe(2);
    expect(places.exports).toBe(2);
    expect(Object.keys(places).filter((k) => k.startsWith('destination:')).length).toBeGreaterThanOrEqual(5);
    // A later run (no request file) keeps them out everywhere: nothing is sent or written at all
    await copyRun('run-2', 'run-4');
    const sentBefore = receivers().map((r) => r.requests.length);
    const dynamo = await step('PublishMemberships', 'run-4');
    await step('PublishAudiences', 'run-4');
    expect(receivers().map((r) => r.requests.length)).toEqual(sentBefore);
    expect(dynamo).toMatchObject({ written: 0, deleted: 0 });
  });

  it('no raw email or phone appears in any request or log line of the runs', () => {
    const raw = customers.flatMap((c) => [c.email, c.phone, c.phone.replace(/^\+/, '')]);
    expect(leaks(receivers(), raw)).toEqual([]);
    expect(captured.length).toBeGreaterThan(10);
    expect(leaksInText(captured, raw)).toEqual([]);
  });
});
