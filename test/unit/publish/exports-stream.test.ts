// PublishExports streams its CSVs part by part and its Parquet a row group per shard: the bytes equal a single write, no part exceeds the
// part size, a failure mid-export leaves yesterday's file in place, and S3 aborts a failed upload.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { publishExports } from '../../../lib/pipeline/publish.js';
import { MemoryBlobStore, PartWriter } from '../../../lib/storage/blob.js';
import { keys } from '../../../lib/storage/keys.js';
import { S3BlobStore } from '../../../lib/storage/s3.js';
import { makePopulation, writeRun } from './fixture.js';

const decoder = new TextDecoder();

describe('PartWriter', () => {
  it('hands on parts of at most the part size whose bytes join to the written text, multibyte included', async () => {
    // Prepare: 50k lines with 2-, 3- and 4-byte characters, so characters straddle part boundaries
    const parts: Uint8Array[] = [];
    const writer = new PartWriter(
      { part: async (bytes) => void parts.push(bytes.slice()), abort: async () => {} },
      4096,
    );
    const lines = Array.from({ length: 50_000 }, (_, i) => `C${i},Café ✓ 🛒,${i % 7}\n`);

    // Act
    for (const line of lines) await writer.write(line);
    await writer.close();

    // Assess
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.byteLength;
    }
    expect(decoder.decode(joined)).toBe(lines.join(''));
    expect(Math.max(...parts.map((p) => p.byteLength))).toBeLessThanOrEqual(4096);
    expect(writer.maxBufferedBytes).toBeLessThanOrEqual(4096);
    expect(parts.length).toBeGreaterThan(250);
  });
});

describe('publishExports streamed', () => {
  it('writes 200k customers over 5 shards in 256 KiB parts with the same bytes as one part', async () => {
    // Prepare: the same run in two stores, one with small parts, one large enough for a single part
    const people = makePopulation(200_000, 3);
    const small = new MemoryBlobStore();
    small.partBytes = 256 * 1024;
    const whole = new MemoryBlobStore();
    whole.partBytes = 64 * 1024 * 1024;
    const ref = { dataset: 'shop', runId: 'r1' };
    const run = await writeRun(small, ref, people, {}, { shards: 5 });
    await writeRun(whole, ref, people, {}, { shards: 5 });

    // Act
    const done = await publishExports(small, run);
    await publishExports(whole, run);

    // Assess: every export byte for byte, the memberships file many parts long, no part above the size
    const prefix = keys.exports('shop');
    const exported = [...whole.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    expect(exported).toHaveLength(2 + 3 * 2);
    for (const key of exported) {
      // Buffer.equals: vitest's deep equality walks megabytes element by element
      const same = Buffer.from(small.objects.get(key) ?? []).equals(
        Buffer.from(whole.objects.get(key) ?? []),
      );
      expect(same, key).toBe(true);
    }
    const memberships = decoder.decode(small.objects.get(`${prefix}memberships.csv`));
    expect(memberships.split('\n')).toHaveLength(200_000 + 2);
    expect(memberships.startsWith('customer_id,segment_id,segment_name,holdout,distance,')).toBe(true);
    expect(small.objects.get(`${prefix}memberships.csv`)?.byteLength).toBeGreaterThan(20 * 256 * 1024);
    expect(small.maxPartBytes).toBeLessThanOrEqual(256 * 1024);
    expect(small.maxPartBytes).toBeGreaterThan(250 * 1024);
    const seg0 = decoder.decode(small.objects.get(`${prefix}segments/seg-0.csv`));
    expect(seg0.split('\n')).toHaveLength(Math.ceil(200_000 / 3) + 2);
    expect(done.files).toBe(8);
    // Parquet: a row group per shard, the same customers in the same order as the segment's CSV
    const bytes = small.objects.get(`${prefix}segments/seg-0.parquet`) ?? new Uint8Array();
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const meta = parquetMetadata(file);
    expect(meta.row_groups).toHaveLength(5);
    const rows = await parquetReadObjects({ file, columns: ['customer_id', 'segment_id', 'holdout'] });
    const csvRows = seg0.trim().split('\n').slice(1);
    expect(rows.map((r) => `${r.customer_id},${r.holdout ? 1 : 0}`)).toEqual(csvRows);
    expect(new Set(rows.map((r) => r.segment_id))).toEqual(new Set(['seg-0']));
  }, 60_000);

  it('keeps the previous exports when a shard cannot be read mid-export', async () => {
    // Prepare: a published run, then a second run whose fourth shard is missing
    const store = new MemoryBlobStore();
    store.partBytes = 64 * 1024;
    const people = makePopulation(20_000, 3);
    const first = await writeRun(store, { dataset: 'shop', runId: 'r1' }, people, {}, { shards: 5 });
    await publishExports(store, first);
    const prefix = keys.exports('shop');
    const before = store.objects.get(`${prefix}memberships.csv`);
    const beforeSegment = store.objects.get(`${prefix}segments/seg-0.csv`);
    const second = await writeRun(
      store,
      { dataset: 'shop', runId: 'r2' },
      people.slice(0, 10_000),
      {},
      { shards: 5 },
    );
    await store.delete([keys.shardFile('shop', 'r2', 3, 'scores.bin')]);

    // Act
    const failed = await publishExports(store, second).then(
      () => undefined,
      (error: Error) => error,
    );

    // Assess
    expect(failed?.name).toBe('NoSuchKey');
    expect(store.objects.get(`${prefix}memberships.csv`)).toBe(before);
    expect(store.objects.get(`${prefix}segments/seg-0.csv`)).toBe(beforeSegment);
  });
});

describe('S3BlobStore.openWrite when a part fails', () => {
  it('aborts the multipart upload and reports the part failure', async () => {
    // Prepare: the second part fails (a failure s3rver cannot produce)
    const s3 = mockClient(S3Client);
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
    s3.on(UploadPartCommand).resolvesOnce({ ETag: '"p1"' }).rejects(new Error('connection reset'));
    s3.on(AbortMultipartUploadCommand).resolves({});
    const store = new S3BlobStore(new S3Client({ region: 'us-east-1' }), 'b', 1024);
    const writer = store.openWrite('exports/shop/latest/memberships.csv', 'text/csv');

    // Act
    let failure: Error | undefined;
    try {
      for (let i = 0; i < 100_000; i++) await writer.write(`C${i},seg-0\n`);
      await writer.close();
    } catch (error) {
      failure = error as Error;
    }

    // Assess
    expect(failure?.message).toBe('connection reset');
    expect(s3.commandCalls(UploadPartCommand)).toHaveLength(2);
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'b', Key: 'exports/shop/latest/memberships.csv', UploadId: 'up-1' },
    ]);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    s3.restore();
  });
});
