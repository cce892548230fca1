// Fit and Score for learned segments: merge the shards' statistics and samples, select features
// (dropping near-constant and redundant ones, with reasons), winsorise, standardise, choose k by
// silhouette and fit k-means; then assign every customer of a shard to a segment.

import type { CustomerFeatures, ShardFeatureSummary } from '../features/build.js';
import { definitionOf, levelFeatureName, OTHER_LEVEL, transformValue } from '../features/dictionary.js';
import {
  emptyStats,
  type FeatureStats,
  meanOf,
  mergeStats,
  quantiles,
  rawMeanOf,
  stdOf,
  zeroStats,
} from '../features/stats.js';
import type { Columns } from '../storage/columnar.js';
import { NOT_ENOUGH_CUSTOMERS_ERROR } from '../util/error-names.js';
import { assignNearest, chooseK } from './kmeans.js';
import { fitRfm, type RfmModel } from './rfm.js';
import { smallestRows } from './sample-order.js';

export interface SegmentationModel {
  version: 1;
  features: string[];
  transforms: ('none' | 'log1p')[];
  mean: number[];
  std: number[];
  /** winsorising limits per feature, in transformed units (0.5th and 99.5th percentile of the sample) */
  clip?: { lo: number[]; hi: number[] };
  k: number;
  /** k×d centroids in standardised space, ordered by segment size (largest first) */
  centroids: number[];
  choice: { k: number; reason: string; candidates: { k: number; silhouette: number; inertia: number }[] };
  dropped: { feature: string; reason: string }[];
  customers: number;
  sampleSize: number;
  seed: number;
  /** every feature of the run (cluster and profile, one-hot levels included), for profiles and the dictionary */
  allFeatures?: string[];
  /** population mean of each feature's raw known values: profiles use it for unknown values */
  rawMeans?: Record<string, number>;
  /** categorical CRM attributes: the levels kept for one-hot encoding (rare ones pooled into OTHER_LEVEL) */
  levels?: Record<string, string[]>;
  /** classic RFM quintile cuts, when the data has purchases */
  rfm?: RfmModel;
}

export class NotEnoughCustomersError extends Error {
  constructor(customers: number, k: number) {
    super(
      `only ${customers} customer(s) have purchases before the as-of time; at least ${k * 2} are needed to find ${k} segments. Drop more history, or lower segments.kMin in the dataset config.`,
    );
    this.name = NOT_ENOUGH_CUSTOMERS_ERROR;
  }
}

export class NoClusterFeaturesError extends Error {
  constructor(dropped: { feature: string; reason: string }[]) {
    super(
      `no behavioural feature is left to segment on${dropped.length ? ` (${dropped.map((d) => `${d.feature}: ${d.reason}`).join('; ')})` : ''}. Segments need purchase history: add a transactions export with customer ids, dates and amounts.`,
    );
    this.name = 'NoClusterFeaturesError';
  }
}

export interface FitOptions {
  kMin: number;
  kMax: number;
  nInit: number;
  seed: number;
  sampleSize: number;
}

/** Selection thresholds: a feature whose most common value covers this share of the sample is near-constant… */
export const NEAR_CONSTANT_SHARE = 0.98;
/** …and one correlating this strongly with an earlier (dictionary-order) feature is redundant. */
export const REDUNDANT_CORRELATION = 0.95;
const CLIP = [0.005, 0.995];
/** A categorical level is kept when at least this share of customers has it (at most MAX_LEVELS). */
const MIN_LEVEL_SHARE = 0.01;
const MAX_LEVELS = 12;

