// Bounded fitting samples: each shard keeps only its quota of the global sample and Fit folds the shards'
// files into the smallest keys, so Fit's input stays near the sample size at any shard count while the
// sample stays exactly the one a single shard would draw.
import { describe, expect, it } from 'vitest';
import { type CustomerFeatures, sampleKey, sampleKeys, selectSample } from '../../../lib/features/build.js';
import { spendKey } from '../../../lib/features/clv-inputs.js';
import { foldSmallest, hashKeys, keyHasher, orderByKey, shardQuota } from '../../../lib/features/sampling.js';
import { mergeSamples } from '../../../lib/models/segmentation.js';
import { loadFitSample } from '../../../lib/pipeline/fit.js';
import { shardFile } from '../../../lib/pipeline/run-files.js';
import { MemoryBlobStore } from '../../../lib/storage/blob.js';
import { type Columns, encodeColumns } from '../../../lib/storage/columnar.js';
import { shardOf } from '../../../lib/util/hash.js';

const SEED = 42;
const NAMES = ['frequency', 'monetary'];
const REF = { dataset: 'scale', runId: 'run-1' };

/** `customers` synthetic customers split by Ingest's hash into `shards` feature sets. */
function shardedFeatures(customers: number, shards: number): CustomerFeatures[] {
  const out = Array.from({ length: shards }, () => ({
    ids: [] as string[],
    f: [] as number[],
    m: [] as number[],
  }));
  for (let c = 0; c < customers; c++) {
    const id = `C${c}`;
    const s = out[shardOf(id, shards)];
    s.ids.push(id);
    s.f.push(1 + (c % 9));
    s.m.push((c * 37) % 1000);
  }
  return out.map((s) => ({
    customerId: s.ids,
    values: { frequency: Float64Array.from(s.f), monetary: Float64Array.from(s.m) },
    names: NAMES,
  }));
}

/** Each shard's sample.bin as BuildFeatures writes it (its quota of smallest keys), in an in-memory store. */
function stageSamples(features: CustomerFeatures[], size: number): MemoryBlobStore {
  const store = new MemoryBlobStore();
  const quota = shardQuota(size, features.length);
  features.forEach((f, i) => {
    void store.put(shardFile(REF, i, 'sample.bin'), encodeColumns(selectSample(f, quota, SEED)));
  });
  return store;
}

const idsOf = (c: Columns) => c.customerId as string[];

describe('shard quota', () => {
  it('keeps the whole sample on one shard and about size × 1.25 over many', () => {
    // Act
    const one = shardQuota(50_000, 1);
    const unknown = shardQuota(50_000, undefined);
    const totals = [10, 100, 300, 1000, 10_000].map((s) => s * shardQuota(50_000, s));
    // Assess
    expect(one).toBe(50_000);
    expect(unknown).toBe(50_000);
    expect(shardQuota(50_000, 300)).toBe(328);
    // 1.25 K + 8 √(K S) + 17 S: below 2 K up to 300 shards, never growing with the customers
    for (const [i, s] of [10, 100, 300, 1000, 10_000].entries())
      expect(totals[i]).toBeLessThanOrEqual(1.25 * 50_000 + 8 * Math.sqrt(50_000 * s) + 17 * s);
    expect(totals[2]).toBeLessThan(2 * 50_000);
  });
});

