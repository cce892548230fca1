// Watch mode as the marketers' drop-a-file flow on a laptop: a real S3 client puts files and a
// config into the local S3, one run starts over the settled snapshot, outputs land on disk.
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../infra/local/progress.js';
import { AwsChunkedDecoder } from '../../infra/local/standins.js';
import { type WatchHandle, type WatchRun, watch } from '../../infra/local/watch.js';
import { smallSample } from '../support/local.js';

describe('npm run segment -- --watch', () => {
  let out: string;
  let handle: WatchHandle;
  let client: S3Client;
  const started: string[] = [];
  const drops: string[] = [];
  const progress: ProgressEvent[] = [];

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'watch-e2e-'));
    handle = await watch({ out, settleMs: 500, port: 0, onProgress: (_d, e) => progress.push(e) });
    handle.runs.on('started', (s) => started.push(s.runId));
    handle.runs.on('drop', (d) => drops.push(d.key));
    // what a marketer's S3 client needs: the printed endpoint, bucket, region and dummy keys
    client = new S3Client({
      endpoint: handle.endpoint,
      region: handle.region,
      credentials: handle.credentials,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }, 120_000);

  afterAll(async () => {
    client?.destroy();
    await handle?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('runs once over files dropped together, honouring the config the client put', async () => {
    // Prepare
    const files = smallSample(600);
    const finished = once(handle.runs, 'finished') as Promise<[WatchRun]>;

    // Act
    await client.send(
      new PutObjectCommand({
        Bucket: handle.bucket,
        Key: 'config/shop.json',
        Body: JSON.stringify({ shards: 2 }),
      }),
    );
    await client.send(
      new PutObjectCommand({
        Bucket: handle.bucket,
        Key: 'incoming/shop/customers.csv',
        Body: files.customers,
      }),
    );
    await client.send(
      new PutObjectCommand({
        Bucket: handle.bucket,
        Key: 'incoming/shop/transactions.csv',
        Body: files.transactions,
      }),
    );
    const [run] = await finished;

    // Assess
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(started).toEqual([run.runId]);
    expect(drops).toEqual(['incoming/shop/customers.csv', 'incoming/shop/transactions.csv']);
    expect(run.files.sort()).toEqual(['customers.csv', 'transactions.csv']);
    expect(run.summary?.customers).toBe(600);
    expect(run.summary?.segments.length).toBeGreaterThanOrEqual(2);
    expect(run.outDir).toBe(join(out, 'shop', run.runId));
    for (const f of ['report.html', 'run.json', 'segments.csv', 'memberships.csv'])
      expect(existsSync(join(run.outDir!, f)), f).toBe(true);
    const memberships = readFileSync(join(run.outDir!, 'memberships.csv'), 'utf8').trim().split('\n');
    expect(memberships).toHaveLength(601);
    // config/shop.json from the client: two shards
    expect(progress).toContainEqual(
      expect.objectContaining({ type: 'shard-finished', state: 'BuildFeatures', done: 2, total: 2 }),
    );
    expect(progress).toContainEqual({
      type: 'rows',
      read: expect.any(Number),
      accepted: expect.any(Number),
      rejected: 0,
    });
  }, 180_000);

  it('starts nothing new when the same snapshot is dropped again', async () => {
    // Prepare
    const files = smallSample(600);
    const finished = once(handle.runs, 'finished') as Promise<[WatchRun]>;

    // Act
    await client.send(
      new PutObjectCommand({
        Bucket: handle.bucket,
        Key: 'incoming/shop/customers.csv',
        Body: files.customers,
      }),
    );
    const [run] = await finished;

    // Assess
    expect(run.status).toBe('unchanged');
    expect(run.runId).toBe(started[0]);
    expect(started).toHaveLength(1);
  });

  it('stores what a client with default checksums (aws-chunked uploads, like the AWS CLI v2) sent', async () => {
    // Prepare
    const defaults = new S3Client({
      endpoint: handle.endpoint,
      region: handle.region,
      credentials: handle.credentials,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_SUPPORTED',
    });
    const body = 'customer_id,total\nC1,10.5\nC2,7\n';

    // Act: a stream of unknown framing makes the SDK send aws-chunked with a trailing checksum
    await defaults.send(
      new PutObjectCommand({
        Bucket: handle.bucket,
        Key: 'scratch/streamed.csv',
        Body: Readable.from([Buffer.from(body)]),
        ContentLength: Buffer.byteLength(body),
      }),
    );
    const got = await defaults.send(
      new GetObjectCommand({ Bucket: handle.bucket, Key: 'scratch/streamed.csv' }),
    );
    const text = await got.Body!.transformToString();
    defaults.destroy();

    // Assess
    expect(text).toBe(body);
  });

  it('decodes aws-chunked bodies split at any byte', async () => {
    // Prepare
    const framed = '5;chunk-signature=ab\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n';
    const decoder = new AwsChunkedDecoder();
    const parts: Buffer[] = [];
    decoder.on('data', (d: Buffer) => parts.push(d));

    // Act
    for (const byte of Buffer.from(framed)) decoder.write(Buffer.from([byte]));
    decoder.end();
    await once(decoder, 'end');

    // Assess
    expect(Buffer.concat(parts).toString()).toBe('hello world');
  });

  it('ignores keys the starter cannot use, and closes the stand-ins on stop', async () => {
    // Prepare
    const ignored = once(handle.runs, 'ignored') as Promise<[{ key: string; reason: string }]>;

    // Act
    await client.send(
      new PutObjectCommand({ Bucket: handle.bucket, Key: 'incoming/loose.csv', Body: 'a\n1' }),
    );
    const [event] = await ignored;
    await handle.stop();
    const after = await fetch(handle.endpoint).then(
      () => 'answered',
      () => 'refused',
    );

    // Assess
    expect(event.key).toBe('incoming/loose.csv');
    expect(event.reason).toMatch(/incoming\/<dataset>\/<file>/);
    expect(after).toBe('refused');
  });
});
