// The pieces under the publish stages: audience deltas and state, batch-key generations, S3
// checkpoints, suppression/erasure lists, local secrets, the delta membership write under
// UnprocessedItems and throttling, and the privacy scan itself.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { recordDigest } from '../../../lib/pipeline/publish.js';
import {
  AudienceMembers,
  audienceDelta,
  deltaId,
  loadAudienceState,
  S3CheckpointStore,
  saveAudienceState,
} from '../../../lib/publish/audience-state.js';
import { hashIdentity } from '../../../lib/publish/identity.js';
import { createRunSecretProvider } from '../../../lib/publish/secrets.js';
import { exclusionOf, loadSuppressions, rememberErasures } from '../../../lib/publish/suppressions.js';
import { MemoryBlobStore } from '../../../lib/storage/blob.js';
import { keys } from '../../../lib/storage/keys.js';
import { DynamoSegmentStore, membershipRecord } from '../../../lib/storage/segment-store.js';
import { leaksInText } from './arrivals.js';
import { writeSuppressions } from './fixture.js';

const person = (i: number, email = `p${i}@example.com`) =>
  hashIdentity({ customerId: `C${i}`, email, phone: `+1415555${1000 + i}` });

describe('audience delta and state', () => {
  it('adds the new, removes the gone, and swaps a member whose identifiers changed', () => {
    const previous = new Map([1, 2, 3].map((i) => [`C${i}`, person(i)]));
    const target = new Map([
      ['C2', person(2)],
      ['C3', person(3, 'new3@example.com')],
      ['C4', person(4)],
    ]);
    const { adds, removes } = audienceDelta(previous, target);
    expect(adds.map((m) => m.customerId)).toEqual(['C3', 'C4']);
    expect(removes.map((m) => m.customerId)).toEqual(['C1', 'C3']);
    expect(removes[1].emailSha256).toBe(person(3).emailSha256);
  });

  it('round-trips hashed state with its generation, and nothing raw is stored', async () => {
    const store = new MemoryBlobStore();
    const key = keys.state.audience('shop', 'meta ads', 'seg-1');
    await saveAudienceState(store, key, {
      generation: 4,
      members: AudienceMembers.fromIdentities([person(1)]),
    });
    const back = await loadAudienceState(store, key);
    expect(key).toBe('state/shop/audiences/meta_ads/seg-1.bin');
    expect(back.generation).toBe(4);
    expect(back.members.identities([0])).toEqual([person(1)]);
    expect(new TextDecoder().decode(store.objects.get(key))).not.toContain('example.com');
    expect((await loadAudienceState(store, 'state/none.bin')).generation).toBe(0);
  });

  it('gives a later delta with identical content different batch keys (added, removed, added again)', () => {
    expect(deltaId('shop', 'meta', 'seg-1', 0)).not.toBe(deltaId('shop', 'meta', 'seg-1', 2));
    expect(deltaId('shop', 'meta', 'seg-1', 3)).toBe(deltaId('shop', 'meta', 'seg-1', 3));
  });

  it('keeps checkpoints as S3 objects under state/<dataset>/checkpoints/', async () => {
    const store = new MemoryBlobStore();
    const checkpoints = new S3CheckpointStore(store, keys.state.checkpoints('shop'));
    await checkpoints.put('batch#abc', 'sent');
    expect(await checkpoints.get('batch#abc')).toBe('sent');
    expect(await checkpoints.get('batch#def')).toBeUndefined();
    expect([...store.objects.keys()]).toEqual(['state/shop/checkpoints/batch_abc']);
  });
});

describe('suppressions and erasures', () => {
  it('matches by customer id, email hash or phone hash and remembers erasures once', async () => {
    // Prepare
    const store = new MemoryBlobStore();
    const ref = { dataset: 'shop', runId: 'r1' };
    await writeSuppressions(store, ref, [
      { customerId: 'C1', type: 'erase' },
      { email: ' P2@Example.com ', type: 'erase' },
      { phone: '+14155551003', type: 'suppress' },
    ]);
    // Act
    const list = await loadSuppressions(store, ref);
    const added = await rememberErasures(store, ref);
    const addedAgain = await rememberErasures(store, ref);
    const later = await loadSuppressions(store, { dataset: 'shop', runId: 'r2' });
    // Assess
    expect(list.requests).toEqual({ suppress: 1, erase: 2 });
    expect(exclusionOf(list, 'C1')).toBe('erased');
    expect(exclusionOf(list, 'C2', person(2))).toBe('erased');
    expect(exclusionOf(list, 'C3', person(3))).toBe('suppressed');
    expect(exclusionOf(list, 'C4', person(4))).toBeNull();
    expect([added, addedAgain]).toEqual([2, 0]);
    expect(later.remembered).toBe(2);
    expect(exclusionOf(later, 'C2', person(2))).toBe('erased');
    expect(exclusionOf(later, 'C3', person(3))).toBeNull();
    expect(new TextDecoder().decode(store.objects.get('state/shop/erased.bin'))).not.toContain('example');
  });
});

