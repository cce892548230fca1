// Stability of a segmentation: bootstrap resampling of the k-means fit (does each segment come back
// when the customers are resampled?) and, across runs, the adjusted Rand index of two partitions given
// as a contingency table (so shards can count their customers and Validate merges the counts).
// Validate's stability phase turns the bootstrap into a verdict per segment.
import { assignNearest, kmeans } from '../models/kmeans.js';
import { createRandom } from '../util/random.js';
import { type Check, roundTo } from './checks.js';

export interface BootstrapOptions {
  /** bootstrap resamples (refits); default 20 */
  runs?: number;
  seed?: number;
  /** k-means++ restarts per refit; default 2 (a refit only needs to find the structure, not polish it) */
  nInit?: number;
}

export interface BootstrapStability {
  /** per reference segment, the mean over resamples of its best Jaccard with a refitted segment */
  jaccard: number[];
  /** per reference segment, the lowest best-Jaccard seen in any resample */
  minJaccard: number[];
  runs: number;
  rows: number;
}

/**
 * Hennig's cluster-wise bootstrap (clusterboot), in the "assign every row" variant: each resample
 * (rows drawn with replacement) is refitted with k-means, every row of the original sample is then
 * assigned to the refitted centroids, and each reference segment is matched to the refitted segment
 * with which it has the highest Jaccard similarity |A∩B| / |A∪B|. A segment that is real comes back
 * (≈ 1); one carved out of noise moves with every resample.
 */
export function bootstrapStability(
  data: Float64Array,
  n: number,
  d: number,
  centroids: Float64Array,
  k: number,
  options: BootstrapOptions = {},
): BootstrapStability {
  const runs = options.runs ?? 20;
  const reference = assignNearest(data, n, d, centroids, k).labels;
  const refSize = new Float64Array(k);
  for (let i = 0; i < n; i++) refSize[reference[i]]++;
  const sum = new Float64Array(k);
  const min = new Float64Array(k).fill(1);
  const random = createRandom(options.seed ?? 1);
  const resample = new Float64Array(n * d);
  const labels = new Int32Array(n);
  const distances = new Float64Array(n);
  const inter = new Float64Array(k * k);
  const bootSize = new Float64Array(k);
  for (let b = 0; b < runs; b++) {
    for (let i = 0; i < n; i++) {
      const src = random.int(n) * d;
      resample.set(data.subarray(src, src + d), i * d);
    }
    const fit = kmeans(resample, n, d, {
      k,
      nInit: options.nInit ?? 2,
      seed: (options.seed ?? 1) * 1000 + b + 1,
      maxIter: 100,
    });
    assignNearest(data, n, d, fit.centroids, k, labels, distances);
    inter.fill(0);
    bootSize.fill(0);
    for (let i = 0; i < n; i++) {
      inter[reference[i] * k + labels[i]]++;
      bootSize[labels[i]]++;
    }
    for (let c = 0; c < k; c++) {
      let best = 0;
      for (let c2 = 0; c2 < k; c2++) {
        const both = inter[c * k + c2];
        const union = refSize[c] + bootSize[c2] - both;
        const j = union > 0 ? both / union : 0;
        if (j > best) best = j;
      }
      sum[c] += best;
      if (best < min[c]) min[c] = best;
    }
  }
  return {
    jaccard: Array.from(sum, (s) => (runs ? s / runs : 1)),
    minJaccard: Array.from(min),
    runs,
    rows: n,
  };
}

/**
 * Adjusted Rand index from a contingency table (rows: partition A, columns: partition B), as
 * lib/models/metrics.ts adjustedRandIndex computes it from labels: 1 = same partition, ≈ 0 = unrelated.
 */
export function adjustedRandFromTable(table: readonly (readonly number[])[]): number {
  const pairs = (x: number): number => (x * (x - 1)) / 2;
  const cols = Math.max(0, ...table.map((r) => r.length));
  const colSum = new Array<number>(cols).fill(0);
  let n = 0;
  let cells = 0;
  let sumA = 0;
  for (const row of table) {
    let rowSum = 0;
    row.forEach((v, j) => {
      rowSum += v;
      colSum[j] += v;
      cells += pairs(v);
    });
    sumA += pairs(rowSum);
    n += rowSum;
  }
  const sumB = colSum.reduce((s, v) => s + pairs(v), 0);
  const total = pairs(n);
  const expected = total > 0 ? (sumA * sumB) / total : 0;
  const maximum = (sumA + sumB) / 2;
  if (maximum === expected) return 1;
  return (cells - expected) / (maximum - expected);
}

/** The fit sample in the model's standardised space: n rows × d features, row-major. */
export interface StandardisedSample {
  data: Float64Array;
  n: number;
  d: number;
}

export interface StabilitySettings {
  /** bootstrap resamples; 0 skips the phase */
  bootstrapRuns: number;
  /** mean Jaccard below which a segment fails as dissolved */
  dissolvedJaccard: number;
  /** mean Jaccard below which a segment is flagged as unstable */
  unstableJaccard: number;
}

/**
 * Validate's stability phase: the bootstrap Jaccard of each segment (rounded; null when the sample is
 * too small or the phase is off) and its verdict: dissolved (fail), unstable (warn) or stable.
 */
export function stabilityChecks(
  sample: StandardisedSample,
  centroids: Float64Array,
  k: number,
  settings: StabilitySettings,
  seed: number,
): { jaccard: (number | null)[]; checks: Check[][] } {
  const jaccard: (number | null)[] = new Array(k).fill(null);
  const checks: Check[][] = Array.from({ length: k }, () => []);
  if (settings.bootstrapRuns > 0 && sample.n > k * 2) {
    const boot = bootstrapStability(sample.data, sample.n, sample.d, centroids, k, {
      runs: settings.bootstrapRuns,
      seed,
    });
    boot.jaccard.forEach((j, i) => {
      jaccard[i] = roundTo(j, 4);
      checks[i].push(stabilityCheck(j, settings, boot.runs));
    });
  }
  return { jaccard, checks };
}

function stabilityCheck(jaccard: number, v: StabilitySettings, runs: number): Check {
  const verdict = jaccard < v.dissolvedJaccard ? 'fail' : jaccard < v.unstableJaccard ? 'warn' : 'pass';
  return {
    name: 'stability',
    verdict,
    value: roundTo(jaccard, 4),
    threshold: v.unstableJaccard,
    reason:
      verdict === 'fail'
        ? `dissolved: on ${runs} resamples of the customers it came back with only ${jaccard.toFixed(2)} of the same members (below ${v.dissolvedJaccard}); it is an artefact of this sample, not a real group`
        : verdict === 'warn'
          ? `unstable: on ${runs} resamples it kept ${jaccard.toFixed(2)} of its members on average (below ${v.unstableJaccard}); its edges move with the data`
          : `stable: on ${runs} resamples it kept ${jaccard.toFixed(2)} of its members on average`,
  };
}
