// The starter over S3: on the s3rver stand-in (the real wire protocol, no versions) files dropped
// together settle into one run; ListObjectVersions (which s3rver lacks) through aws-sdk-client-mock.
import { CreateBucketCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandIns, startStandIns } from '../../../infra/local/standins.js';
import { inlineObjects } from '../../../lib/pipeline/snapshot.js';
import { settleAndStart, settleRequestOfDrop } from '../../../lib/pipeline/starter.js';
import type { RunInput, SettleRequest } from '../../../lib/pipeline/types.js';
import { createS3Client } from '../../../lib/storage/clients.js';
import { S3BlobStore } from '../../../lib/storage/s3.js';

describe('on the s3rver stand-in', () => {
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

describe('ListObjectVersions (mocked: s3rver has no versions)', () => {
  it('takes the latest version of each key, skipping delete markers and noncurrent versions, across pages', async () => {
    // Prepare
    const s3 = mockClient(S3Client);
    const at = new Date('2026-11-23T06:00:00Z');
    s3.on(ListObjectVersionsCommand, { KeyMarker: undefined })
      .resolves({
        IsTruncated: true,
        NextKeyMarker: 'incoming/shop/b.csv',
        NextVersionIdMarker: 'b1',
        Versions: [
          {
            Key: 'incoming/shop/a.csv',
            VersionId: 'a2',
            IsLatest: true,
            Size: 5,
            ETag: '"ea2"',
            LastModified: at,
          },
          {
            Key: 'incoming/shop/a.csv',
            VersionId: 'a1',
            IsLatest: false,
            Size: 4,
            ETag: '"ea1"',
            LastModified: at,
          },
          {
            Key: 'incoming/shop/b.csv',
            VersionId: 'b1',
            IsLatest: false,
            Size: 3,
            ETag: '"eb1"',
            LastModified: at,
          },
        ],
        // b.csv was deleted: its latest "version" is a delete marker
        DeleteMarkers: [{ Key: 'incoming/shop/b.csv', VersionId: 'b2', IsLatest: true, LastModified: at }],
      })
      .on(ListObjectVersionsCommand, { KeyMarker: 'incoming/shop/b.csv', VersionIdMarker: 'b1' })
      .resolves({
        IsTruncated: false,
        Versions: [
          {
            Key: 'incoming/shop/c.csv',
            VersionId: 'null',
            IsLatest: true,
            Size: 7,
            ETag: '"ec"',
            LastModified: at,
          },
        ],
      });
    const store = new S3BlobStore(new S3Client({ region: 'eu-west-1' }), 'data');
    // Act
    const listed = await store.listLatestVersions('incoming/shop/');
    // Assess: "null" is the version of an object written before versioning was enabled
    expect(listed).toEqual([
      { key: 'incoming/shop/a.csv', versionId: 'a2', size: 5, etag: 'ea2', lastModifiedMs: at.getTime() },
      { key: 'incoming/shop/c.csv', size: 7, etag: 'ec', lastModifiedMs: at.getTime() },
    ]);
    expect(s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(2);
    s3.restore();
  });
});
