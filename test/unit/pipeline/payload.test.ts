// Step Functions caps a state's input/output at 256 KiB: every pointer the stages pass must stay far
// below it whatever the input size, because bulky data lives in S3.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RANGE_BYTES, MAX_RANGES } from '../../../lib/ingest/ranges.js';
import { shardCountFor } from '../../../lib/ingest/stage.js';
import type { IngestPlanOutput } from '../../../lib/pipeline/ingest.js';
import { snapshotRunInput } from '../../../lib/pipeline/snapshot.js';
import type { IngestOutput, RunInput } from '../../../lib/pipeline/types.js';
import { MemoryBlobStore } from '../../../lib/storage/blob.js';

const LIMIT = 256 * 1024;
const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

describe('state payloads', () => {
  it('stay under 256 KiB for a 100M-customer input', () => {
    // Prepare: 100M customers × 12 order lines × ~80 bytes a line
    const bytes = 100e6 * 12 * 80;
    const shardCount = shardCountFor(bytes, 0);
    const run: RunInput = {
      dataset: 'a-dataset-name-of-sixty-four-characters-long-xxxxxxxxxxxxxxxxxx',
      runId: 'r0123456789abcdef',
      objects: Array.from({ length: 500 }, (_, i) => ({
        key: `incoming/a-dataset/orders/part-${String(i).padStart(5, '0')}.csv.gz`,
        size: bytes / 500,
        etag: 'd41d8cd98f00b204e9800998ecf8427e',
        versionId: 'Wc2KZhnHb8FtP4fTRgNj.TBPtLIBmSaP',
      })),
    };
    const ingest: IngestOutput = {
      shardCount,
      shards: Array.from({ length: shardCount }, (_, index) => ({ index })),
      asOfMs: Date.now(),
      rows: { read: 1.2e9, accepted: 1.2e9, rejected: 0 },
    };
    // Act: the largest state the workflow carries is the run input plus every step's result
    const state = {
      ...run,
      ingest,
      fit: { dataset: run.dataset, runId: run.runId, stage: 'fit', k: 5, customers: 100e6 },
      validate: { stage: 'validate', segments: 5, published: 5 },
      publish: [{ stage: 'a' }, { stage: 'b' }, { stage: 'c' }],
      // a Distributed Map's collected results: each child returns its shard index only
      mapResults: Array.from({ length: shardCount }, (_, i) => i),
    };
    // Assess
    expect(shardCount).toBe(1000);
    expect(size(state)).toBeLessThan(LIMIT / 2);
  });

  it('carry only range references from the Ingest plan: ~100 GB in default ranges stays far below the limit', () => {
    // Prepare: 100M customers × 12 order lines × ~80 bytes (96 GB) in 200 plain CSV files, cut at the
    // default range size; the plan itself (offsets, lines, header) is in S3
    const bytes = 100e6 * 12 * 80;
    const perFile = Math.ceil(bytes / 200 / DEFAULT_RANGE_BYTES);
    const rangeCount = perFile * 200;
    const ingestPlan: IngestPlanOutput = {
      shardCount: shardCountFor(bytes, 0),
      rangeCount,
      ranges: Array.from({ length: rangeCount }, (_, index) => ({ index })),
    };
    const run = {
      dataset: 'a-dataset-name-of-sixty-four-characters-long-xxxxxxxxxxxxxxxxxx',
      runId: 'r0123456789abcdef',
      objects: Array.from({ length: 200 }, (_, i) => ({
        key: `incoming/a-dataset/orders/part-${String(i).padStart(5, '0')}.csv`,
        size: bytes / 200,
        etag: 'd41d8cd98f00b204e9800998ecf8427e',
        versionId: 'Wc2KZhnHb8FtP4fTRgNj.TBPtLIBmSaP',
      })),
    };
    // Act: the IngestRanges map's input (run + plan output), and the largest plan a run may make
    // (MergeIngest then replaces $.ingest with the shard list: the range list is gone after the merge)
    const state = { ...run, ingest: ingestPlan };
    const largest = {
      ...run,
      ingest: { ...ingestPlan, ranges: Array.from({ length: MAX_RANGES }, (_, index) => ({ index })) },
    };
    // Assess: 400 ranges (two per 480 MB file); even the most ranges a plan makes leave a third free
    expect(rangeCount).toBe(400);
    expect(size(state)).toBeLessThan(LIMIT / 2);
    expect(size(largest)).toBeLessThan(LIMIT * 0.65);
  });

  it('stay under 256 KiB with the most shards a config may ask for (10,000)', () => {
    // Prepare: the config schema's upper bound on `shards`
    const shardCount = shardCountFor(1, 10_000);
    const ingest = { shardCount, shards: Array.from({ length: shardCount }, (_, index) => ({ index })) };
    // Act: the Map state input carries the shard list; each child gets one item
    const state = { dataset: 'd', runId: 'r0123456789abcdef', ingest, asOfMs: Date.now() };
    // Assess
    expect(size(state)).toBeLessThan(LIMIT);
  });

  it('carry any number of dropped files: beyond the inline budget the list is a manifest in S3', async () => {
    // Prepare: realistic keys of a multi-part export (Spark/Glue style part names, versioned bucket)
    const object = (i: number) => ({
      key: `incoming/a-dataset-name/orders/2026-11-22/part-${String(i).padStart(5, '0')}-3f0c1a2b-9d8e-4f7a-b6c5-d4e3f2a1b0c9-c000.snappy.parquet`,
      size: 123_456_789,
      etag: 'd41d8cd98f00b204e9800998ecf8427e',
      versionId: 'Wc2KZhnHb8FtP4fTRgNj.TBPtLIBmSaP',
    });
    const store = new MemoryBlobStore();
    const input = (n: number) =>
      snapshotRunInput(
        store,
        { dataset: 'a-dataset-name', runId: 'r0123456789abcdef' },
        Array.from({ length: n }, (_, i) => object(i)),
      );
    // Act / Assess: the run input rides along every state; 1,400 inline files would pass the cap
    expect(size(Array.from({ length: 1400 }, (_, i) => object(i)))).toBeGreaterThan(LIMIT);
    for (const n of [1, 300, 1400, 50_000]) expect(size(await input(n))).toBeLessThan(LIMIT / 3);
  });

  it('derives the shard count from input size, within the configured bounds', () => {
    expect(shardCountFor(1000, 0)).toBe(1);
    expect(shardCountFor(100 * 2 ** 20, 0)).toBe(4);
    expect(shardCountFor(100 * 2 ** 20, 7)).toBe(7);
  });
});
