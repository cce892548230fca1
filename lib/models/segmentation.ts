// Fit and Score for learned segments: merge the shards' statistics and samples, standardise,
// choose k by silhouette and fit k-means; then assign every customer of a shard to a segment.

import type { CustomerFeatures, ShardFeatureSummary } from '../features/build.js';
import { FEATURE_BY_NAME, transformValue } from '../features/dictionary.js';
import { emptyStats, type FeatureStats, meanOf, mergeStats, stdOf } from '../features/stats.js';
import type { Columns } from '../storage/columnar.js';
import { assignNearest, chooseK, kmeans } from './kmeans.js';

export interface SegmentationModel {
  version: 1;
  features: string[];
  transforms: ('none' | 'log1p')[];
  mean: number[];
  std: number[];
  k: number;
  /** k×d centroids in standardised space, ordered by segment size (largest first) */
  centroids: number[];
  choice: { k: number; reason: string; candidates: { k: number; silhouette: number; inertia: number }[] };
  dropped: { feature: string; reason: string }[];
  customers: number;
  sampleSize: number;
  seed: number;
}

export class NotEnoughCustomersError extends Error {
  constructor(customers: number, k: number) {
    super(
      `only ${customers} customer(s) have purchases before the as-of time; at least ${k * 2} are needed to find ${k} segments. Drop more history, or lower segments.kMin in the dataset config.`,
    );
    this.name = 'NotEnoughCustomersError';
  }
}

/** Every behavioural feature has one value for all customers: there is nothing to tell them apart. */
export class IdenticalCustomersError extends Error {
  constructor(customers: number) {
    super(
      `all ${customers} customers look identical (every feature has the same value for everyone), so no segments can be found. Check that the export holds real purchase history (dates and amounts vary) and that the right columns are mapped in the dataset config.`,
    );
    this.name = 'IdenticalCustomersError';
  }
}

export interface FitOptions {
  kMin: number;
  kMax: number;
  nInit: number;
  seed: number;
  sampleSize: number;
}

export function mergeSummaries(summaries: readonly ShardFeatureSummary[]): ShardFeatureSummary {
  const stats: Record<string, FeatureStats> = {};
  let customers = 0;
  for (const s of summaries) {
    customers += s.customers;
    for (const [name, st] of Object.entries(s.stats))
      stats[name] = mergeStats(stats[name] ?? emptyStats(), st);
  }
  return { customers, stats };
}

/** The global sample: the `size` rows with the smallest sampling keys over all shards, key-ordered. */
export function mergeSamples(samples: readonly Columns[], size: number, names: readonly string[]): Columns {
  const rows: { shard: number; row: number; key: number; id: string }[] = [];
  samples.forEach((s, shard) => {
    const keys = s.sampleKey as Uint32Array;
    const ids = s.customerId as string[];
    for (let row = 0; row < ids.length; row++) rows.push({ shard, row, key: keys[row], id: ids[row] });
  });
  rows.sort((a, b) => a.key - b.key || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const chosen = rows.slice(0, size);
  const out: Columns = { customerId: chosen.map((r) => r.id) };
  for (const name of names) {
    out[name] = Float64Array.from(chosen, (r) => (samples[r.shard][name] as Float64Array)[r.row]);
  }
  return out;
}

export function fitSegmentation(
  summaries: readonly ShardFeatureSummary[],
  samples: readonly Columns[],
  options: FitOptions,
): SegmentationModel {
  const merged = mergeSummaries(summaries);
  const candidates = Object.keys(merged.stats).filter((n) => FEATURE_BY_NAME.get(n)?.role === 'cluster');
  const dropped: { feature: string; reason: string }[] = [];
  const features: string[] = [];
  for (const name of candidates) {
    const sd = stdOf(merged.stats[name]);
    if (!(sd > 1e-9)) dropped.push({ feature: name, reason: 'the same value for every customer' });
    else features.push(name);
  }
  const sample = mergeSamples(samples, options.sampleSize, features);
  const n = (sample.customerId as string[]).length;
  if (n < options.kMin * 2 || merged.customers < options.kMin * 2) {
    throw new NotEnoughCustomersError(merged.customers, options.kMin);
  }
  if (features.length === 0) throw new IdenticalCustomersError(merged.customers);
  const d = features.length;
  const transforms = features.map((f) => FEATURE_BY_NAME.get(f)!.transform);
  const mean = features.map((f) => meanOf(merged.stats[f]));
  const std = features.map((f) => stdOf(merged.stats[f]));
  const data = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const def = FEATURE_BY_NAME.get(features[j])!;
    const col = sample[features[j]] as Float64Array;
    for (let i = 0; i < n; i++) data[i * d + j] = (transformValue(def, col[i]) - mean[j]) / std[j];
  }
  const kMax = Math.min(options.kMax, Math.floor(n / 2));
  const choice = chooseK(data, n, d, {
    kMin: Math.min(options.kMin, kMax),
    kMax,
    seed: options.seed,
    nInit: options.nInit,
  });
  // refit the chosen k on the whole sample (chooseK may have scored on a subsample)
  const fit = kmeans(data, n, d, { k: choice.k, nInit: options.nInit, seed: options.seed });
  const sizes = new Array<number>(choice.k).fill(0);
  for (let i = 0; i < n; i++) sizes[fit.labels[i]]++;
  const orderBySize = sizes.map((s, c) => ({ s, c })).sort((a, b) => b.s - a.s || a.c - b.c);
  const centroids: number[] = [];
  for (const { c } of orderBySize) for (let j = 0; j < d; j++) centroids.push(fit.centroids[c * d + j]);
  return {
    version: 1,
    features,
    transforms,
    mean,
    std,
    k: choice.k,
    centroids,
    choice: { k: choice.k, reason: choice.reason, candidates: choice.candidates },
    dropped,
    customers: merged.customers,
    sampleSize: n,
    seed: options.seed,
  };
}

/** Standardised feature matrix of a shard's customers, in the model's feature order. */
export function standardise(features: CustomerFeatures, model: SegmentationModel): Float64Array {
  const n = features.customerId.length;
  const d = model.features.length;
  const data = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const def = FEATURE_BY_NAME.get(model.features[j])!;
    const col = features.values[model.features[j]];
    const m = model.mean[j];
    const s = model.std[j];
    for (let i = 0; i < n; i++) data[i * d + j] = (transformValue(def, col ? col[i] : 0) - m) / s;
  }
  return data;
}

export function assignSegments(
  features: CustomerFeatures,
  model: SegmentationModel,
): { labels: Int32Array; distances: Float64Array } {
  const n = features.customerId.length;
  const d = model.features.length;
  const { labels, distances } = assignNearest(
    standardise(features, model),
    n,
    d,
    Float64Array.from(model.centroids),
    model.k,
  );
  return { labels, distances };
}