describe('local secrets', () => {
  it('reads local:NAME from LOCAL_SECRETS_FILE outside Lambda, refuses it inside, passes ARNs on', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'secrets.json');
    writeFileSync(file, JSON.stringify({ meta: 'tok-1' }));
    const remote = async (arn: string) => `remote:${arn}`;
    const local = createRunSecretProvider(remote, { LOCAL_SECRETS_FILE: file });
    const lambda = createRunSecretProvider(remote, {
      LOCAL_SECRETS_FILE: file,
      AWS_LAMBDA_FUNCTION_NAME: 'f',
    });
    expect(await local('local:meta')).toBe('tok-1');
    expect(await local('arn:aws:secretsmanager:eu-west-1:1:secret:x')).toBe(
      'remote:arn:aws:secretsmanager:eu-west-1:1:secret:x',
    );
    await expect(local('local:nope')).rejects.toThrow(/no such entry/);
    await expect(lambda('local:meta')).rejects.toThrow(/local runs only/);
    await expect(local('local:nope')).rejects.not.toThrow(/tok-1/);
  });
});

describe('writeMemberships under DynamoDB pushback', () => {
  it('re-sends UnprocessedItems and throttled requests until every put and delete is written', async () => {
    // Prepare: 30 requests → 25 + 5; the first answer leaves 3 unprocessed, then one throttle
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
    const mock = mockClient(doc);
    const sleeps: number[] = [];
    const puts = Array.from({ length: 27 }, (_, i) =>
      membershipRecord('shop', 'clusters', {
        customerId: `C${i}`,
        segmentId: 's',
        runId: 'r',
        holdout: false,
        distance: 1,
      }),
    );
    let first = true;
    mock.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => {
      if (first) {
        first = false;
        return { UnprocessedItems: { m: input.RequestItems.m.slice(0, 3) } };
      }
      if (sleeps.length === 1)
        throw Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
      return { UnprocessedItems: {} };
    });
    const store = new DynamoSegmentStore(
      doc,
      { catalog: 'c', memberships: 'm', runs: 'r' },
      {
        sleep: async (ms) => void sleeps.push(ms),
        random: () => 1,
      },
    );
    // Act
    const calls = await store.writeMemberships('shop', 'clusters', puts, ['C90', 'C91', 'C92']);
    // Assess: 25 and the last 5 go out together; then the 3 left (throttled) → 3 again: 4 calls,
    // the backoff doubles
    expect(calls).toBe(4);
    expect(sleeps).toEqual([50, 100]);
    const sent = mock.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems?.m.length);
    expect(sent).toEqual([25, 5, 3, 3]);
    const last = mock.commandCalls(BatchWriteCommand)[1]?.args[0].input.RequestItems?.m ?? [];
    expect(last.filter((r) => r.DeleteRequest).map((r) => r.DeleteRequest?.Key)).toEqual([
      { pk: 'shop#C90', sk: 'clusters' },
      { pk: 'shop#C91', sk: 'clusters' },
      { pk: 'shop#C92', sk: 'clusters' },
    ]);
    mock.restore();
  });

  it('stores attributes added to a membership (e.g. score, band) without code changes here', () => {
    const item = {
      customerId: 'C1',
      segmentId: 's',
      runId: 'r',
      holdout: true,
      distance: 0.123456,
      band: 'high',
    };
    expect(membershipRecord('shop', 'clusters', item)).toMatchObject({
      band: 'high',
      distance: 0.1235,
      segmentKey: 'shop#s',
    });
  });
});

describe('membership digest', () => {
  it('is the digest of the record without runId in canonical JSON, whatever the key order', () => {
    // Prepare: the digest stored by earlier runs was sha256 of canonical JSON (keys sorted) without runId
    const record = membershipRecord('shop', 'clusters', {
      customerId: 'C1',
      segmentId: 's',
      runId: 'r9',
      holdout: false,
      distance: 0.5,
      score: 71.25,
      band: 'high',
    });
    const { runId: _, ...rest } = record;
    const canonical = `{${Object.keys(rest)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${JSON.stringify(rest[k])}`)
      .join(',')}}`;
    // Act
    const d = recordDigest(record);
    const reordered = recordDigest(Object.fromEntries(Object.entries(record).reverse()));
    // Assess
    expect(d).toBe(createHash('sha256').update(canonical).digest('hex').slice(0, 16));
    expect(reordered).toBe(d);
    expect(recordDigest({ ...record, runId: 'r10' })).toBe(d);
    expect(recordDigest({ ...record, distance: 0.6 })).not.toBe(d);
  });
});

describe('privacy scan', () => {
  it('finds a raw email or phone in a body, URL-encoded or not, and nothing in hashes', () => {
    const raw = ['p1@example.com', '+14155551001'];
    expect(leaksInText(['{"e":"P1@Example.com"}'], raw)).toEqual(['p1@example.com']);
    expect(leaksInText(['payload=%2B14155551001'], raw)).toEqual(['+14155551001']);
    expect(leaksInText([JSON.stringify(person(1))], raw)).toEqual([]);
  });
});
