// publishAudiences end to end on a synthetic run: every connector against its local receiver, delta
// state, crash and resume, erasure, dry run, and the consent policy.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AudiencePublishError, publishAudiences } from '../../../lib/pipeline/publish.js';
import { loadAudienceState } from '../../../lib/publish/audience-state.js';
import { sha256Hex } from '../../../lib/publish/identity.js';
import { isHoldout } from '../../../lib/segments/holdout.js';
import { getJson, type MemoryBlobStore } from '../../../lib/storage/blob.js';
import { keys } from '../../../lib/storage/keys.js';
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
} from '../../support/receivers/index.js';
import {
  type Arrival,
  audiencesFrom,
  googleArrivals,
  leaks,
  linkedinArrivals,
  metaArrivals,
  tiktokArrivals,
  webhookArrivals,
} from './arrivals.js';
import { newStore, type Person, writeRun, writeSuppressions } from './fixture.js';

const SECRETS: Record<string, string> = {
  'arn:meta': 'meta-token',
  'arn:google': 'google-token',
  'arn:tiktok': 'tiktok-token',
  'arn:linkedin': 'linkedin-token',
  'arn:hook': 'hook-secret',
};
const logs: string[] = [];
const deps = {
  connector: {
    getSecret: async (arn: string) => SECRETS[arn] ?? Promise.reject(new Error(`no secret ${arn}`)),
    retry: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 3, timeoutMs: 5_000 },
  },
  log: (msg: string, data?: Record<string, unknown>) => void logs.push(`${msg} ${JSON.stringify(data)}`),
};

interface Receivers {
  meta: MetaReceiver;
  google: GoogleReceiver;
  tiktok: TikTokReceiver;
  linkedin: LinkedInReceiver;
  hook: WebhookReceiver;
}
let rx: Receivers;
let store: MemoryBlobStore;
const all = (): Receiver[] => Object.values(rx);

beforeEach(async () => {
  logs.length = 0;
  store = newStore();
  rx = {
    meta: await startMetaReceiver({ token: SECRETS['arn:meta'] }),
    google: await startGoogleReceiver({ token: SECRETS['arn:google'] }),
    tiktok: await startTikTokReceiver({ token: SECRETS['arn:tiktok'], advertiserId: '7001' } as never),
    linkedin: await startLinkedInReceiver({ token: SECRETS['arn:linkedin'] }),
    hook: await startWebhookReceiver({ secret: SECRETS['arn:hook'] }),
  };
});
afterEach(async () => {
  await Promise.all(all().map((r) => r.close()));
});

/** 2,400 people: seg-0 big enough for TikTok's 1,000 minimum; every 7th refused email consent. */
function population(): Person[] {
  return Array.from({ length: 2_400 }, (_, i) => ({
    id: `C${String(i).padStart(5, '0')}`,
    segment: i < 1_400 ? 0 : i % 2 ? 1 : 2,
    email: `Person.${i}@Example.com`,
    phone: `+1415555${String(1000 + i).padStart(4, '0')}`,
    country: 'US',
    consentEmail: i % 7 === 0 ? 0 : 1,
    consentAds: 2,
  }));
}

function config(r: Receivers, extra: Record<string, unknown> = {}) {
  return {
    destinations: {
      meta: {
        type: 'meta',
        segments: ['Lapsing regulars'],
        adAccountId: 'act_1',
        tokenSecretArn: 'arn:meta',
        baseUrl: r.meta.url,
        audiences: { 'seg-1': { audienceId: '2001' } },
        consentChannel: 'email',
      },
      google: {
        type: 'google',
        segments: ['*'],
        customerId: '123-456-7890',
        tokenSecretArn: 'arn:google',
        baseUrl: r.google.url,
        consent: { adUserData: 'GRANTED', adPersonalization: 'GRANTED' },
        audiences: {
          'seg-0': { audienceId: '5550' },
          'seg-1': { audienceId: '5551' },
          'seg-2': { audienceId: '5552' },
        },
      },
      tiktok: {
        type: 'tiktok',
        segments: ['seg-0'],
        advertiserId: '7001',
        audienceId: '9001',
        tokenSecretArn: 'arn:tiktok',
        baseUrl: r.tiktok.url,
      },
      linkedin: {
        type: 'linkedin',
        segments: ['seg-2'],
        segmentId: '3003',
        tokenSecretArn: 'arn:linkedin',
        baseUrl: `${r.linkedin.url}/rest`,
      },
      hook: {
        type: 'webhook',
        segments: ['*'],
        url: `${r.hook.url}/audiences`,
        signingSecretArn: 'arn:hook',
        batchSize: 100,
        audienceNamePrefix: 'Shop · ',
      },
      ...extra,
    },
  };
}