export function mergeSummaries(summaries: readonly ShardFeatureSummary[]): ShardFeatureSummary {
  const names = new Set<string>();
  for (const s of summaries) for (const n of Object.keys(s.stats)) names.add(n);
  const stats: Record<string, FeatureStats> = {};
  let customers = 0;
  for (const s of summaries) customers += s.customers;
  for (const name of names) {
    const absent = definitionOf(name)?.whenAbsent ?? 'missing';
    let merged = emptyStats();
    for (const s of summaries) {
      const st = s.stats[name];
      // a shard without the feature's inputs: its customers have 0 (no such events) or unknown
      if (st) merged = mergeStats(merged, st);
      else if (absent === 'zero') merged = mergeStats(merged, zeroStats(s.customers));
      else merged = mergeStats(merged, { ...emptyStats(), missing: s.customers });
    }
    stats[name] = merged;
  }
  const levels: Record<string, Record<string, number>> = {};
  for (const s of summaries)
    for (const [column, counts] of Object.entries(s.levels ?? {})) {
      if (!levels[column]) levels[column] = {};
      const into = levels[column];
      for (const [level, n] of Object.entries(counts)) into[level] = (into[level] ?? 0) + n;
    }
  return { customers, stats, ...(Object.keys(levels).length ? { levels } : {}) };
}

/** The global sample: the `size` rows with the smallest sampling keys over all shards, key-ordered. */
export function mergeSamples(samples: readonly Columns[], size: number, names: readonly string[]): Columns {
  const ids = samples.map((s) => s.customerId as string[]);
  const chosen = smallestRows(
    samples.map((s) => s.sampleKey as Uint32Array),
    ids,
    size,
  );
  const n = chosen.part.length;
  const customerId: string[] = new Array(n);
  for (let i = 0; i < n; i++) customerId[i] = ids[chosen.part[i]][chosen.row[i]];
  const out: Columns = { customerId };
  for (const name of names) {
    const absent = definitionOf(name)?.whenAbsent === 'zero' ? 0 : Number.NaN;
    const cols = samples.map((s) => s[name] as Float64Array | undefined);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const col = cols[chosen.part[i]];
      values[i] = col ? col[chosen.row[i]] : absent;
    }
    out[name] = values;
  }
  return out;
}

/** Categorical levels kept for one-hot encoding: frequent ones, the rest pooled into OTHER_LEVEL. */
export function chooseLevels(counts: Record<string, number>, customers: number): string[] {
  const known = Object.entries(counts).filter(([level]) => level !== '');
  const kept = known
    .filter(([, n]) => n >= MIN_LEVEL_SHARE * customers && n >= 5)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_LEVELS)
    .map(([level]) => level);
  if (kept.length === 1 && known.length === 1) return [];
  return kept.length < known.length ? [...kept, OTHER_LEVEL] : kept;
}

function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i];
    sb += b[i];
  }
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma;
    const y = b[i] - mb;
    cov += x * y;
    va += x * x;
    vb += y * y;
  }
  return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
}

function topValueShare(col: Float64Array): number {
  const counts = new Map<number, number>();
  let best = 0;
  for (let i = 0; i < col.length; i++) {
    const c = (counts.get(col[i]) ?? 0) + 1;
    counts.set(col[i], c);
    if (c > best) best = c;
  }
  return col.length ? best / col.length : 1;
}

