// S3BlobStore.streamRange on the s3rver stand-in: an Ingest range worker reads exactly bytes
// [start, end) of an export with an HTTP Range GET, so the local run cuts files as AWS does.
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandIns, startStandIns } from '../../infra/local/standins.js';
import { MemoryBlobStore } from '../../lib/storage/blob.js';
import { createS3Client } from '../../lib/storage/clients.js';
import { S3BlobStore } from '../../lib/storage/s3.js';

async function bytesOf(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

describe('S3BlobStore.streamRange on s3rver', () => {
  let standIns: StandIns;
  let s3: S3Client;
  let store: S3BlobStore;
  const body = Buffer.from(Array.from({ length: 300_000 }, (_, i) => `row ${i}, Café\n`).join(''));
  beforeAll(async () => {
    standIns = await startStandIns();
    standIns.applyEnvironment();
    s3 = createS3Client();
    await s3.send(new CreateBucketCommand({ Bucket: 'range-test' }));
    store = new S3BlobStore(s3, 'range-test');
    await store.put('incoming/shop/orders.csv', body, 'text/csv');
  });
  afterAll(async () => {
    s3?.destroy();
    await standIns?.stop();
  });

  it('returns exactly the asked bytes: the start, the middle and the end of the object', async () => {
    // Prepare: cuts that fall inside a two-byte UTF-8 character too (bytes, not characters)
    const cuts: [number, number][] = [
      [0, 1000],
      [123_457, 2_345_679],
      [body.length - 17, body.length],
    ];
    // Act
    const got = await Promise.all(
      cuts.map(async ([start, end]) =>
        bytesOf(await store.streamRange('incoming/shop/orders.csv', start, end)),
      ),
    );
    // Assess
    expect(body.length).toBeGreaterThan(4_000_000);
    got.forEach((bytes, i) => {
      expect(bytes.equals(body.subarray(cuts[i][0], cuts[i][1]))).toBe(true);
    });
  }, 30_000);

  it('reads an empty range as no bytes, as the in-memory store does', async () => {
    // Act
    const s3Bytes = await bytesOf(await store.streamRange('incoming/shop/orders.csv', 5, 5));
    const memory = new MemoryBlobStore();
    await memory.put('k', body);
    const memoryBytes = await bytesOf(await memory.streamRange('k', 5, 5));
    const memorySlice = await bytesOf(await memory.streamRange('k', 10, 20));
    // Assess
    expect(s3Bytes.length).toBe(0);
    expect(memoryBytes.length).toBe(0);
    expect(memorySlice.equals(body.subarray(10, 20))).toBe(true);
  });
});