const emailHash = (p: Person) => sha256Hex(p.email.toLowerCase());
const inSegment = (people: Person[], s: number, channel: 'ads' | 'email', erased: Set<string> = new Set()) =>
  new Set(
    people
      .filter((p) => p.segment === s && !isHoldout('holdout-v1', p.id, `seg-${s}`, 0.1) && !erased.has(p.id))
      .filter((p) => channel === 'ads' || p.consentEmail === 1)
      .map(emailHash),
  );

function arrivals(r: Receivers): Record<string, Arrival[]> {
  return {
    meta: metaArrivals(r.meta),
    google: googleArrivals(r.google),
    tiktok: tiktokArrivals(r.tiktok),
    linkedin: linkedinArrivals(r.linkedin),
    hook: webhookArrivals(r.hook),
  };
}

/** Copies a run's inputs to a new run id: "a later run on the same data". */
async function copyRun(
  from: string,
  to: string,
): Promise<{ dataset: string; runId: string; shardCount: number }> {
  for (const [k, v] of [...store.objects]) {
    const prefix = keys.run('shop', from);
    if (k.startsWith(prefix) && !k.endsWith('audiences.json') && !k.endsWith('suppressions.bin'))
      store.objects.set(keys.run('shop', to) + k.slice(prefix.length), v);
  }
  return { dataset: 'shop', runId: to, shardCount: 2 };
}