describe('Fit reading 300 shards of samples', () => {
  it('loads at most the shards’ quotas and gets the one-shard sample exactly', async () => {
    // Prepare
    const size = 2_000;
    const customers = 150_000;
    const features = shardedFeatures(customers, 300);
    const store = stageSamples(features, size);
    const whole = selectSample(shardedFeatures(customers, 1)[0], size, SEED);
    // Act
    const folded = await loadFitSample(store, { ...REF, shardCount: 300 }, size);
    const merged = mergeSamples(folded.parts, size, NAMES);
    // Assess
    const quota = shardQuota(size, 300);
    expect(quota).toBe(45);
    expect(folded.loaded).toBeLessThanOrEqual(300 * quota); // 13,500 rows read for 150,000 customers
    expect(folded.peak).toBeLessThanOrEqual(2 * size + quota);
    expect(folded.incomplete).toBe(false);
    expect(idsOf(merged)).toEqual(idsOf(whole));
    expect(merged.frequency).toEqual(whole.frequency);
    expect(merged.monetary).toEqual(whole.monetary);
  });

  it('draws the same sample ids from 1 and from 7 shards', async () => {
    // Prepare
    const size = 3_000;
    const one = stageSamples(shardedFeatures(20_000, 1), size);
    const seven = stageSamples(shardedFeatures(20_000, 7), size);
    // Act
    const fromOne = mergeSamples(
      (await loadFitSample(one, { ...REF, shardCount: 1 }, size)).parts,
      size,
      NAMES,
    );
    const fromSeven = mergeSamples(
      (await loadFitSample(seven, { ...REF, shardCount: 7 }, size)).parts,
      size,
      NAMES,
    );
    // Assess
    expect(idsOf(fromSeven)).toHaveLength(size);
    expect(idsOf(fromSeven)).toEqual(idsOf(fromOne));
  });

  it('keeps everything when the customers are fewer than the sample', async () => {
    // Prepare
    const store = stageSamples(shardedFeatures(900, 4), 1_000);
    // Act
    const folded = await loadFitSample(store, { ...REF, shardCount: 4 }, 1_000);
    // Assess
    expect(folded.loaded).toBe(900);
    expect(mergeSamples(folded.parts, 1_000, NAMES).customerId).toHaveLength(900);
  });

  it('flags a sample that a too-small shard quota may have cut short', async () => {
    // Prepare: shards that kept 5 rows each, when the global 200 need about 50 of each
    const parts = shardedFeatures(4_000, 4).map((f) => selectSample(f, 5, SEED));
    // Act
    const folded = await foldSmallest(4, async (i) => parts[i], 200, { key: 'sampleKey', quota: 5 });
    // Assess
    expect(folded.incomplete).toBe(true);
  });

  it('keeps the columns of shards none of whose rows made the sample', async () => {
    // Prepare: only the second shard has a discount column, and its keys are all above the first's
    const a: Columns = { customerId: ['a', 'b'], key: Uint32Array.from([1, 2]) };
    const b: Columns = {
      customerId: ['c'],
      key: Uint32Array.from([9]),
      discountShare: Float64Array.from([0.5]),
    };
    // Act
    const folded = await foldSmallest(2, async (i) => [a, b][i], 1, { key: 'key' });
    // Assess
    const rows = folded.parts.reduce((n, p) => n + (p.key as Uint32Array).length, 0);
    expect(rows).toBe(1);
    expect(folded.parts.some((p) => 'discountShare' in p)).toBe(true);
  });
});

describe('sampling keys', () => {
  it('keys and key order: keyHasher is fnv1a32 of prefix + id, orderByKey the comparator sort', () => {
    // Prepare: ids with forced key collisions (a tiny key space) and non-ASCII text
    const ids = Array.from({ length: 3000 }, (_, i) => `C${i}é`);
    const keys = Uint32Array.from(ids, (_, i) => (i * 7919) % 97);
    // Act
    const order = Array.from(orderByKey(keys, ids));
    const expected = ids.map((_, i) => i);
    expected.sort((a, b) => keys[a] - keys[b] || (ids[a] < ids[b] ? -1 : 1));
    // Assess
    expect(order).toEqual(expected);
    expect(Array.from(hashKeys(ids.slice(0, 50), '42:'))).toEqual(
      ids.slice(0, 50).map((id) => sampleKey(id, 42)),
    );
    expect(Array.from(sampleKeys(ids.slice(0, 50), 42))).toEqual(
      ids.slice(0, 50).map((id) => sampleKey(id, 42)),
    );
    expect(keyHasher('clv-spend:')('C1')).toBe(spendKey('C1'));
  });
});
