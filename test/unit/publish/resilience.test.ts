import { afterEach, describe, expect, it } from 'vitest';
import { type CheckpointStore, MemoryCheckpointStore } from '../../../lib/publish/checkpoint.js';
import {
  type AudienceDelta,
  type Connector,
  type ConnectorDeps,
  createConnector,
  DestinationError,
  pushToDestinations,
} from '../../../lib/publish/connector.js';
import {
  type Receiver,
  startGoogleReceiver,
  startLinkedInReceiver,
  startMetaReceiver,
  startTikTokReceiver,
  startWebhookReceiver,
  TEST_SECRETS,
} from '../../support/receivers/index.js';
import { makePeople } from '../../support/receivers/people.js';

const SECRETS = TEST_SECRETS;

// Generous timeouts except where a test is about timeouts: two cores running test files in parallel can
// stall a local request for a few hundred ms.
function makeDeps(sleeps: number[] = [], timeoutMs = 5_000): ConnectorDeps {
  return {
    getSecret: async (arn) => SECRETS[arn] ?? Promise.reject(new Error(`no secret ${arn}`)),
    retry: { baseDelayMs: 1, maxDelayMs: 30_000, timeoutMs, maxAttempts: 4 },
    // Record waits instead of sleeping: Retry-After of seconds costs no test time.
    sleep: async (ms) => void sleeps.push(ms),
  };
}

const open: Receiver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});
async function track<R extends Receiver>(r: Promise<R>): Promise<R> {
  const receiver = await r;
  open.push(receiver);
  return receiver;
}

function delta(
  destination: string,
  adds: AudienceDelta['adds'],
  removes: AudienceDelta['removes'] = [],
): AudienceDelta {
  return { destination, audienceName: 'Lapsing', runId: 'run-7', adds, removes, totalAfter: 50_000 };
}

/** A checkpoint store whose process "dies" on a chosen put: before or after it is written. */
class CrashingStore implements CheckpointStore {
  puts = 0;
  constructor(
    private readonly inner: CheckpointStore,
    private readonly crashOnPut: number,
    private readonly when: 'before-write' | 'after-write',
  ) {}
  get(key: string): Promise<string | undefined> {
    return this.inner.get(key);
  }
  async put(key: string, value: string): Promise<void> {
    this.puts++;
    if (this.puts === this.crashOnPut && this.when === 'before-write') throw new Error('simulated crash');
    await this.inner.put(key, value);
    if (this.puts === this.crashOnPut && this.when === 'after-write') throw new Error('simulated crash');
  }
}