describe('publishAudiences through every connector', () => {
  it('sends each audience its consented, non-holdout members exactly once, and no raw identifier', async () => {
    // Prepare
    const people = population();
    const ref = await writeRun(store, { dataset: 'shop', runId: 'r1' }, people, config(rx));
    // Act
    const done = await publishAudiences(store, ref, deps);
    // Assess
    for (const r of all()) expect(r.problems).toEqual([]);
    for (const r of all()) expect(r.duplicates).toEqual([]);
    const got = Object.fromEntries(Object.entries(arrivals(rx)).map(([k, v]) => [k, audiencesFrom(v)]));
    expect(got.meta.get('2001')).toEqual(inSegment(people, 1, 'email'));
    expect(got.google.get('5550')).toEqual(inSegment(people, 0, 'ads'));
    expect(got.google.get('5551')).toEqual(inSegment(people, 1, 'ads'));
    expect(got.google.get('5552')).toEqual(inSegment(people, 2, 'ads'));
    expect(got.tiktok.get('9001')).toEqual(inSegment(people, 0, 'ads'));
    expect(got.linkedin.get('3003')).toEqual(inSegment(people, 2, 'ads'));
    expect(got.hook.get('Shop · Lapsing regulars')).toEqual(inSegment(people, 1, 'ads'));
    expect(inSegment(people, 0, 'ads').size).toBeGreaterThan(1_000);
    expect(done).toMatchObject({ audiences: 9, sent: 9, unchanged: 0 });
    const raw = people.flatMap((p) => [p.email, p.email.toLowerCase(), p.phone, p.phone.slice(1)]);
    expect(leaks(all(), raw)).toEqual([]);
    expect(logs.filter((l) => raw.some((s) => l.includes(s)))).toEqual([]);
  });

  it('sends nothing on a duplicate retry of the step or on a later run over the same data', async () => {
    const people = population();
    const ref = await writeRun(store, { dataset: 'shop', runId: 'r1' }, people, config(rx));
    await publishAudiences(store, ref, deps);
    const before = all().map((r) => r.requests.length);
    // Act: the same step again (a Step Functions retry), then a new run id over the same data
    const again = await publishAudiences(store, ref, deps);
    const later = await publishAudiences(store, await copyRun('r1', 'r2'), deps);
    // Assess
    expect(all().map((r) => r.requests.length)).toEqual(before);
    expect(again).toMatchObject({ sent: 0, unchanged: 9 });
    expect(later).toMatchObject({ sent: 0, unchanged: 9 });
  });

  it('fails only a platform that keeps failing, then resumes it without sending any batch twice', async () => {
    // Prepare: the webhook accepts 4 batches, then answers 500 to everything
    const people = population();
    const ref = await writeRun(store, { dataset: 'shop', runId: 'r1' }, people, config(rx));
    let healed = false;
    const faults = Array.from({ length: 200 }, () => ({ status: 500 }));
    rx.hook.faultWhen(() => !healed && rx.hook.accepted.length >= 4, ...faults);
    // Act
    const failed = await publishAudiences(store, ref, deps).catch((e: unknown) => e);
    // Assess: visible failure naming the webhook, every other platform complete and its state saved
    expect(failed).toBeInstanceOf(AudiencePublishError);
    expect((failed as AudiencePublishError).failures.every((f) => f.destination === 'hook')).toBe(true);
    expect((failed as Error).message).toMatch(/hook "Shop · .*HTTP 500/);
    const results = (
      await getJson<{ results: { destination: string; status: string }[] }>(
        store,
        keys.runFile('shop', 'r1', 'audiences.json'),
      )
    ).results;
    expect(results.filter((r) => r.destination !== 'hook').every((r) => r.status === 'sent')).toBe(true);
    const deliveredBefore = rx.hook.accepted.length;
    expect(deliveredBefore).toBeGreaterThanOrEqual(4);
    expect((await loadAudienceState(store, keys.state.audience('shop', 'hook', 'seg-0'))).members.size).toBe(
      0,
    );

    // Act: the platform recovers; the next run resumes
    healed = true;
    const otherRequests = all()
      .filter((r) => r !== rx.hook)
      .map((r) => r.requests.length);
    const resumed = await publishAudiences(store, await copyRun('r1', 'r2'), deps);
    // Assess: only what was missing was sent, nobody twice, every member exactly once
    expect(resumed).toMatchObject({ sent: 3, unchanged: 6 });
    expect(
      all()
        .filter((r) => r !== rx.hook)
        .map((r) => r.requests.length),
    ).toEqual(otherRequests);
    expect(rx.hook.duplicates).toEqual([]);
    const hook = audiencesFrom(webhookArrivals(rx.hook));
    expect(hook.get('Shop · Loyal big spenders')).toEqual(inSegment(people, 0, 'ads'));
    expect(hook.get('Shop · Lapsing regulars')).toEqual(inSegment(people, 1, 'ads'));
    expect(hook.get('Shop · New bargain hunters')).toEqual(inSegment(people, 2, 'ads'));
    const summary = await getJson<{ results: { resumedBatches?: number }[] }>(
      store,
      keys.runFile('shop', 'r2', 'audiences.json'),
    );
    expect(summary.results.reduce((n, r) => n + (r.resumedBatches ?? 0), 0)).toBe(deliveredBefore);
  });

  it('erasure sends removes to every destination and keeps the person out of later runs', async () => {
    // Prepare: one person erased by customer id, one by email hash, one only suppressed
    const people = population();
    const ref = await writeRun(store, { dataset: 'shop', runId: 'r1' }, people, config(rx));
    await publishAudiences(store, ref, deps);
    const pick = (s: number) =>
      people.find((p) => p.segment === s && inSegment(people, s, 'email').has(emailHash(p)))!;
    const [a, b, c] = [pick(0), pick(1), pick(2)];
    const r2 = await copyRun('r1', 'r2');
    await writeSuppressions(store, r2, [
      { customerId: a.id, type: 'erase' },
      { email: b.email, type: 'erase' },
      { customerId: c.id, type: 'suppress' },
    ]);
    const before = arrivals(rx);
    // Act
    await publishAudiences(store, r2, deps);
    // Assess: removes for a at google seg-0, tiktok, hook; b at meta, google, hook; c at linkedin, google, hook
    const after = arrivals(rx);
    const removes = Object.fromEntries(
      Object.entries(after).map(([k, v]) => [
        k,
        v
          .slice(before[k].length)
          .filter((x) => x.op === 'remove')
          .map((x) => x.email)
          .sort(),
      ]),
    );
    expect(removes).toEqual({
      meta: [emailHash(b)],
      google: [emailHash(a), emailHash(b), emailHash(c)].sort(),
      tiktok: [emailHash(a)],
      linkedin: [emailHash(c)],
      hook: [emailHash(a), emailHash(b), emailHash(c)].sort(),
    });
    const report = await getJson<{ places: { where: string; removed: number }[] }>(
      store,
      keys.runFile('shop', 'r2', 'erasure-audiences.json'),
    );
    expect(report.places.reduce((n, p) => n + p.removed, 0)).toBe(6); // a and b: 3 places each; c was only suppressed
    // A later run without any request file: the erased stay out, the suppressed-only person returns
    const beforeLater = arrivals(rx);
    await publishAudiences(store, await copyRun('r1', 'r3'), deps);
    const added = Object.values(arrivals(rx))
      .flatMap((v, i) => v.slice(Object.values(beforeLater)[i].length))
      .filter((x) => x.op === 'add')
      .map((x) => x.email);
    expect(added).not.toContain(emailHash(a));
    expect(added).not.toContain(emailHash(b));
    expect(added).toContain(emailHash(c));
  });

  it('an erasure still reaches an audience whose segment is no longer published', async () => {
    // Prepare: seg-2 was pushed (LinkedIn, Google, webhook), then fails validation in a later run
    const people = population();
    const r1 = await writeRun(store, { dataset: 'shop', runId: 'r1' }, people, config(rx));
    await publishAudiences(store, r1, deps);
    const gone = people.find((p) => p.segment === 2 && inSegment(people, 2, 'email').has(emailHash(p)))!;
    const r2 = await writeRun(store, { dataset: 'shop', runId: 'r2' }, people, config(rx), {
      notPublished: [2],
    });
    await writeSuppressions(store, r2, [{ customerId: gone.id, type: 'erase' }]);
    const before = arrivals(rx);
    // Act
    await publishAudiences(store, r2, deps);
    // Assess: only that person's removes, at the three destinations that held the old audience
    const after = arrivals(rx);
    const fresh = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v.slice(before[k].length)]));
    expect(fresh.linkedin).toEqual([{ audience: '3003', op: 'remove', email: emailHash(gone) }]);
    expect(fresh.google).toEqual([{ audience: '5552', op: 'remove', email: emailHash(gone) }]);
    expect(fresh.hook).toEqual([
      { audience: 'Shop · New bargain hunters', op: 'remove', email: emailHash(gone) },
    ]);
    expect(fresh.meta).toEqual([]);
    expect(fresh.tiktok).toEqual([]);
  });

  it('a dry run reports the delta, sends nothing and keeps the state', async () => {
    const people = population();
    const cfg = config(rx);
    for (const d of Object.values(cfg.destinations)) (d as Record<string, unknown>).dryRun = true;
    const ref = await writeRun(store, { dataset: 'shop', runId: 'r1' }, people, cfg);
    const done = await publishAudiences(store, ref, deps);
    expect(all().reduce((n, r) => n + r.requests.length, 0)).toBe(0);
    expect(done).toMatchObject({ audiences: 9, sent: 0 });
    const results = (
      await getJson<{ results: { status: string; adds: number }[] }>(
        store,
        keys.runFile('shop', 'r1', 'audiences.json'),
      )
    ).results;
    expect(results.every((r) => r.status === 'dry-run' && r.adds > 300)).toBe(true);
    expect(await store.getIfExists(keys.state.audience('shop', 'meta', 'seg-1'))).toBeUndefined();
  });

  it('when a dataset states ads consent for anyone, only granted (1) members are sent', async () => {
    // Prepare: ads consent stated for two thirds (granted / refused), unstated for the rest
    const people = population().map((p, i) => ({ ...p, consentAds: i % 3 === 0 ? 1 : i % 3 === 1 ? 0 : 2 }));
    const ref = await writeRun(store, { dataset: 'shop', runId: 'r1' }, people, {
      destinations: { hook: config(rx).destinations.hook },
    });
    // Act
    await publishAudiences(store, ref, deps);
    // Assess
    const hook = audiencesFrom(webhookArrivals(rx.hook));
    const expected = new Set(
      people
        .filter((p) => p.segment === 1 && p.consentAds === 1 && !isHoldout('holdout-v1', p.id, 'seg-1', 0.1))
        .map(emailHash),
    );
    expect(hook.get('Shop · Lapsing regulars')).toEqual(expected);
  });
});
