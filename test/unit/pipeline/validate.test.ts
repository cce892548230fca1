// The Validate stage on an in-memory store: a segmentation carved out of noise is kept for analysis
// but not published, with the reason in words; a planted one is published.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/config/schema.js';
import { kmeans } from '../../../lib/models/kmeans.js';
import type { SegmentationModel } from '../../../lib/models/segmentation.js';
import { type ValidationResult, validate } from '../../../lib/pipeline/validate.js';
import { aggregateProfiles } from '../../../lib/segments/profile.js';
import { getJson, MemoryBlobStore, putJson } from '../../../lib/storage/blob.js';
import { encodeColumns } from '../../../lib/storage/columnar.js';
import { createRandom } from '../../../lib/util/random.js';

const features = ['a', 'b', 'c', 'd', 'e', 'f'];

async function runValidate(separation: number): Promise<ValidationResult> {
  // Prepare: one shard whose sample is every customer, features already standardised
  const n = 1200;
  const d = features.length;
  const k = 5;
  const r = createRandom(5);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) data[i * d + j] = (j === i % k ? separation : 0) + r.normal();
  const fit = kmeans(data, n, d, { k, seed: 1 });
  const model: SegmentationModel = {
    version: 1,
    features,
    transforms: features.map(() => 'none' as const),
    mean: features.map(() => 0),
    std: features.map(() => 1),
    k,
    centroids: Array.from(fit.centroids),
    choice: { k, reason: 'fixed for the test', candidates: [] },
    dropped: [],
    customers: n,
    sampleSize: n,
    seed: 1,
  };
  const ids = Array.from({ length: n }, (_, i) => `C${i}`);
  const values = Object.fromEntries(
    features.map((f, j) => [f, Float64Array.from({ length: n }, (_, i) => data[i * d + j])]),
  );
  const store = new MemoryBlobStore();
  const ref = { dataset: 'shop', runId: 'run-1', shardCount: 1 };
  await putJson(store, 'runs/shop/run-1/config.json', parseConfig({ validation: { bootstrapRuns: 8 } }));
  await putJson(store, 'runs/shop/run-1/model.json', model);
  await putJson(
    store,
    'runs/shop/run-1/shards/00000/profile.json',
    aggregateProfiles({ customerId: ids, values, names: features }, fit.labels, k, features),
  );
  await store.put(
    'runs/shop/run-1/shards/00000/sample.bin',
    encodeColumns({ customerId: ids, sampleKey: Uint32Array.from(ids, (_, i) => i), ...values }),
  );
  // Act
  await validate(store, ref);
  return getJson<ValidationResult>(store, 'runs/shop/run-1/segments.json');
}

describe('validation gates', () => {
  it('publishes a planted segmentation and explains each check', async () => {
    const result = await runValidate(6);
    expect(result.segments.every((s) => s.status === 'published')).toBe(true);
    const stability = result.segments.map((s) => s.checks.find((c) => c.name === 'stability')!);
    for (const c of stability) expect(c.verdict).toBe('pass');
    expect(result.checks.find((c) => c.name === 'silhouette')!.verdict).toBe('pass');
    expect(result.cards!.map((c) => c.owner)).toEqual(new Array(5).fill('unassigned'));
    expect(result.history).toHaveLength(1);
    expect(result.previousRunId).toBeNull();
  });

  it('keeps segments carved out of noise for analysis but does not publish them, saying why', async () => {
    const result = await runValidate(0);
    const failed = result.segments.filter((s) => s.status === 'not-published');
    expect(failed.length).toBeGreaterThan(0);
    for (const s of failed) {
      const c = s.checks.find((x) => x.verdict === 'fail')!;
      expect(c.name).toBe('stability');
      expect(c.reason).toMatch(/^dissolved: on 8 resamples/);
    }
    expect(result.checks.find((c) => c.name === 'silhouette')!.verdict).toBe('warn');
    expect(result.segments).toHaveLength(5);
  });
});