describe('retries', () => {
  it('429 with Retry-After: waits what the platform asked, then succeeds', async () => {
    // Prepare
    const sleeps: number[] = [];
    const meta = await track(startMetaReceiver({ token: SECRETS['arn:meta'] }));
    meta.fault({ status: 429, retryAfter: '7' });
    const c = createConnector(
      'meta',
      { type: 'meta', adAccountId: 'a', audienceId: '1', tokenSecretArn: 'arn:meta', baseUrl: meta.url },
      makeDeps(sleeps),
    );
    // Act
    const result = await c.push(delta('meta', makePeople(150).hashed), {
      checkpoints: new MemoryCheckpointStore(),
    });
    // Assess
    expect(sleeps).toEqual([7000]);
    expect(result).toMatchObject({ sent: { adds: 150, removes: 0 }, batches: 1, requests: 2 });
    expect(meta.accepted).toHaveLength(1);
  });

  it('500 on every attempt: fails visibly after the cap, and other destinations still get their push', async () => {
    // Prepare
    const meta = await track(startMetaReceiver({ token: SECRETS['arn:meta'] }));
    meta.fault(...Array.from({ length: 10 }, () => ({ status: 500 })));
    const linkedin = await track(startLinkedInReceiver({ token: SECRETS['arn:linkedin'] }));
    const hook = await track(startWebhookReceiver({ secret: SECRETS['arn:webhook'] }));
    const deps = makeDeps();
    const people = makePeople(400).hashed;
    const connectors: Connector[] = [
      createConnector(
        'meta',
        { type: 'meta', adAccountId: 'a', audienceId: '1', tokenSecretArn: 'arn:meta', baseUrl: meta.url },
        deps,
      ),
      createConnector(
        'linkedin',
        { type: 'linkedin', segmentId: '5', tokenSecretArn: 'arn:linkedin', baseUrl: `${linkedin.url}/rest` },
        deps,
      ),
      createConnector('hook', { type: 'webhook', url: hook.url, signingSecretArn: 'arn:webhook' }, deps),
    ];
    const logs: string[] = [];
    // Act
    const outcomes = await pushToDestinations(
      connectors.map((connector) => ({ connector, delta: delta(connector.name, people) })),
      { checkpoints: new MemoryCheckpointStore(), log: (m, d) => logs.push(`${m} ${JSON.stringify(d)}`) },
    );
    // Assess
    expect(outcomes.map((o) => [o.destination, o.ok])).toEqual([
      ['meta', false],
      ['linkedin', true],
      ['hook', true],
    ]);
    const failed = outcomes[0];
    if (failed.ok) throw new Error('meta should have failed');
    expect(failed.error).toBeInstanceOf(DestinationError);
    expect((failed.error as DestinationError).status).toBe(500);
    expect(failed.error.message).toMatch(
      /Audience push to meta failed \(HTTP 500\): adding batch 1 of 1: HTTP 500 after 4 attempts/,
    );
    expect(meta.requests).toHaveLength(4);
    expect(logs.some((l) => l.startsWith('destination failed') && l.includes('"destination":"meta"'))).toBe(
      true,
    );
    expect(linkedin.accepted).toHaveLength(1);
    expect(hook.accepted).toHaveLength(1);
  });

  it('a timed-out request is retried; if the platform had taken it, the retry adds nothing new', async () => {
    // Prepare: the receiver takes batch 1 but never answers (a lost response), so the connector times out.
    const hook = await track(startWebhookReceiver({ secret: SECRETS['arn:webhook'] }));
    hook.fault({ acceptThenHang: true });
    const c = createConnector(
      'hook',
      { type: 'webhook', url: hook.url, signingSecretArn: 'arn:webhook', batchSize: 10 },
      makeDeps([], 1_000),
    );
    // Act
    const result = await c.push(delta('hook', makePeople(20).hashed), {
      checkpoints: new MemoryCheckpointStore(),
    });
    // Assess: 3 requests, 1 duplicate detected by Idempotency-Key, 2 distinct batches taken.
    expect(result).toMatchObject({ batches: 2, requests: 3, sent: { adds: 20 } });
    expect(hook.requests).toHaveLength(3);
    expect(hook.duplicates).toHaveLength(1);
    expect(hook.batches.map((b) => b.batchIndex)).toEqual([0, 1]);
  });

  it('a request that hangs on every attempt fails with a timeout error', async () => {
    const hook = await track(startWebhookReceiver({ secret: SECRETS['arn:webhook'] }));
    hook.fault({ hang: true }, { hang: true }, { hang: true }, { hang: true });
    const c = createConnector(
      'hook',
      { type: 'webhook', url: hook.url, signingSecretArn: 'arn:webhook' },
      makeDeps([], 300),
    );
    await expect(
      c.push(delta('hook', makePeople(2).hashed), { checkpoints: new MemoryCheckpointStore() }),
    ).rejects.toThrow(/timed out after 300 ms after 4 attempts/);
  });
});

