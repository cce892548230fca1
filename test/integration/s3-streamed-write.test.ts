// S3BlobStore.openWrite on the s3rver stand-in: an object above one part goes up as a multipart upload
// with the exact bytes; a small one as one PutObject; an aborted upload leaves no object behind.
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type StandIns, startStandIns } from '../../infra/local/standins.js';
import { createS3Client } from '../../lib/storage/clients.js';
import { S3BlobStore } from '../../lib/storage/s3.js';

const MiB = 1024 * 1024;

describe('S3BlobStore.openWrite on s3rver', () => {
  let standIns: StandIns;
  let s3: S3Client;
  let store: S3BlobStore;
  beforeAll(async () => {
    standIns = await startStandIns();
    standIns.applyEnvironment();
    s3 = createS3Client();
    await s3.send(new CreateBucketCommand({ Bucket: 'stream-test' }));
    // S3's smallest part (5 MiB) keeps the upload real while the object stays small
    store = new S3BlobStore(s3, 'stream-test', 5 * MiB);
  });
  afterAll(async () => {
    await standIns?.stop();
  });

  it('uploads 12 MiB in three parts whose join is the written text', async () => {
    // Prepare
    const lines = Array.from(
      { length: 550_000 },
      (_, i) => `C${String(i).padStart(7, '0')},seg-${i % 4},Café,1\n`,
    );
    const expected = lines.join('');
    const writer = store.openWrite('exports/shop/latest/memberships.csv', 'text/csv');
    const send = vi.spyOn(s3, 'send');

    // Act
    for (const line of lines) await writer.write(line);
    await writer.close();

    // Assess
    const listed = await store.list('exports/shop/latest/');
    expect(listed.map((o) => o.key)).toEqual(['exports/shop/latest/memberships.csv']);
    expect(Buffer.byteLength(expected)).toBeGreaterThan(10 * MiB);
    expect(listed[0].size).toBe(Buffer.byteLength(expected));
    const sent = send.mock.calls.map(([command]) => command.constructor.name);
    expect(sent.filter((n) => n === 'UploadPartCommand')).toHaveLength(3);
    expect(sent).toContain('CompleteMultipartUploadCommand');
    expect(sent).not.toContain('PutObjectCommand');
    const got = Buffer.from(await store.get('exports/shop/latest/memberships.csv'));
    expect(got.equals(Buffer.from(expected))).toBe(true);
    send.mockRestore();
  }, 30_000);

  it('writes an object below one part with a single PutObject', async () => {
    // Act
    const writer = store.openWrite('exports/shop/latest/segments/seg-0.csv', 'text/csv');
    await writer.write('customer_id,holdout\n');
    await writer.write('C1,0\n');
    await writer.close();

    // Assess
    const listed = await store.list('exports/shop/latest/segments/');
    expect(listed[0].etag).not.toContain('-');
    expect(new TextDecoder().decode(await store.get(listed[0].key))).toBe('customer_id,holdout\nC1,0\n');
  });

  it('leaves no object when aborted after parts went up', async () => {
    // Prepare: more than two parts written, so the multipart upload exists
    const writer = store.openWrite('exports/other/latest/memberships.csv', 'text/csv');
    const line = `${'x'.repeat(99)}\n`;
    for (let i = 0; i < 120_000; i++) await writer.write(line);

    // Act
    await writer.abort();

    // Assess
    expect(await store.getIfExists('exports/other/latest/memberships.csv')).toBeUndefined();
    expect(await store.list('exports/other/')).toEqual([]);
    // s3rver lists no multipart uploads (nor aborts them); real S3's abort is mocked in exports-stream
  }, 30_000);
});
