import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../lib/publish/checkpoint.js';
import {
  type AudienceDelta,
  type ConnectorDeps,
  createConnector,
  type DestinationConfig,
  DestinationError,
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
const deps: ConnectorDeps = {
  getSecret: async (arn) => SECRETS[arn] ?? Promise.reject(new Error(`no secret ${arn}`)),
  retry: { baseDelayMs: 1, maxDelayMs: 50, timeoutMs: 10_000 },
};

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
  extra: Partial<AudienceDelta> = {},
): AudienceDelta {
  return {
    destination,
    audienceName: 'High value',
    runId: 'run-1',
    adds,
    removes,
    totalAfter: adds.length + 5_000,
    ...extra,
  };
}

describe('Meta Custom Audiences', () => {
  it('sends 25,001 adds as 3 POSTs of at most 10,000, removes as a separate DELETE, removes first', async () => {
    // Prepare
    const meta = await track(startMetaReceiver({ token: SECRETS['arn:meta'] }));
    const adds = makePeople(25_001).hashed;
    const removes = makePeople(500, { prefix: 'r' }).hashed;
    const c = createConnector(
      'meta',
      {
        type: 'meta',
        adAccountId: 'act_1',
        audienceId: '2385',
        tokenSecretArn: 'arn:meta',
        baseUrl: meta.url,
      },
      deps,
    );
    // Act
    const result = await c.push(delta('meta', adds, removes), { checkpoints: new MemoryCheckpointStore() });
    // Assess
    expect(meta.problems).toEqual([]);
    expect(meta.requests.map((r) => r.method)).toEqual(['DELETE', 'POST', 'POST', 'POST']);
    const posts = meta.batches.filter((b) => b.method === 'POST');
    expect(posts.map((b) => b.data.length)).toEqual([10_000, 10_000, 5_001]);
    expect(posts.map((b) => [b.session.batch_seq, b.session.last_batch_flag])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(posts[0].schema).toEqual(['EMAIL_SHA256', 'PHONE_SHA256']);
    // Meta hashes phone digits without '+'.
    expect(posts[0].data[0]).toEqual([adds[0].emailSha256, adds[0].phoneDigitsSha256]);
    expect(posts[0].data[1]).toEqual([adds[1].emailSha256, '']);
    expect(result).toMatchObject({ sent: { adds: 25_001, removes: 500 }, batches: 4, requests: 4 });
  });

  it('holds back adds for an audience under 100 people but still sends removes', async () => {
    const meta = await track(startMetaReceiver({ token: SECRETS['arn:meta'] }));
    const c = createConnector(
      'meta',
      {
        type: 'meta',
        adAccountId: 'act_1',
        audienceId: '2385',
        tokenSecretArn: 'arn:meta',
        baseUrl: meta.url,
      },
      deps,
    );
    const result = await c.push(
      delta('meta', makePeople(99).hashed, makePeople(3, { prefix: 'r' }).hashed, { totalAfter: 99 }),
      {
        checkpoints: new MemoryCheckpointStore(),
      },
    );
    expect(result.skipped?.reason).toMatch(/would have 99 members; meta needs at least 100/);
    expect(result.sent).toEqual({ adds: 0, removes: 3 });
    expect(meta.requests.map((r) => r.method)).toEqual(['DELETE']);
  });

  it('retries Graph API throttling errors that arrive as HTTP 400 (code 17)', async () => {
    const meta = await track(startMetaReceiver({ token: SECRETS['arn:meta'] }));
    meta.fault({ status: 400, body: { error: { message: 'User request limit reached', code: 17 } } });
    const c = createConnector(
      'meta',
      {
        type: 'meta',
        adAccountId: 'act_1',
        audienceId: '2385',
        tokenSecretArn: 'arn:meta',
        baseUrl: meta.url,
      },
      deps,
    );
    const result = await c.push(delta('meta', makePeople(150).hashed), {
      checkpoints: new MemoryCheckpointStore(),
    });
    expect(result).toMatchObject({ sent: { adds: 150, removes: 0 }, requests: 2 });
  });

  it('does not retry a plain 400 and reports the platform reason', async () => {
    const meta = await track(startMetaReceiver({ token: SECRETS['arn:meta'] }));
    meta.fault({ status: 400, body: { error: { message: 'Invalid parameter', code: 100 } } });
    const c = createConnector(
      'meta',
      {
        type: 'meta',
        adAccountId: 'act_1',
        audienceId: '2385',
        tokenSecretArn: 'arn:meta',
        baseUrl: meta.url,
      },
      deps,
    );
    await expect(
      c.push(delta('meta', makePeople(150).hashed), { checkpoints: new MemoryCheckpointStore() }),
    ).rejects.toThrow(
      /Audience push to meta failed \(HTTP 400\): adding batch 1 of 1 was refused — platform said: Invalid parameter/,
    );
    expect(meta.requests).toHaveLength(1);
  });

  it('fails with an actionable error when no audience id is known', async () => {
    const c = createConnector(
      'meta',
      { type: 'meta', adAccountId: 'act_1', tokenSecretArn: 'arn:meta' },
      deps,
    );
    await expect(
      c.push(delta('meta', makePeople(200).hashed), { checkpoints: new MemoryCheckpointStore() }),
    ).rejects.toThrow(/no custom audience id for "High value".*set audienceId/);
  });
});

describe('Google Ads Customer Match', () => {
  it('uses one job per op (never mixing create and remove), ≤10,000 identifiers per request, consent set, each job run once', async () => {
    // Prepare: 12,000 adds carrying 18,000 identifiers (every other one has a phone).
    const google = await track(
      startGoogleReceiver({
        token: SECRETS['arn:google'],
        developerToken: SECRETS['arn:google-dev'],
        maxIdentifiersPerRequest: 10_000,
      }),
    );
    const adds = makePeople(12_000).hashed;
    const removes = makePeople(300, { prefix: 'r' }).hashed;
    const config: DestinationConfig = {
      type: 'google',
      customerId: '123-456-7890',
      userListId: '555',
      tokenSecretArn: 'arn:google',
      developerTokenSecretArn: 'arn:google-dev',
      baseUrl: google.url,
      consent: { adUserData: 'GRANTED', adPersonalization: 'DENIED' },
    };
    // Act
    const result = await createConnector('google', config, deps).push(delta('google', adds, removes), {
      checkpoints: new MemoryCheckpointStore(),
    });
    // Assess
    expect(google.problems).toEqual([]);
    expect(google.jobs).toHaveLength(2);
    const [removeJob, addJob] = google.jobs;
    expect([...removeJob.kinds]).toEqual(['remove']);
    expect([...addJob.kinds]).toEqual(['create']);
    expect(addJob.identifiers).toBe(18_000);
    expect(addJob.requests).toBe(2);
    expect(addJob.userList).toBe('customers/1234567890/userLists/555');
    expect(addJob.consent).toEqual({ adUserData: 'GRANTED', adPersonalization: 'DENIED' });
    expect(google.jobs.every((j) => j.run)).toBe(true);
    // create + addOperations + run for removes, create + 2 × addOperations + run for adds
    expect(result).toMatchObject({ sent: { adds: 12_000, removes: 300 }, batches: 3, requests: 7 });
    const phoneOp = JSON.parse(
      google.requests.find((r) => r.path.endsWith(':addOperations') && r.body.includes('"create"'))?.body ??
        '{}',
    );
    // Google hashes the E.164 form with '+'.
    expect(phoneOp.operations[0].create.userIdentifiers).toEqual([
      { hashedEmail: adds[0].emailSha256 },
      { hashedPhoneNumber: adds[0].phoneSha256 },
    ]);
  });

  it('rejects a batch size above the 100,000 identifier limit', () => {
    expect(() =>
      createConnector(
        'google',
        {
          type: 'google',
          customerId: '1',
          userListId: '2',
          tokenSecretArn: 'arn:google',
          batchSize: 100_001,
        },
        deps,
      ),
    ).toThrow(RangeError);
  });
});

describe('TikTok custom audiences', () => {
  it('uploads one hashed file per op and identifier type, then appends/removes it', async () => {
    const tiktok = await track(startTikTokReceiver({ token: SECRETS['arn:tiktok'], advertiserId: '7001' }));
    const adds = makePeople(1_500).hashed;
    const c = createConnector(
      'tiktok',
      {
        type: 'tiktok',
        advertiserId: '7001',
        audienceId: 'aud-9',
        tokenSecretArn: 'arn:tiktok',
        baseUrl: tiktok.url,
        batchSize: 1_000,
      },
      deps,
    );
    const result = await c.push(delta('tiktok', adds, makePeople(10, { prefix: 'r' }).hashed), {
      checkpoints: new MemoryCheckpointStore(),
    });
    expect(tiktok.problems).toEqual([]);
    expect(tiktok.files.map((f) => [f.calculateType, f.lines.length])).toEqual([
      ['EMAIL_SHA256', 10],
      ['PHONE_SHA256', 5],
      ['EMAIL_SHA256', 1_000],
      ['EMAIL_SHA256', 500],
      ['PHONE_SHA256', 750],
    ]);
    expect(tiktok.updates.map((u) => u.action)).toEqual(['REMOVE', 'REMOVE', 'APPEND', 'APPEND', 'APPEND']);
    expect(tiktok.files[4].lines[0]).toBe(adds[0].phoneDigitsSha256);
    expect(result.requests).toBe(10);
  });

  it('does not upload to an audience under 1,000 members', async () => {
    const tiktok = await track(startTikTokReceiver({ token: SECRETS['arn:tiktok'], advertiserId: '7001' }));
    const c = createConnector(
      'tiktok',
      {
        type: 'tiktok',
        advertiserId: '7001',
        audienceId: 'aud-9',
        tokenSecretArn: 'arn:tiktok',
        baseUrl: tiktok.url,
      },
      deps,
    );
    const result = await c.push(delta('tiktok', makePeople(999).hashed, [], { totalAfter: 999 }), {
      checkpoints: new MemoryCheckpointStore(),
    });
    expect(result.skipped?.reason).toMatch(/needs at least 1000/);
    expect(tiktok.requests).toHaveLength(0);
  });

  it('retries when TikTok reports its QPS limit inside an HTTP 200 body', async () => {
    const tiktok = await track(startTikTokReceiver({ token: SECRETS['arn:tiktok'], advertiserId: '7001' }));
    tiktok.fault({ status: 200, body: { code: 40100, message: 'Too many requests' } });
    const c = createConnector(
      'tiktok',
      {
        type: 'tiktok',
        advertiserId: '7001',
        audienceId: 'aud-9',
        tokenSecretArn: 'arn:tiktok',
        baseUrl: tiktok.url,
      },
      deps,
    );
    const result = await c.push(delta('tiktok', makePeople(5, { phoneEvery: 1_000_000 }).hashed), {
      checkpoints: new MemoryCheckpointStore(),
    });
    // Assess: person 0 also has a phone, so: email upload (throttled once, then OK) + update, phone upload + update.
    expect(result.sent.adds).toBe(5);
    expect(result.requests).toBe(5);
    expect(tiktok.requests[0].fault).toBe('status 200');
  });
});

describe('LinkedIn DMP segments', () => {
  it('streams SHA256_EMAIL users in batches of at most 5,000 and counts phone-only members as unusable', async () => {
    const linkedin = await track(startLinkedInReceiver({ token: SECRETS['arn:linkedin'] }));
    const adds = makePeople(6_001, { emailEvery: 1 }).hashed;
    const phoneOnly = makePeople(4, { prefix: 'ph', emailEvery: 1_000_000, phoneEvery: 1 }).hashed.slice(1);
    const c = createConnector(
      'linkedin',
      {
        type: 'linkedin',
        segmentId: '987654',
        tokenSecretArn: 'arn:linkedin',
        baseUrl: `${linkedin.url}/rest`,
      },
      deps,
    );
    const result = await c.push(delta('linkedin', [...adds, ...phoneOnly]), {
      checkpoints: new MemoryCheckpointStore(),
    });
    expect(linkedin.problems).toEqual([]);
    expect(linkedin.requests.map((r) => JSON.parse(r.body).elements.length)).toEqual([5_000, 1_001]);
    expect(linkedin.elements[0]).toEqual({
      segmentId: '987654',
      action: 'ADD',
      idValue: adds[0].emailSha256,
    });
    expect(result).toMatchObject({ sent: { adds: 6_001, removes: 0 }, unusable: 3 });
  });

  it('does not stream to a segment under 300 members', async () => {
    const linkedin = await track(startLinkedInReceiver({ token: SECRETS['arn:linkedin'] }));
    const c = createConnector(
      'linkedin',
      { type: 'linkedin', segmentId: '1', tokenSecretArn: 'arn:linkedin', baseUrl: `${linkedin.url}/rest` },
      deps,
    );
    const result = await c.push(delta('linkedin', makePeople(10).hashed, [], { totalAfter: 299 }), {
      checkpoints: new MemoryCheckpointStore(),
    });
    expect(result.skipped?.reason).toMatch(/299 members; linkedin needs at least 300/);
    expect(linkedin.requests).toHaveLength(0);
  });
});

describe('webhook', () => {
  it('signs each JSON batch with HMAC-SHA256 that the receiver verifies', async () => {
    const hook = await track(startWebhookReceiver({ secret: SECRETS['arn:webhook'], maxBatch: 100 }));
    const c = createConnector(
      'hook',
      { type: 'webhook', url: `${hook.url}/audiences`, signingSecretArn: 'arn:webhook', batchSize: 100 },
      deps,
    );
    const result = await c.push(delta('hook', makePeople(250).hashed), {
      checkpoints: new MemoryCheckpointStore(),
    });
    expect(hook.problems).toEqual([]);
    expect(hook.batches.map((b) => b.members.length)).toEqual([100, 100, 50]);
    expect(result.batches).toBe(3);
  });

  it('a receiver holding a different secret rejects the batch, and the push fails visibly', async () => {
    const hook = await track(startWebhookReceiver({ secret: 'another-secret' }));
    const c = createConnector(
      'hook',
      { type: 'webhook', url: hook.url, signingSecretArn: 'arn:webhook' },
      deps,
    );
    const err = await c
      .push(delta('hook', makePeople(3).hashed), { checkpoints: new MemoryCheckpointStore() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationError);
    expect((err as DestinationError).status).toBe(400);
    expect((err as Error).message).toMatch(
      /Audience push to hook failed \(HTTP 400\).*signature does not verify/,
    );
  });
});

describe('createConnector', () => {
  it('rejects an unknown destination type', () => {
    const bad = { type: 'myspace' } as unknown as DestinationConfig;
    expect(() => createConnector('x', bad, deps)).toThrow(/Unknown destination type myspace/);
  });
});