describe('crash and resume', () => {
  it('a push that dies after batch 2 of 4 resumes with exactly batches 3 and 4', async () => {
    // Prepare
    const meta = await track(startMetaReceiver({ token: SECRETS['arn:meta'] }));
    const config = {
      type: 'meta',
      adAccountId: 'a',
      audienceId: '1',
      tokenSecretArn: 'arn:meta',
      baseUrl: meta.url,
      batchSize: 1_000,
    } as const;
    const people = makePeople(4_000).hashed;
    const store = new MemoryCheckpointStore();
    // Act 1: the process dies right after checkpointing batch 2.
    await expect(
      createConnector('meta', config, makeDeps()).push(delta('meta', people), {
        checkpoints: new CrashingStore(store, 2, 'after-write'),
      }),
    ).rejects.toThrow('simulated crash');
    // Act 2: a fresh connector (new Lambda) with the same checkpoint store.
    const result = await createConnector('meta', config, makeDeps()).push(delta('meta', people), {
      checkpoints: store,
    });
    // Assess
    expect(meta.batches.map((b) => b.session.batch_seq)).toEqual([1, 2, 3, 4]);
    expect(meta.duplicates).toHaveLength(0);
    expect(result).toMatchObject({
      sent: { adds: 2_000, removes: 0 },
      batches: 2,
      resumedFrom: 2,
      requests: 2,
    });
    expect(meta.batches[3].session.last_batch_flag).toBe(true);
  });

  it('dying between acceptance and checkpoint resends one batch, which an idempotent receiver drops', async () => {
    const hook = await track(startWebhookReceiver({ secret: SECRETS['arn:webhook'] }));
    const config = { type: 'webhook', url: hook.url, signingSecretArn: 'arn:webhook', batchSize: 5 } as const;
    const people = makePeople(20).hashed;
    const store = new MemoryCheckpointStore();
    await expect(
      createConnector('hook', config, makeDeps()).push(delta('hook', people), {
        checkpoints: new CrashingStore(store, 3, 'before-write'),
      }),
    ).rejects.toThrow('simulated crash');
    const result = await createConnector('hook', config, makeDeps()).push(delta('hook', people), {
      checkpoints: store,
    });
    expect(result).toMatchObject({ batches: 2, resumedFrom: 2 });
    expect(hook.duplicates).toHaveLength(1);
    expect(hook.batches.map((b) => b.batchIndex)).toEqual([0, 1, 2, 3]);
  });

  it('Google: a resumed push reuses its job, adds only the missing operations and runs the job once', async () => {
    const google = await track(startGoogleReceiver({ token: SECRETS['arn:google'] }));
    const config = {
      type: 'google',
      customerId: '42',
      userListId: '7',
      tokenSecretArn: 'arn:google',
      baseUrl: google.url,
      batchSize: 1_000,
    } as const;
    const people = makePeople(2_000, { phoneEvery: 1_000_000 }).hashed; // ~1 identifier each → 3 batches
    const store = new MemoryCheckpointStore();
    // put #1 is the job name, #2 the first batch: die after it.
    await expect(
      createConnector('google', config, makeDeps()).push(delta('google', people), {
        checkpoints: new CrashingStore(store, 2, 'after-write'),
      }),
    ).rejects.toThrow('simulated crash');
    const result = await createConnector('google', config, makeDeps()).push(delta('google', people), {
      checkpoints: store,
    });
    expect(google.problems).toEqual([]);
    expect(google.jobs).toHaveLength(1);
    expect(google.jobs[0]).toMatchObject({ requests: 3, operations: 2_000, run: true });
    expect(result).toMatchObject({ batches: 2, resumedFrom: 1 });
  });
});

describe('duplicate re-push', () => {
  it('pushing the same delta again sends nothing to any platform', async () => {
    // Prepare
    const meta = await track(startMetaReceiver({ token: SECRETS['arn:meta'] }));
    const google = await track(startGoogleReceiver({ token: SECRETS['arn:google'] }));
    const tiktok = await track(startTikTokReceiver({ token: SECRETS['arn:tiktok'], advertiserId: '9' }));
    const linkedin = await track(startLinkedInReceiver({ token: SECRETS['arn:linkedin'] }));
    const hook = await track(startWebhookReceiver({ secret: SECRETS['arn:webhook'] }));
    const deps = makeDeps();
    const connectors = [
      createConnector(
        'meta',
        { type: 'meta', adAccountId: 'a', audienceId: '1', tokenSecretArn: 'arn:meta', baseUrl: meta.url },
        deps,
      ),
      createConnector(
        'google',
        {
          type: 'google',
          customerId: '42',
          userListId: '7',
          tokenSecretArn: 'arn:google',
          baseUrl: google.url,
        },
        deps,
      ),
      createConnector(
        'tiktok',
        {
          type: 'tiktok',
          advertiserId: '9',
          audienceId: 't',
          tokenSecretArn: 'arn:tiktok',
          baseUrl: tiktok.url,
        },
        deps,
      ),
      createConnector(
        'linkedin',
        { type: 'linkedin', segmentId: '5', tokenSecretArn: 'arn:linkedin', baseUrl: `${linkedin.url}/rest` },
        deps,
      ),
      createConnector('hook', { type: 'webhook', url: hook.url, signingSecretArn: 'arn:webhook' }, deps),
    ];
    const adds = makePeople(1_200).hashed;
    const removes = makePeople(30, { prefix: 'r' }).hashed;
    const store = new MemoryCheckpointStore();
    const receivers = [meta, google, tiktok, linkedin, hook];
    for (const c of connectors) await c.push(delta(c.name, adds, removes), { checkpoints: store });
    const before = receivers.map((r) => r.requests.length);
    // Act
    const again = await Promise.all(
      connectors.map((c) => c.push(delta(c.name, adds, removes), { checkpoints: store })),
    );
    // Assess
    expect(receivers.map((r) => r.requests.length)).toEqual(before);
    for (const r of again) {
      expect(r.requests).toBe(0);
      expect(r.batches).toBe(0);
      expect(r.sent).toEqual({ adds: 0, removes: 0 });
      expect(r.resumedFrom).toBeGreaterThan(0);
    }
  });
});

