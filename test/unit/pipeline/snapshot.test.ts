// A snapshot of thousands of files must not break StartExecution's 256 KiB input cap: beyond a small
// inline list the starter writes the list to S3 and every stage reads it back through one function.
import { describe, expect, it } from 'vitest';
import { quarantine } from '../../../lib/pipeline/finish.js';
import {
  INLINE_SNAPSHOT_BYTES,
  inlineObjects,
  loadRunObjects,
  SnapshotManifestError,
  snapshotRunInput,
} from '../../../lib/pipeline/snapshot.js';
import { type SettleOptions, settleAndStart } from '../../../lib/pipeline/starter.js';
import type { RunInput } from '../../../lib/pipeline/types.js';
import { MemoryBlobStore } from '../../../lib/storage/blob.js';
import type { DynamoSegmentStore } from '../../../lib/storage/segment-store.js';

const LIMIT = 256 * 1024;
const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/** Realistic keys of a multi-part export (Spark/Glue part names in a versioned bucket). */
const object = (i: number) => ({
  key: `incoming/shop/orders/2026-11-22/part-${String(i).padStart(5, '0')}-3f0c1a2b-9d8e-4f7a-b6c5-d4e3f2a1b0c9-c000.csv`,
  versionId: 'Wc2KZhnHb8FtP4fTRgNj.TBPtLIBmSaP',
  size: 123_456_789,
  etag: 'd41d8cd98f00b204e9800998ecf8427e',
});

describe('snapshot in the run input', () => {
  it('keeps a small snapshot inline and writes nothing', async () => {
    // Prepare
    const store = new MemoryBlobStore();
    const objects = Array.from({ length: 3 }, (_, i) => object(i));
    // Act
    const input = await snapshotRunInput(store, { dataset: 'shop', runId: 'r1' }, objects);
    // Assess
    expect(input.objects).toEqual(objects);
    expect(store.objects.size).toBe(0);
    expect(await loadRunObjects(store, input)).toEqual(objects);
  });

  it('moves 100,000 files to a manifest: the input stays tiny and reads back the same list', async () => {
    // Prepare: far beyond the ~1,300 such files an inline list could carry
    const store = new MemoryBlobStore();
    const objects = Array.from({ length: 100_000 }, (_, i) => object(i));
    // Act
    const input = await snapshotRunInput(store, { dataset: 'shop', runId: 'r1' }, objects);
    // Assess
    expect(size(objects)).toBeGreaterThan(50 * LIMIT);
    expect(input.objects).toEqual({ manifest: 'snapshots/shop/r1.json', count: 100_000 });
    expect(size(input)).toBeLessThan(200);
    expect(await loadRunObjects(store, input)).toEqual(objects);
    expect(() => inlineObjects(input)).toThrow(SnapshotManifestError);
  });

  it('switches at the inline budget, whatever the key lengths', async () => {
    // Prepare: the largest list that still fits, and one more file
    const store = new MemoryBlobStore();
    let n = 1;
    while (size(Array.from({ length: n + 1 }, (_, i) => object(i))) <= INLINE_SNAPSHOT_BYTES) n++;
    // Act
    const fits = await snapshotRunInput(
      store,
      { dataset: 'shop', runId: 'a' },
      Array.from({ length: n }, (_, i) => object(i)),
    );
    const over = await snapshotRunInput(
      store,
      { dataset: 'shop', runId: 'b' },
      Array.from({ length: n + 1 }, (_, i) => object(i)),
    );
    // Assess: the inline list leaves three quarters of the cap to the steps' results
    expect(Array.isArray(fits.objects)).toBe(true);
    expect(size(fits)).toBeLessThan(LIMIT / 3);
    expect(Array.isArray(over.objects)).toBe(false);
  });

  it('refuses a manifest that does not list the objects the input counted', async () => {
    // Prepare: a manifest overwritten or truncated after the run started
    const store = new MemoryBlobStore();
    await store.put('snapshots/shop/r1.json', JSON.stringify({ objects: [object(1)] }));
    const input: RunInput = {
      dataset: 'shop',
      runId: 'r1',
      objects: { manifest: 'snapshots/shop/r1.json', count: 2 },
    };
    // Act / Assess
    await expect(loadRunObjects(store, input)).rejects.toThrow(
      /snapshots\/shop\/r1\.json of run r1 should list 2 objects but lists 1/,
    );
  });

  it('starts one run over a 5,000-file drop through a manifest, and quarantine copies every file', async () => {
    // Prepare: the drop is in place and settled
    const store = new MemoryBlobStore();
    store.now = () => 0;
    for (let i = 0; i < 5000; i++) await store.put(object(i).key, 'x');
    const started: RunInput[] = [];
    const options: SettleOptions = {
      settleSeconds: 60,
      nowMs: 120_000,
      start: async (_name, input) => {
        started.push(input);
        return 'started';
      },
      requeue: async () => {},
    };
    // Act
    await settleAndStart(store, { dataset: 'shop' }, options);
    const segments = { putRun: async () => {} } as unknown as DynamoSegmentStore;
    const failed = await quarantine(store, segments, { ...started[0], error: { Error: 'X', Cause: 'y' } });
    // Assess
    expect(started).toHaveLength(1);
    expect(size(started[0])).toBeLessThan(1024);
    const objects = await loadRunObjects(store, started[0]);
    expect(objects).toHaveLength(5000);
    expect(objects.every((o) => o.versionId && o.size === 1)).toBe(true);
    expect(failed.stage).toBe('quarantine');
    const copied = (await store.list(`rejected/shop/${started[0].runId}/`)).length;
    expect(copied).toBe(5000 + 1);
  });
});
