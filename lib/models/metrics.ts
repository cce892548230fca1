// Cluster-quality metrics used to choose k and to validate segments: adjusted Rand index (agreement of
// two partitions, e.g. run-to-run stability), silhouette (separation, on a seeded sample for large n)
// and Davies–Bouldin (compactness vs separation). Conventions follow scikit-learn's.

import { createRandom } from '../util/random.js';

/** Raised when a metric is undefined for its input; the message says why. */
export class MetricInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricInputError';
  }
}

/** Map arbitrary label values to dense indices 0..m-1 in order of first appearance. */
function encode(labels: ArrayLike<number>): { codes: Int32Array; m: number } {
  const codes = new Int32Array(labels.length);
  const seen = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    let c = seen.get(labels[i]);
    if (c === undefined) {
      c = seen.size;
      seen.set(labels[i], c);
    }
    codes[i] = c;
  }
  return { codes, m: seen.size };
}

function pairs(x: number): number {
  return (x * (x - 1)) / 2;
}

/**
 * Adjusted Rand index (Hubert & Arabie 1985): 1 for identical partitions (up to relabelling), about 0
 * for independent ones, can be negative. As scikit-learn, two trivial partitions (both one cluster, or
 * both all singletons) score 1.
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new MetricInputError(
      `Partitions must label the same rows: got ${a.length} and ${b.length} labels.`,
    );
  }
  const n = a.length;
  const ea = encode(a);
  const eb = encode(b);
  const table = new Float64Array(ea.m * eb.m);
  const rowSum = new Float64Array(ea.m);
  const colSum = new Float64Array(eb.m);
  for (let i = 0; i < n; i++) {
    table[ea.codes[i] * eb.m + eb.codes[i]] += 1;
    rowSum[ea.codes[i]] += 1;
    colSum[eb.codes[i]] += 1;
  }
  let sumCells = 0;
  for (let c = 0; c < table.length; c++) sumCells += pairs(table[c]);
  let sumA = 0;
  for (let r = 0; r < ea.m; r++) sumA += pairs(rowSum[r]);
  let sumB = 0;
  for (let c = 0; c < eb.m; c++) sumB += pairs(colSum[c]);
  const total = pairs(n);
  const expected = total > 0 ? (sumA * sumB) / total : 0;
  const maximum = (sumA + sumB) / 2;
  if (maximum === expected) return 1;
  return (sumCells - expected) / (maximum - expected);
}

function checkLabels(labels: ArrayLike<number>, n: number, k: number): void {
  if (labels.length < n) throw new MetricInputError(`Expected ${n} labels, got ${labels.length}.`);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= k) {
      throw new MetricInputError(`Label ${l} of row ${i} is outside 0..${k - 1}.`);
    }
  }
}

/** Sorted seeded sample of `size` distinct row indices out of n (all rows when size ≥ n). */
export function sampleRows(n: number, size: number, seed: number): Int32Array {
  if (size >= n) {
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return all;
  }
  const random = createRandom(seed);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = 0; i < size; i++) {
    const j = i + random.int(n - i);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm.subarray(0, size).sort();
}

/**
 * Mean silhouette coefficient (Euclidean). With `sampleSize` < n the score is computed within a seeded
 * sample of rows (as scikit-learn's `sample_size`): O(s²·d). Rows alone in their cluster score 0.
 */