describe('privacy', () => {
  it('no raw email or phone, customer id or token appears in any request body, header or log line', async () => {
    // Prepare
    const meta = await track(startMetaReceiver({ token: SECRETS['arn:meta'] }));
    const google = await track(
      startGoogleReceiver({ token: SECRETS['arn:google'], developerToken: SECRETS['arn:google-dev'] }),
    );
    const tiktok = await track(startTikTokReceiver({ token: SECRETS['arn:tiktok'], advertiserId: '9' }));
    const linkedin = await track(startLinkedInReceiver({ token: SECRETS['arn:linkedin'] }));
    const hook = await track(startWebhookReceiver({ secret: SECRETS['arn:webhook'] }));
    meta.fault({ status: 429, retryAfter: '1' });
    google.fault({ status: 503 });
    const deps = makeDeps();
    const jobs = [
      createConnector(
        'meta',
        { type: 'meta', adAccountId: 'a', audienceId: '1', tokenSecretArn: 'arn:meta', baseUrl: meta.url },
        deps,
      ),
      createConnector(
        'google',
        {
          type: 'google',
          customerId: '42',
          userListId: '7',
          tokenSecretArn: 'arn:google',
          developerTokenSecretArn: 'arn:google-dev',
          baseUrl: google.url,
        },
        deps,
      ),
      createConnector(
        'tiktok',
        {
          type: 'tiktok',
          advertiserId: '9',
          audienceId: 't',
          tokenSecretArn: 'arn:tiktok',
          baseUrl: tiktok.url,
        },
        deps,
      ),
      createConnector(
        'linkedin',
        { type: 'linkedin', segmentId: '5', tokenSecretArn: 'arn:linkedin', baseUrl: `${linkedin.url}/rest` },
        deps,
      ),
      createConnector('hook', { type: 'webhook', url: hook.url, signingSecretArn: 'arn:webhook' }, deps),
    ];
    const adds = makePeople(300);
    const removes = makePeople(40, { prefix: 'gone' });
    const logs: string[] = [];
    // Act
    const outcomes = await pushToDestinations(
      jobs.map((connector) => ({ connector, delta: delta(connector.name, adds.hashed, removes.hashed) })),
      {
        checkpoints: new MemoryCheckpointStore(),
        log: (m, d) => logs.push(`${m} ${JSON.stringify(d ?? {})}`),
      },
    );
    // Assess
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const receivers = [meta, google, tiktok, linkedin, hook];
    // Meta bodies are form-encoded: decode them too, or an encoded '%40' would hide a leaked email.
    const decode = (t: string): string => {
      try {
        return decodeURIComponent(t.replace(/\+/g, ' '));
      } catch {
        return t;
      }
    };
    const wire = receivers.flatMap((r) =>
      r.requests.map((q) => `${q.path}\n${JSON.stringify(q.headers)}\n${q.body}\n${decode(q.body)}`),
    );
    expect(wire.length).toBeGreaterThan(15);
    const forbidden = [...adds.raw, ...removes.raw];
    expect(forbidden.length).toBeGreaterThan(1_000);
    const leaks = (texts: string[]): string[] => forbidden.filter((f) => texts.some((t) => t.includes(f)));
    expect(leaks(wire)).toEqual([]);
    expect(leaks(logs)).toEqual([]);
    expect(receivers.flatMap((r) => r.requests).filter((q) => decode(q.body).includes('@'))).toEqual([]);
    // Customer ids stay in the account; tokens only ever travel in their auth header, never in logs.
    const ids = [...adds.hashed, ...removes.hashed].map((h) => `"${h.customerId}"`);
    expect(ids.filter((id) => wire.some((t) => t.includes(id)))).toEqual([]);
    expect(Object.values(SECRETS).filter((s) => logs.some((l) => l.includes(s)))).toEqual([]);
    expect(logs.filter((l) => l.startsWith('batch sent')).length).toBeGreaterThan(10);
  });
});