export function fitSegmentation(
  summaries: readonly ShardFeatureSummary[],
  samples: readonly Columns[],
  options: FitOptions,
): SegmentationModel {
  const merged = mergeSummaries(summaries);
  const all = Object.keys(merged.stats);
  let candidates = all.filter((n) => definitionOf(n)?.role === 'cluster');
  // a customers-only dataset (no purchases): segment on the numeric CRM attributes instead
  if (!candidates.length) candidates = all.filter((n) => n.startsWith('crm_'));
  const dropped: { feature: string; reason: string }[] = [];
  const rfmNames = ['recencyDays', 'frequency', 'monetary'];
  const withRfm = rfmNames.every((name) => merged.stats[name]);
  // one merge for the clustering and the RFM columns: the same rows either way
  const sample = mergeSamples(
    samples,
    options.sampleSize,
    withRfm ? [...new Set([...candidates, ...rfmNames])] : candidates,
  );
  const n = (sample.customerId as string[]).length;
  if (n < options.kMin * 2 || merged.customers < options.kMin * 2) {
    throw new NotEnoughCustomersError(merged.customers, options.kMin);
  }
  // transformed, winsorised sample columns of the candidates
  const columns = new Map<string, Float64Array>();
  const limits = new Map<string, [number, number]>();
  for (const name of candidates) {
    const def = definitionOf(name)!;
    const raw = sample[name] as Float64Array;
    const col = Float64Array.from(raw, (v) => transformValue(def, v));
    const [lo, hi] = quantiles(col, CLIP);
    for (let i = 0; i < n; i++)
      col[i] = Number.isNaN(col[i]) ? meanOf(merged.stats[name]) : clamp(col[i], lo, hi);
    columns.set(name, col);
    limits.set(name, [lo, hi]);
  }
  const features: string[] = [];
  for (const name of candidates) {
    const sd = stdOf(merged.stats[name]);
    const col = columns.get(name)!;
    const top = topValueShare(col);
    if (!(sd > 1e-9)) {
      dropped.push({ feature: name, reason: 'near-constant: the same value for every customer' });
      continue;
    }
    if (top >= NEAR_CONSTANT_SHARE) {
      dropped.push({
        feature: name,
        reason: `near-constant: ${(top * 100).toFixed(1)}% of the sample share one value (limit ${NEAR_CONSTANT_SHARE * 100}%)`,
      });
      continue;
    }
    const twin = features
      .map((f) => ({ f, r: pearson(col, columns.get(f)!) }))
      .find((x) => Math.abs(x.r) >= REDUNDANT_CORRELATION);
    if (twin) {
      dropped.push({
        feature: name,
        reason: `redundant: correlation ${twin.r.toFixed(2)} with ${twin.f} on the sample (limit ${REDUNDANT_CORRELATION})`,
      });
      continue;
    }
    features.push(name);
  }
  if (!features.length) throw new NoClusterFeaturesError(dropped);
  const d = features.length;
  const transforms = features.map((f) => definitionOf(f)!.transform);
  const mean = features.map((f) => meanOf(merged.stats[f]));
  const std = features.map((f) => stdOf(merged.stats[f]));
  const lo = features.map((f) => limits.get(f)![0]);
  const hi = features.map((f) => limits.get(f)![1]);
  const data = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const col = columns.get(features[j])!;
    for (let i = 0; i < n; i++) data[i * d + j] = (col[i] - mean[j]) / std[j];
  }
  const kMax = Math.min(options.kMax, Math.floor(n / 2));
  const choice = chooseK(data, n, d, {
    kMin: Math.min(options.kMin, kMax),
    kMax,
    seed: options.seed,
    nInit: options.nInit,
  });
  // chooseK fitted each k on the whole sample (only the silhouette is scored on a subsample), with
  // these very options: its fit of the chosen k is the one a refit would reproduce
  const fit = choice.result;
  const sizes = new Array<number>(choice.k).fill(0);
  for (let i = 0; i < n; i++) sizes[fit.labels[i]]++;
  const orderBySize = sizes.map((s, c) => ({ s, c })).sort((a, b) => b.s - a.s || a.c - b.c);
  const centroids: number[] = [];
  for (const { c } of orderBySize) for (let j = 0; j < d; j++) centroids.push(fit.centroids[c * d + j]);

  const levels: Record<string, string[]> = {};
  for (const [column, counts] of Object.entries(merged.levels ?? {})) {
    const kept = chooseLevels(counts, merged.customers);
    if (kept.length) levels[column] = kept;
  }
  const oneHot = Object.entries(levels).flatMap(([column, kept]) =>
    kept.map((l) => levelFeatureName(column, l)),
  );
  const rawMeans: Record<string, number> = {};
  for (const name of all) rawMeans[name] = rawMeanOf(merged.stats[name]);
  for (const [column, kept] of Object.entries(levels)) {
    const counts = merged.levels![column];
    const known = Object.entries(counts).reduce((s, [l, c]) => s + (l === '' ? 0 : c), 0);
    for (const l of kept) {
      const c =
        l === OTHER_LEVEL
          ? known - kept.reduce((s, k) => s + (k === OTHER_LEVEL ? 0 : counts[k]), 0)
          : counts[l];
      rawMeans[levelFeatureName(column, l)] = known ? c / known : 0;
    }
  }
  let rfm: RfmModel | undefined;
  if (withRfm) {
    rfm = fitRfm(
      sample.recencyDays as Float64Array,
      sample.frequency as Float64Array,
      sample.monetary as Float64Array,
    );
  }
  return {
    version: 1,
    features,
    transforms,
    mean,
    std,
    clip: { lo, hi },
    k: choice.k,
    centroids,
    choice: { k: choice.k, reason: choice.reason, candidates: choice.candidates },
    dropped,
    customers: merged.customers,
    sampleSize: n,
    seed: options.seed,
    allFeatures: [...all, ...oneHot],
    rawMeans,
    ...(Object.keys(levels).length ? { levels } : {}),
    ...(rfm ? { rfm } : {}),
  };
}

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/** Standardised feature matrix of a shard's customers, in the model's feature order. */
export function standardise(features: CustomerFeatures, model: SegmentationModel): Float64Array {
  const n = features.customerId.length;
  const d = model.features.length;
  const data = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const def = definitionOf(model.features[j])!;
    const col = features.values[model.features[j]];
    const absent = def.whenAbsent === 'zero' ? 0 : Number.NaN;
    const m = model.mean[j];
    const s = model.std[j];
    const lo = model.clip?.lo[j] ?? -Infinity;
    const hi = model.clip?.hi[j] ?? Infinity;
    for (let i = 0; i < n; i++) {
      const v = transformValue(def, col ? col[i] : absent);
      // unknown values sit at the population mean
      data[i * d + j] = Number.isNaN(v) ? 0 : (clamp(v, lo, hi) - m) / s;
    }
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

/**
 * The shard's features as profiles see them: every model feature present (zeros where the shard had
 * no such events), unknown values at the population mean, categorical attributes one-hot.
 */
export function profileFeatures(features: CustomerFeatures, model: SegmentationModel): CustomerFeatures {
  const n = features.customerId.length;
  const names = model.allFeatures ?? features.names;
  const values: Record<string, Float64Array> = {};
  for (const name of names) {
    const col = features.values[name];
    const fallback = model.rawMeans?.[name] ?? 0;
    if (col) {
      values[name] = Float64Array.from(col, (v) => (Number.isNaN(v) ? fallback : v));
    } else {
      // no inputs in this shard: zero counts, or unknown values at the population mean
      values[name] = new Float64Array(n).fill(definitionOf(name)?.whenAbsent === 'zero' ? 0 : fallback);
    }
  }
  for (const [column, kept] of Object.entries(model.levels ?? {})) {
    const raw = features.categorical?.[column];
    const index = new Map(kept.map((l, j) => [l, j]));
    const other = index.get(OTHER_LEVEL);
    const cols = kept.map((l) => {
      const c = new Float64Array(n);
      values[levelFeatureName(column, l)] = c;
      return c;
    });
    for (let i = 0; i < n; i++) {
      const v = raw?.[i] ?? '';
      if (v === '') {
        // unknown: the population shares
        kept.forEach((l, j) => {
          cols[j][i] = model.rawMeans?.[levelFeatureName(column, l)] ?? 0;
        });
        continue;
      }
      const j = index.get(v) ?? other;
      if (j !== undefined) cols[j][i] = 1;
    }
  }
  const present = names.filter((name) => name in values);
  return { customerId: features.customerId, values, names: present };
}