export function silhouetteScore(
  data: Float64Array,
  n: number,
  d: number,
  labels: ArrayLike<number>,
  k: number,
  options?: { sampleSize?: number; seed?: number },
): number {
  checkLabels(labels, n, k);
  const rows = sampleRows(n, options?.sampleSize ?? n, options?.seed ?? 1);
  const s = rows.length;
  const lab = new Int32Array(s);
  const counts = new Float64Array(k);
  for (let r = 0; r < s; r++) {
    lab[r] = labels[rows[r]];
    counts[lab[r]] += 1;
  }
  let present = 0;
  for (let c = 0; c < k; c++) if (counts[c] > 0) present++;
  if (present < 2 || present > s - 1) {
    throw new MetricInputError(
      `The silhouette needs between 2 and ${s - 1} distinct clusters among the ${s} rows scored, got ${present}.`,
    );
  }
  // the scored rows side by side: the O(s²) pass below then reads memory in order
  const scored = new Float64Array(s * d);
  for (let r = 0; r < s; r++) scored.set(data.subarray(rows[r] * d, rows[r] * d + d), r * d);
  const sums = pairDistanceSums(scored, s, d, lab, k);
  let total = 0;
  for (let r = 0; r < s; r++) {
    const own = lab[r];
    if (counts[own] <= 1) continue;
    const a = sums[r * k + own] / (counts[own] - 1);
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      if (c === own || counts[c] === 0) continue;
      const v = sums[r * k + c] / counts[c];
      if (v < b) b = v;
    }
    const m = Math.max(a, b);
    if (m > 0) total += (b - a) / m;
  }
  return total / s;
}

/** Per-row sum of Euclidean distances to each cluster's rows, filling both ends of each pair once. */
function pairDistanceSums(
  rows: Float64Array,
  s: number,
  d: number,
  lab: Int32Array,
  k: number,
): Float64Array {
  const sums = new Float64Array(s * k);
  for (let r = 0; r < s; r++) {
    const ro = r * d;
    const lr = lab[r];
    for (let q = r + 1; q < s; q++) {
      const qo = q * d;
      let acc = 0;
      for (let t = 0; t < d; t++) {
        const diff = rows[ro + t] - rows[qo + t];
        acc += diff * diff;
      }
      const dist = Math.sqrt(acc);
      sums[r * k + lab[q]] += dist;
      sums[q * k + lr] += dist;
    }
  }
  return sums;
}

/**
 * Davies–Bouldin index: mean over clusters of the worst (s_i + s_j) / ‖c_i − c_j‖, where s_i is the mean
 * distance of cluster i's rows to its centroid. Lower is better; clusters with no rows are ignored and
 * coincident centroids contribute 0 (as scikit-learn). Centroids default to the cluster means.
 */
export function daviesBouldin(
  data: Float64Array,
  n: number,
  d: number,
  labels: ArrayLike<number>,
  k: number,
  centroids?: Float64Array,
): number {
  checkLabels(labels, n, k);
  const counts = new Float64Array(k);
  for (let i = 0; i < n; i++) counts[labels[i]] += 1;
  let cents = centroids;
  if (!cents) {
    cents = new Float64Array(k * d);
    for (let i = 0; i < n; i++) {
      const jo = labels[i] * d;
      for (let t = 0; t < d; t++) cents[jo + t] += data[i * d + t];
    }
    for (let j = 0; j < k; j++) {
      if (counts[j] > 0) for (let t = 0; t < d; t++) cents[j * d + t] /= counts[j];
    }
  } else if (cents.length < k * d) {
    throw new MetricInputError(`Expected ${k}×${d} centroid values, got ${cents.length}.`);
  }
  const scatter = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const jo = labels[i] * d;
    let acc = 0;
    for (let t = 0; t < d; t++) {
      const diff = data[i * d + t] - cents[jo + t];
      acc += diff * diff;
    }
    scatter[labels[i]] += Math.sqrt(acc);
  }
  let present = 0;
  for (let j = 0; j < k; j++) {
    if (counts[j] > 0) {
      scatter[j] /= counts[j];
      present++;
    }
  }
  if (present < 2) {
    throw new MetricInputError(`Davies–Bouldin needs at least 2 non-empty clusters, got ${present}.`);
  }
  let total = 0;
  for (let i = 0; i < k; i++) {
    if (counts[i] === 0) continue;
    let worst = 0;
    for (let j = 0; j < k; j++) {
      if (j === i || counts[j] === 0) continue;
      let acc = 0;
      for (let t = 0; t < d; t++) {
        const diff = cents[i * d + t] - cents[j * d + t];
        acc += diff * diff;
      }
      if (acc === 0) continue;
      const r = (scatter[i] + scatter[j]) / Math.sqrt(acc);
      if (r > worst) worst = r;
    }
    total += worst;
  }
  return total / present;
}
