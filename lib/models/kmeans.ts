// K-means clustering of customers on row-major Float64Array matrices (n rows × d features).
// Greedy k-means++ seeding (as scikit-learn), several seeded restarts, Lloyd iterations accelerated with
// Hamerly's distance bounds (same answer as plain Lloyd, far fewer distance computations), and k chosen
// by silhouette on a sample with the reason written down in plain words.

import { createRandom, type Random } from '../util/random.js';
import { kmeansHelper } from './kmeans-pool.js';
import { type WasmPasses, wasmPasses, writeCentroidPairs } from './kmeans-wasm.js';
import { silhouetteScore } from './metrics.js';

/** Raised when the input cannot be clustered as asked; the message says what to change. */
export class KMeansInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KMeansInputError';
  }
}

export interface KMeansOptions {
  /** Number of clusters (segments). */
  k: number;
  /** Independent k-means++ restarts; the one with the lowest inertia wins. Default 4 (1 when `init` is given). */
  nInit?: number;
  /** Cap on Lloyd iterations (assignment steps) per restart. Default 300. */
  maxIter?: number;
  /**
   * Relative tolerance, as scikit-learn: a restart stops when the sum over centroids of the squared
   * centroid shift is ≤ tol × (mean over features of the feature variance). It also stops, always, when no
   * label changes (strict convergence). Default 1e-4; 0 means "run until labels stop changing".
   */
  tol?: number;
  /** Seed of the k-means++ seeding; same seed, same data → same result. Default 1. */
  seed?: number;
  /** k×d initial centroids (row-major): skips k-means++ and forces nInit = 1. */
  init?: Float64Array;
  /**
   * 'hamerly' (default) keeps one upper and one lower bound per row and sends a row to the distance
   * kernel only when they cannot prove its centroid is still the nearest; 'elkan' keeps a lower bound
   * per row and centroid (n×k values) and computes single distances instead: on the 1M×12, k=5 bench it
   * used more CPU than Hamerly, so it is opt-in. 'lloyd' is the plain reference, kept to verify that the
   * accelerated ones give the same answer.
   */
  algorithm?: 'elkan' | 'hamerly' | 'lloyd';
  /**
   * Where Hamerly's passes run: 'auto' (default) uses WebAssembly SIMD from about 4,000 values (rows ×
   * features) on, with a helper thread from 2^20 values on where there is a second CPU, and JavaScript
   * below; 'js' and 'wasm' force one. Results are bit-identical either way; 'wasm' still falls back to
   * JavaScript where WebAssembly SIMD is missing or the rows would not fit in a 32-bit memory.
   */
  engine?: 'auto' | 'js' | 'wasm';
}

export interface KMeansResult {
  k: number;
  d: number;
  /** k×d row-major. */
  centroids: Float64Array;
  /** Cluster of each row, in [0, k); always the nearest centroid (lowest index on exact ties). */
  labels: Int32Array;
  /** Sum of squared distances of rows to their centroid. */
  inertia: number;
  /** Assignment steps performed by the winning restart. */
  iterations: number;
  /** False when maxIter was reached before the tolerance or label-stability criterion. */
  converged: boolean;
}

export interface KChoice {
  k: number;
  candidates: { k: number; silhouette: number; inertia: number }[];
  /** Plain words, e.g. "k=4 has the highest silhouette (0.41) of k=3..5 on a 2,000-customer sample". */
  reason: string;
}

// Bounds are widened by this relative slack so rounding can never make a skipped point differ from
// what plain Lloyd would assign; near-ties simply fall through to an exact computation.
const SLACK = 1e-12;

function validateShape(data: Float64Array, n: number, d: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new KMeansInputError(`k-means needs at least one customer row, got n=${n}.`);
  }
  if (!Number.isInteger(d) || d < 1) {
    throw new KMeansInputError(`k-means needs at least one feature column, got d=${d}.`);
  }
  if (data.length < n * d) {
    throw new KMeansInputError(
      `The feature matrix holds ${data.length} values but n×d = ${n}×${d} = ${n * d} were expected; check the row and column counts.`,
    );
  }
}

function validateK(n: number, k: number): void {
  if (!Number.isInteger(k) || k < 1) {
    throw new KMeansInputError(`The number of segments k must be a whole number ≥ 1, got ${k}.`);
  }
  if (n < k) {
    throw new KMeansInputError(
      `Cannot make k=${k} segments from only ${n} customer${n === 1 ? '' : 's'}: lower k to at most ${n} or provide more customers.`,
    );
  }
}

// Rows are processed in blocks by small kernels: V8 optimizes a small function called many times much
// sooner than one long loop, which matters for a single cold fit inside a Lambda.
const BLOCK = 8192;

/** Squared distance between a[ao..ao+d) and b[bo..bo+d); four partial sums for instruction-level parallelism. */
function sqDistAt(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let t = 0;
  for (; t + 3 < d; t += 4) {
    const e0 = a[ao + t] - b[bo + t];
    const e1 = a[ao + t + 1] - b[bo + t + 1];
    const e2 = a[ao + t + 2] - b[bo + t + 2];
    const e3 = a[ao + t + 3] - b[bo + t + 3];
    s0 += e0 * e0;
    s1 += e1 * e1;
    s2 += e2 * e2;
    s3 += e3 * e3;
  }
  let s = s0 + s1 + (s2 + s3);
  for (; t < d; t++) {
    const e = a[ao + t] - b[bo + t];
    s += e * e;
  }
  return s;
}

/**
 * Greedy k-means++ (Arthur & Vassilvitskii, with scikit-learn's 2 + ⌊ln k⌋ local trials per centre):
 * each new centre is the candidate, among rows sampled proportionally to D², that most lowers the
 * total squared distance. Returns k×d centroids, row-major.
 */
export function kmeansPlusPlus(
  data: Float64Array,
  n: number,
  d: number,
  k: number,
  random: Random,
): Float64Array {
  validateShape(data, n, d);
  validateK(n, k);
  const centers = new Float64Array(k * d);
  const nTrials = 2 + Math.floor(Math.log(k));
  const first = random.int(n);
  centers.set(data.subarray(first * d, first * d + d), 0);
  const closest = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  for (let b = 0; b < n; b += BLOCK) closestBlock(data, d, first * d, b, Math.min(n, b + BLOCK), closest);
  const cumulative = new Float64Array(n);
  // All candidates of a round are scored in one pass, block by block, so each block of rows comes from
  // memory once and is reused from cache for the other candidates.
  const ids = new Int32Array(nTrials);
  const candidates = new Float64Array(nTrials * d);
  const work = new Float64Array(nTrials * n);
  const potentials = new Float64Array(nTrials);
  const trials = d * nTrials <= MAX_UNROLLED ? trialsKernel(d, nTrials) : null;
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      total += closest[i];
      cumulative[i] = total;
    }
    if (!Number.isFinite(total)) throwNonFinite(data, n, d);
    for (let t = 0; t < nTrials; t++) {
      ids[t] = total > 0 ? searchAbove(cumulative, random.next() * total) : random.int(n);
      candidates.set(data.subarray(ids[t] * d, ids[t] * d + d), t * d);
    }
    potentials.fill(0);
    for (let b = 0; b < n; b += BLOCK) {
      const end = Math.min(n, b + BLOCK);
      if (trials !== null) trials(data, n, candidates, b, end, closest, work, potentials);
      else trialsBlock(data, n, d, candidates, nTrials, b, end, closest, work, potentials);
    }
    let bestT = 0;
    for (let t = 1; t < nTrials; t++) if (potentials[t] < potentials[bestT]) bestT = t;
    centers.set(candidates.subarray(bestT * d, bestT * d + d), c * d);
    closest.set(work.subarray(bestT * n, bestT * n + n));
  }
  return centers;
}

/** closest[i] = min(closest[i], ‖x_i − data[xo..]‖²) for the block. */
function closestBlock(
  data: Float64Array,
  d: number,
  xo: number,
  start: number,
  end: number,
  closest: Float64Array,
): void {
  for (let i = start; i < end; i++) {
    const s = sqDistAt(data, i * d, data, xo, d);
    if (s < closest[i]) closest[i] = s;
  }
}

/**
 * For each candidate t: work[t·n + i] = min(closest[i], ‖x_i − candidate_t‖²), and its block sum is
 * added to potentials[t].
 */
function trialsBlock(
  data: Float64Array,
  n: number,
  d: number,
  candidates: Float64Array,
  nTrials: number,
  start: number,
  end: number,
  closest: Float64Array,
  work: Float64Array,
  potentials: Float64Array,
): void {
  for (let t = 0; t < nTrials; t++) {
    let potential = 0;
    const wo = t * n;
    const co = t * d;
    for (let i = start; i < end; i++) {
      const s = sqDistAt(data, i * d, candidates, co, d);
      const m = Math.min(s, closest[i]);
      work[wo + i] = m;
      potential += m;
    }
    potentials[t] += potential;
  }
}

type TrialsKernel = (
  data: Float64Array,
  n: number,
  candidates: Float64Array,
  start: number,
  end: number,
  closest: Float64Array,
  work: Float64Array,
  potentials: Float64Array,
) => void;

/** A generated kernel per shape (features × centroids …), compiled once per process and reused. */
function compiled<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let kernel = cache.get(key);
  if (kernel === undefined) {
    kernel = make();
    cache.set(key, kernel);
  }
  return kernel;
}

const trialKernels = new Map<string, TrialsKernel>();

/**
 * trialsBlock as one generated loop: each row is read once into locals and scored against every
 * candidate, with sqDistAt's four partial sums so the seeding is bit-identical to the loop version.
 */
function trialsKernel(d: number, nTrials: number): TrialsKernel {
  return compiled(trialKernels, `${d}x${nTrials}`, () => {
    const lines: string[] = [];
    for (let c = 0; c < nTrials; c++) lines.push(`let p${c} = 0;`);
    lines.push('for (let i = start; i < end; i++) {', `const io = i * ${d};`, 'const near = closest[i];');
    for (let t = 0; t < d; t++) lines.push(`const x${t} = data[io + ${t}];`);
    for (let c = 0; c < nTrials; c++) {
      lines.push('{', 'let s0 = 0; let s1 = 0; let s2 = 0; let s3 = 0;');
      let t = 0;
      for (; t + 3 < d; t += 4) {
        for (let u = 0; u < 4; u++)
          lines.push(
            `const e${t + u} = x${t + u} - candidates[${c * d + t + u}]; s${u} += e${t + u} * e${t + u};`,
          );
      }
      lines.push('let s = s0 + s1 + (s2 + s3);');
      for (; t < d; t++) lines.push(`const e${t} = x${t} - candidates[${c * d + t}]; s += e${t} * e${t};`);
      lines.push('const m = Math.min(s, near);', `work[${c} * n + i] = m;`, `p${c} += m;`, '}');
    }
    lines.push('}');
    for (let c = 0; c < nTrials; c++) lines.push(`potentials[${c}] += p${c};`);
    return new Function(
      'data',
      'n',
      'candidates',
      'start',
      'end',
      'closest',
      'work',
      'potentials',
      lines.join('\n'),
    ) as TrialsKernel;
  });
}

/** First index whose cumulative weight exceeds r, so zero-weight rows (existing centres) are never drawn. */
function searchAbove(cumulative: Float64Array, r: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid] > r) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Nearest and second-nearest centroid of listed rows: writes the nearest index and both squared
 * distances. This is where k-means spends its time, so for each (d, k) a straight-line kernel is
 * generated once (row values held in locals, loops unrolled), about a quarter faster than nested loops
 * in V8. Every assignment path uses the same kernel, so plain Lloyd and Hamerly see identical distances;
 * ties go to the lowest centroid index.
 */
type NearestKernel = (
  data: Float64Array,
  centroids: Float64Array,
  rows: Int32Array,
  m: number,
  outJ: Int32Array,
  outB1: Float64Array,
  outB2: Float64Array,
  outAll: Float64Array,
) => void;

const kernels = new Map<string, NearestKernel>();
// Past this many unrolled terms the generated source stops paying for itself.
const MAX_UNROLLED = 2048;
// Below this many values (rows × features) a fit takes well under a millisecond either way, and compiling
// the module would be most of it; above, WebAssembly is faster even cold (measured from 2,000×12 on).
// Its generated code grows with features × centroids, so very wide shapes stay in JavaScript.
const WASM_MIN_VALUES = 4096;
const MAX_WASM_TERMS = 512;
// A helper thread takes a share of the passes from this many values on (a worker costs about 30 ms of
// CPU to start, once per process).
const HELPER_MIN_VALUES = 1 << 20;
// Up to six centroids' sums fit in registers alongside the row; beyond that, groups of four.
const kernelGroup = (k: number): number => (k <= 6 ? k : 4);

/** With `all`, the kernel also writes every squared distance to outAll[r·k + j] (Elkan's bounds need them). */
function nearestKernel(d: number, k: number, all: boolean): NearestKernel {
  return compiled(kernels, `${d}x${k}${all ? 'a' : ''}`, () =>
    d * k <= MAX_UNROLLED ? generateKernel(d, k, all) : loopKernel(d, k, all),
  );
}

function generateKernel(d: number, k: number, all: boolean): NearestKernel {
  const lines: string[] = ['for (let r = 0; r < m; r++) {', `const io = rows[r] * ${d};`];
  for (let t = 0; t < d; t++) lines.push(`const x${t} = data[io + ${t}];`);
  lines.push('let b1 = Infinity; let b2 = Infinity; let j1 = 0;');
  // Centroids are interleaved in small groups: each distance is still summed in feature order (so it is
  // bit-identical to sqDistSeq), but independent addition chains hide the floating-point latency
  // that a single chain is bound by.
  const size = kernelGroup(k);
  for (let g = 0; g < k; g += size) {
    const group = Array.from({ length: Math.min(size, k - g) }, (_, q) => g + q);
    lines.push('{');
    for (const j of group) lines.push(`let s${j} = 0;`);
    for (let t = 0; t < d; t++) {
      for (const j of group)
        lines.push(`const e${j}_${t} = x${t} - centroids[${j * d + t}]; s${j} += e${j}_${t} * e${j}_${t};`);
    }
    for (const j of group) {
      if (all) lines.push(`outAll[r * ${k} + ${j}] = s${j};`);
      lines.push(`if (s${j} < b1) { b2 = b1; b1 = s${j}; j1 = ${j}; } else if (s${j} < b2) b2 = s${j};`);
    }
    lines.push('}');
  }
  lines.push('outJ[r] = j1; outB1[r] = b1; outB2[r] = b2;', '}');
  return new Function(
    'data',
    'centroids',
    'rows',
    'm',
    'outJ',
    'outB1',
    'outB2',
    'outAll',
    lines.join('\n'),
  ) as NearestKernel;
}

/** Same arithmetic, in the same order, as the generated kernel, for very wide inputs. */
function loopKernel(d: number, k: number, all: boolean): NearestKernel {
  return (data, centroids, rows, m, outJ, outB1, outB2, outAll) => {
    for (let r = 0; r < m; r++) {
      const io = rows[r] * d;
      let b1 = Number.POSITIVE_INFINITY;
      let b2 = Number.POSITIVE_INFINITY;
      let j1 = 0;
      for (let j = 0; j < k; j++) {
        const co = j * d;
        let s = 0;
        for (let t = 0; t < d; t++) {
          const e = data[io + t] - centroids[co + t];
          s += e * e;
        }
        if (all) outAll[r * k + j] = s;
        if (s < b1) {
          b2 = b1;
          b1 = s;
          j1 = j;
        } else if (s < b2) b2 = s;
      }
      outJ[r] = j1;
      outB1[r] = b1;
      outB2[r] = b2;
    }
  };
}

/**
 * The distance part of a generated kernel: with the row in locals x0…x(d−1), leaves the nearest index in
 * j1 and the two smallest squared distances in b1, b2. Same arithmetic, in the same order, as
 * generateKernel, so every path sees bit-identical distances.
 */
function distanceLines(d: number, k: number): string[] {
  const lines: string[] = ['let b1 = Infinity; let b2 = Infinity; let j1 = 0;'];
  const size = kernelGroup(k);
  for (let g = 0; g < k; g += size) {
    const group = Array.from({ length: Math.min(size, k - g) }, (_, q) => g + q);
    lines.push('{');
    for (const j of group) lines.push(`let s${j} = 0;`);
    for (let t = 0; t < d; t++) {
      for (const j of group)
        lines.push(`const e${j}_${t} = x${t} - centroids[${j * d + t}]; s${j} += e${j}_${t} * e${j}_${t};`);
    }
    for (const j of group)
      lines.push(`if (s${j} < b1) { b2 = b1; b1 = s${j}; j1 = ${j}; } else if (s${j} < b2) b2 = s${j};`);
    lines.push('}');
  }
  return lines;
}

/** ‖x − ref‖² into `q`, with sqDistAt's four partial sums (bit-identical to it). */
function refLines(d: number): string[] {
  const lines: string[] = ['let q0 = 0; let q1 = 0; let q2 = 0; let q3 = 0;'];
  let t = 0;
  for (; t + 3 < d; t += 4) {
    for (let u = 0; u < 4; u++)
      lines.push(`const f${t + u} = x${t + u} - ref[${t + u}]; q${u} += f${t + u} * f${t + u};`);
  }
  lines.push('let q = q0 + q1 + (q2 + q3);');
  for (; t < d; t++) lines.push(`const f${t} = x${t} - ref[${t}]; q += f${t} * f${t};`);
  return lines;
}

const loadRow = (d: number): string[] =>
  Array.from({ length: d }, (_, t) => `const x${t} = data[io + ${t}];`);

/**
 * First, exhaustive assignment fused with its bookkeeping in one generated loop (the row is read once
 * and stays in locals): label, Hamerly bounds, cluster sums, counts and Σ‖x − ref‖²; returns the block's
 * Σ of squared distances. Same results as the kernel followed by firstBlock's loop, about half the time.
 */
type FirstPass = (
  data: Float64Array,
  centroids: Float64Array,
  start: number,
  end: number,
  labels: Int32Array,
  upper: Float64Array,
  lower: Float64Array,
  sums: Float64Array,
  counts: Float64Array,
  ref: Float64Array,
  sq: Float64Array,
) => number;

/**
 * Hamerly's assignment step fused in one generated loop: the bound test, the distances of the rows it
 * cannot settle, and the statistics moves of rows that change cluster (as moveRow). Returns label changes.
 */
type HamerlyPass = (
  data: Float64Array,
  centroids: Float64Array,
  start: number,
  end: number,
  labels: Int32Array,
  upper: Float64Array,
  lower: Float64Array,
  drift: Float64Array,
  half: Float64Array,
  maxDriftJ: number,
  maxDrift: number,
  secondDrift: number,
  sums: Float64Array,
  counts: Float64Array,
  ref: Float64Array,
  sq: Float64Array,
) => number;

const firstPasses = new Map<string, FirstPass>();
const hamerlyPasses = new Map<string, HamerlyPass>();
const UP = 1 + SLACK;
const DOWN = 1 - SLACK;

function firstPass(d: number, k: number): FirstPass {
  return compiled(firstPasses, `${d}x${k}`, () => {
    const lines = ['let total = 0;', 'for (let i = start; i < end; i++) {', `const io = i * ${d};`];
    lines.push(...loadRow(d), ...distanceLines(d, k));
    lines.push(
      'labels[i] = j1;',
      `upper[i] = Math.sqrt(b1) * ${UP};`,
      `lower[i] = Math.sqrt(b2) * ${DOWN};`,
      'total += b1;',
      'counts[j1] += 1;',
      `const so = j1 * ${d};`,
    );
    for (let t = 0; t < d; t++) lines.push(`sums[so + ${t}] += x${t};`);
    lines.push(...refLines(d), 'sq[j1] += q;', '}', 'return total;');
    return new Function(
      'data',
      'centroids',
      'start',
      'end',
      'labels',
      'upper',
      'lower',
      'sums',
      'counts',
      'ref',
      'sq',
      lines.join('\n'),
    ) as FirstPass;
  });
}

function hamerlyPass(d: number, k: number): HamerlyPass {
  return compiled(hamerlyPasses, `${d}x${k}`, () => {
    const lines = [
      'let changed = 0;',
      'for (let i = start; i < end; i++) {',
      'const a = labels[i];',
      'const u = upper[i] + drift[a];',
      'const l = lower[i] - (a === maxDriftJ ? secondDrift : maxDrift);',
      'if (u < Math.max(half[a], l)) { upper[i] = u; lower[i] = l; continue; }',
      `const io = i * ${d};`,
      ...loadRow(d),
      ...distanceLines(d, k),
      `upper[i] = Math.sqrt(b1) * ${UP};`,
      `lower[i] = Math.sqrt(b2) * ${DOWN};`,
      'if (j1 === a) continue;',
      'labels[i] = j1;',
      'changed++;',
      'counts[a] -= 1;',
      'counts[j1] += 1;',
      ...refLines(d),
      'sq[a] -= q;',
      'sq[j1] += q;',
      `const fo = a * ${d};`,
      `const to = j1 * ${d};`,
    ];
    for (let t = 0; t < d; t++) lines.push(`sums[fo + ${t}] -= x${t};`, `sums[to + ${t}] += x${t};`);
    lines.push('}', 'return changed;');
    return new Function(
      'data',
      'centroids',
      'start',
      'end',
      'labels',
      'upper',
      'lower',
      'drift',
      'half',
      'maxDriftJ',
      'maxDrift',
      'secondDrift',
      'sums',
      'counts',
      'ref',
      'sq',
      lines.join('\n'),
    ) as HamerlyPass;
  });
}

/** Per-block scratch for the kernel. */
interface Scratch {
  rows: Int32Array;
  outJ: Int32Array;
  outB1: Float64Array;
  outB2: Float64Array;
  outAll: Float64Array;
}

function newScratch(k: number, all: boolean): Scratch {
  return {
    rows: new Int32Array(BLOCK),
    outJ: new Int32Array(BLOCK),
    outB1: new Float64Array(BLOCK),
    outB2: new Float64Array(BLOCK),
    outAll: new Float64Array(all ? BLOCK * k : 0),
  };
}

/** Exhaustive nearest-centroid assignment (lowest index on exact ties); distances are squared. */
export function assignNearest(
  data: Float64Array,
  n: number,
  d: number,
  centroids: Float64Array,
  k: number,
  labelsOut?: Int32Array,
  distancesOut?: Float64Array,
): { labels: Int32Array; distances: Float64Array; inertia: number } {
  validateShape(data, n, d);
  if (!Number.isInteger(k) || k < 1) {
    throw new KMeansInputError(`The number of centroids k must be a whole number ≥ 1, got ${k}.`);
  }
  if (centroids.length < k * d) {
    throw new KMeansInputError(`Expected ${k}×${d} centroid values, got ${centroids.length}.`);
  }
  const labels = labelsOut ?? new Int32Array(n);
  const distances = distancesOut ?? new Float64Array(n);
  const kernel = nearestKernel(d, k, false);
  const sc = newScratch(k, false);
  let inertia = 0;
  for (let b = 0; b < n; b += BLOCK) {
    const m = Math.min(n, b + BLOCK) - b;
    for (let r = 0; r < m; r++) sc.rows[r] = b + r;
    kernel(data, centroids, sc.rows, m, sc.outJ, sc.outB1, sc.outB2, sc.outAll);
    for (let r = 0; r < m; r++) {
      labels[b + r] = sc.outJ[r];
      distances[b + r] = sc.outB1[r];
      inertia += sc.outB1[r];
    }
  }
  return { labels, distances, inertia };
}

/** Name the first non-finite value, or say the values overflow when squared. */
function throwNonFinite(data: Float64Array, n: number, d: number): never {
  for (let i = 0; i < n * d; i++) {
    if (!Number.isFinite(data[i])) {
      throw new KMeansInputError(
        `Feature ${i % d} of row ${Math.floor(i / d)} is ${data[i]}; k-means needs finite numbers, so impute or drop missing values before clustering.`,
      );
    }
  }
  throw new KMeansInputError('The features are too large to cluster without overflow; scale them first.');
}

interface FitState {
  centroids: Float64Array;
  labels: Int32Array;
  iterations: number;
  converged: boolean;
  inertia: number;
}

/** Scratch state of one Lloyd run, shared by the block kernels. */
interface Work {
  d: number;
  k: number;
  kernel: NearestKernel;
  sc: Scratch;
  centroids: Float64Array;
  labels: Int32Array;
  upper: Float64Array;
  lower: Float64Array;
  sums: Float64Array;
  counts: Float64Array;
  /** Reference point (the first row) and, per cluster, Σ‖x − ref‖²: inertia without another pass. */
  ref: Float64Array;
  sq: Float64Array;
  drift: Float64Array;
  half: Float64Array;
  /** Elkan only: lower bound of the distance from row i to centroid j at [i·k + j]. */
  lowerK: Float64Array;
  /** Elkan only: half the distance between centroids j and j2 at [j·k + j2]. */
  pairHalf: Float64Array;
  maxDriftJ: number;
  maxDrift: number;
  secondDrift: number;
}

/**
 * Exhaustive first assignment: seeds Hamerly's bounds, accumulates cluster sums and returns the
 * block's sum of squared distances to the initial centroids (used for the data's variance).
 */
function firstBlock(data: Float64Array, w: Work, start: number, end: number): number {
  const { d, k, kernel, sc, centroids, labels, upper, lower, lowerK, sums, counts, ref, sq } = w;
  const m = end - start;
  for (let r = 0; r < m; r++) sc.rows[r] = start + r;
  kernel(data, centroids, sc.rows, m, sc.outJ, sc.outB1, sc.outB2, sc.outAll);
  let total = 0;
  for (let r = 0; r < m; r++) {
    const i = start + r;
    const j1 = sc.outJ[r];
    labels[i] = j1;
    upper[i] = Math.sqrt(sc.outB1[r]) * (1 + SLACK);
    lower[i] = Math.sqrt(sc.outB2[r]) * (1 - SLACK);
    if (lowerK.length > 0) {
      for (let j = 0; j < k; j++) lowerK[i * k + j] = Math.sqrt(sc.outAll[r * k + j]) * (1 - SLACK);
    }
    total += sc.outB1[r];
    counts[j1] += 1;
    const io = i * d;
    const jo = j1 * d;
    for (let t = 0; t < d; t++) sums[jo + t] += data[io + t];
    sq[j1] += sqDistAt(data, io, ref, 0, d);
  }
  return total;
}

/**
 * Hamerly's assignment step for a block: upper[i] bounds the distance to the own centroid, lower[i]
 * the distance to every other one; both are first moved by the centroid drifts of the last update. A
 * row goes to the kernel only when the bounds cannot prove its centroid is still the nearest. Returns
 * the number of rows whose label changed; the cluster statistics follow the moves.
 */
function hamerlyBlock(data: Float64Array, w: Work, start: number, end: number): number {
  const { kernel, sc, centroids, labels, upper, lower, drift, half, maxDriftJ, maxDrift, secondDrift } = w;
  const pending = sc.rows;
  let m = 0;
  for (let i = start; i < end; i++) {
    const a = labels[i];
    const u = upper[i] + drift[a];
    const l = lower[i] - (a === maxDriftJ ? secondDrift : maxDrift);
    const h = half[a];
    const bound = Math.max(h, l);
    // Textbook Hamerly first tightens u with one exact distance; with the interleaved kernel, computing
    // all k distances for the row is cheaper overall (measured: −5% CPU on separated blobs, −13% on
    // overlapping ones).
    if (u >= bound) {
      pending[m++] = i;
      continue;
    }
    upper[i] = u;
    lower[i] = l;
  }
  if (m === 0) return 0;
  kernel(data, centroids, pending, m, sc.outJ, sc.outB1, sc.outB2, sc.outAll);
  let changed = 0;
  for (let r = 0; r < m; r++) {
    const i = pending[r];
    const a = labels[i];
    const j1 = sc.outJ[r];
    upper[i] = Math.sqrt(sc.outB1[r]) * (1 + SLACK);
    lower[i] = Math.sqrt(sc.outB2[r]) * (1 - SLACK);
    if (j1 !== a) {
      labels[i] = j1;
      changed++;
      moveRow(data, w, i, a, j1);
    }
  }
  return changed;
}

/** Squared distance summed in feature order: bit-identical to the generated kernel's. */
function sqDistSeq(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) {
    const e = a[ao + t] - b[bo + t];
    s += e * e;
  }
  return s;
}

/**
 * Elkan's assignment step for a block: besides the upper bound, a lower bound per (row, centroid),
 * each lowered by that centroid's drift. Centroid j is examined only if neither its lower bound nor
 * half its distance to the current centroid proves it farther; exact comparisons break ties towards
 * the lower index, as plain Lloyd does. Returns the number of label changes.
 */
function elkanBlock(data: Float64Array, w: Work, start: number, end: number): number {
  const { d, k, centroids, labels, upper, lowerK, pairHalf, drift, half } = w;
  let changed = 0;
  for (let i = start; i < end; i++) {
    const lo = i * k;
    for (let j = 0; j < k; j++) lowerK[lo + j] -= drift[j];
    const old = labels[i];
    let a = old;
    let u = upper[i] + drift[a];
    if (u < half[a]) {
      upper[i] = u;
      continue;
    }
    const io = i * d;
    let tight = false;
    let da2 = 0;
    for (let j = 0; j < k; j++) {
      if (j === a) continue;
      const lj = lowerK[lo + j];
      const hj = pairHalf[a * k + j];
      if (u < lj || u < hj) continue;
      if (!tight) {
        da2 = sqDistSeq(data, io, centroids, a * d, d);
        const da = Math.sqrt(da2);
        u = da * (1 + SLACK);
        lowerK[lo + a] = da * (1 - SLACK);
        tight = true;
        if (u < lj || u < hj) continue;
      }
      const dj2 = sqDistSeq(data, io, centroids, j * d, d);
      const dj = Math.sqrt(dj2);
      lowerK[lo + j] = dj * (1 - SLACK);
      if (dj2 < da2 || (dj2 === da2 && j < a)) {
        a = j;
        da2 = dj2;
        u = dj * (1 + SLACK);
      }
    }
    upper[i] = u;
    if (a !== old) {
      labels[i] = a;
      changed++;
      moveRow(data, w, i, old, a);
    }
  }
  return changed;
}

/** Plain Lloyd assignment for a block (the reference): every row against every centroid. */
function plainBlock(data: Float64Array, w: Work, start: number, end: number): number {
  const { kernel, sc, centroids, labels } = w;
  const m = end - start;
  for (let r = 0; r < m; r++) sc.rows[r] = start + r;
  kernel(data, centroids, sc.rows, m, sc.outJ, sc.outB1, sc.outB2, sc.outAll);
  let changed = 0;
  for (let r = 0; r < m; r++) {
    if (labels[start + r] !== sc.outJ[r]) {
      labels[start + r] = sc.outJ[r];
      changed++;
    }
  }
  return changed;
}

function accumulateBlock(data: Float64Array, w: Work, start: number, end: number): void {
  const { d, labels, sums, counts, ref, sq } = w;
  for (let i = start; i < end; i++) {
    const jo = labels[i] * d;
    const io = i * d;
    counts[labels[i]] += 1;
    for (let t = 0; t < d; t++) sums[jo + t] += data[io + t];
    sq[labels[i]] += sqDistAt(data, io, ref, 0, d);
  }
}

/** Move row i from cluster `from` to `to`, keeping sums, counts and Σ‖x − ref‖² in step. */
function moveRow(data: Float64Array, w: Work, i: number, from: number, to: number): void {
  const { d, sums, counts, ref, sq } = w;
  const io = i * d;
  counts[from] -= 1;
  counts[to] += 1;
  const q = sqDistAt(data, io, ref, 0, d);
  sq[from] -= q;
  sq[to] += q;
  const fo = from * d;
  const to2 = to * d;
  for (let t = 0; t < d; t++) {
    const v = data[io + t];
    sums[fo + t] -= v;
    sums[to2 + t] += v;
  }
}

/**
 * Inertia from per-cluster statistics instead of one more pass over the data: for cluster j with mean
 * m_j and centroid c_j, Σ‖x − c_j‖² = Σ‖x − ref‖² − n_j‖m_j − ref‖² + n_j‖m_j − c_j‖². Taking ref
 * inside the data (its first row) keeps the cancellation small, as in a shifted-variance formula.
 */
function inertiaFromStats(w: Work): number {
  const { d, k, sums, counts, ref, sq, centroids } = w;
  let inertia = 0;
  for (let j = 0; j < k; j++) {
    const nj = counts[j];
    if (nj === 0) continue;
    let toRef = 0;
    let toCentroid = 0;
    for (let t = 0; t < d; t++) {
      const mj = sums[j * d + t] / nj;
      toRef += (mj - ref[t]) ** 2;
      toCentroid += (mj - centroids[j * d + t]) ** 2;
    }
    inertia += Math.max(0, sq[j] - nj * toRef) + nj * toCentroid;
  }
  return inertia;
}

function recomputeSums(data: Float64Array, n: number, w: Work): void {
  w.sums.fill(0);
  w.counts.fill(0);
  w.sq.fill(0);
  for (let b = 0; b < n; b += BLOCK) accumulateBlock(data, w, b, Math.min(n, b + BLOCK));
}

/**
 * Mean over features of the population feature variance (the scale of sklearn's relative tol), from
 * the first assignment pass instead of an extra pass over the data: with m_j the mean of cluster j and
 * c_j its initial centroid, Σ‖x − μ‖² = Σ‖x − c_j‖² − Σ n_j‖m_j − c_j‖² + Σ n_j‖m_j − μ‖².
 */
function meanVarianceFromFirstPass(
  n: number,
  d: number,
  k: number,
  firstSS: number,
  sums: Float64Array,
  counts: Float64Array,
  init: Float64Array,
): number {
  const mu = new Float64Array(d);
  for (let j = 0; j < k; j++) for (let t = 0; t < d; t++) mu[t] += sums[j * d + t];
  for (let t = 0; t < d; t++) mu[t] /= n;
  let total = firstSS;
  for (let j = 0; j < k; j++) {
    if (counts[j] === 0) continue;
    let toInit = 0;
    let toMean = 0;
    for (let t = 0; t < d; t++) {
      const mj = sums[j * d + t] / counts[j];
      toInit += (mj - init[j * d + t]) ** 2;
      toMean += (mj - mu[t]) ** 2;
    }
    total += counts[j] * (toMean - toInit);
  }
  return Math.max(0, total) / (n * d);
}

/**
 * One Lloyd run from given centroids. Iteration = assignment step then centroid update. Stops when no
 * label changes (centroids are then the means of their members; the sums behind them are kept
 * incrementally, within ~1e-13 relative of a fresh sum), when the summed squared centroid shift is
 * ≤ tol × mean feature variance, or at maxIter; in the last two cases labels are refreshed against the
 * final centroids (as sklearn), so labels are always the nearest centroid.
 */
function lloyd(
  data: Float64Array,
  n: number,
  d: number,
  k: number,
  init: Float64Array,
  maxIter: number,
  tol: number,
  mode: 'elkan' | 'hamerly' | 'lloyd',
  wasm: WasmPasses | null,
): FitState {
  const elkan = mode === 'elkan';
  // The fused passes need the unrolled kernel (d×k not huge) and Hamerly's two bounds; Elkan and the
  // plain reference keep the separate kernel.
  const fused = mode === 'hamerly' && d * k <= MAX_UNROLLED;
  const w: Work = {
    d,
    k,
    kernel: nearestKernel(d, k, elkan),
    sc: newScratch(k, elkan),
    centroids: Float64Array.from(init.subarray(0, k * d)),
    ...(wasm === null ? jsArrays(n, d, k) : wasmArrays(wasm, n, d, k)),
    lowerK: new Float64Array(elkan ? n * k : 0),
    pairHalf: new Float64Array(k * k),
    maxDriftJ: 0,
    maxDrift: 0,
    secondDrift: 0,
  };
  const { centroids, sums, counts, drift, half, pairHalf } = w;
  w.ref.set(data.subarray(0, d));
  const next = new Float64Array(k * d);

  const first = fused && wasm === null ? firstPass(d, k) : null;
  const step = fused && wasm === null ? hamerlyPass(d, k) : null;
  let firstSS = 0;
  if (wasm !== null) {
    // the memory is reused by restarts and later fits: start the statistics from zero
    sums.fill(0);
    counts.fill(0);
    w.sq.fill(0);
    writeCentroidPairs(wasm.memory, wasm.layout, centroids, d, k);
    firstSS = wasm.first();
  }
  for (let b = 0; wasm === null && b < n; b += BLOCK) {
    const end = Math.min(n, b + BLOCK);
    if (first !== null)
      firstSS += first(data, centroids, b, end, w.labels, w.upper, w.lower, sums, counts, w.ref, w.sq);
    else firstSS += firstBlock(data, w, b, end);
  }
  if (!Number.isFinite(firstSS)) throwNonFinite(data, n, d);
  const tolAbs = tol * meanVarianceFromFirstPass(n, d, k, firstSS, sums, counts, centroids);
  let iterations = 1;
  let changed = n;
  let converged = false;

  for (;;) {
    changed += relocateEmpty(data, n, w);
    if (changed === 0) {
      converged = true;
      break;
    }
    // Centroid update: sum / count (not sum × 1/count), as other implementations do.
    let shift = 0;
    w.maxDrift = 0;
    w.secondDrift = 0;
    w.maxDriftJ = 0;
    for (let j = 0; j < k; j++) {
      const co = j * d;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const v = sums[co + t] / counts[j];
        const diff = v - centroids[co + t];
        s += diff * diff;
        next[co + t] = v;
      }
      shift += s;
      const dj = Math.sqrt(s) * (1 + SLACK);
      drift[j] = dj;
      if (dj > w.maxDrift) {
        w.secondDrift = w.maxDrift;
        w.maxDrift = dj;
        w.maxDriftJ = j;
      } else if (dj > w.secondDrift) w.secondDrift = dj;
    }
    centroids.set(next);
    if (wasm !== null) writeCentroidPairs(wasm.memory, wasm.layout, centroids, d, k);
    const stop = shift <= tolAbs || iterations >= maxIter;
    if (stop) converged = shift <= tolAbs;

    // Half the distance from each centroid to its nearest other one: a row closer than that to its own
    // centroid cannot be closer to any other.
    for (let j = 0; j < k; j++) {
      let m = Number.POSITIVE_INFINITY;
      for (let j2 = 0; j2 < k; j2++) {
        if (j2 === j) continue;
        const s = sqDistAt(centroids, j * d, centroids, j2 * d, d);
        pairHalf[j * k + j2] = 0.5 * Math.sqrt(s) * (1 - SLACK);
        if (s < m) m = s;
      }
      half[j] = 0.5 * Math.sqrt(m) * (1 - SLACK);
    }

    changed = wasm === null ? 0 : wasm.hamerly(w.maxDriftJ, w.maxDrift, w.secondDrift);
    for (let b = 0; wasm === null && b < n; b += BLOCK) {
      const end = Math.min(n, b + BLOCK);
      if (step !== null) {
        changed += step(
          data,
          centroids,
          b,
          end,
          w.labels,
          w.upper,
          w.lower,
          drift,
          half,
          w.maxDriftJ,
          w.maxDrift,
          w.secondDrift,
          sums,
          counts,
          w.ref,
          w.sq,
        );
      } else if (elkan) changed += elkanBlock(data, w, b, end);
      else if (mode === 'hamerly') changed += hamerlyBlock(data, w, b, end);
      else changed += plainBlock(data, w, b, end);
    }
    if (stop) break;
    iterations++;
    if (mode === 'lloyd') recomputeSums(data, n, w);
  }
  // Plain Lloyd's final relabelling does not maintain the statistics; the accelerated paths do.
  if (mode === 'lloyd' && changed > 0) recomputeSums(data, n, w);
  const inertia = inertiaFromStats(w);
  // A copy: the WebAssembly memory is reused by the next restart or fit.
  const labels = wasm === null ? w.labels : w.labels.slice();
  return { centroids, labels, iterations, converged, inertia };
}

type RowArrays = Pick<
  Work,
  'labels' | 'upper' | 'lower' | 'sums' | 'counts' | 'ref' | 'sq' | 'drift' | 'half'
>;

function jsArrays(n: number, d: number, k: number): RowArrays {
  return {
    labels: new Int32Array(n),
    upper: new Float64Array(n),
    lower: new Float64Array(n),
    sums: new Float64Array(k * d),
    counts: new Float64Array(k),
    ref: new Float64Array(d),
    sq: new Float64Array(k),
    drift: new Float64Array(k),
    half: new Float64Array(k),
  };
}

/** The same arrays as views on the WebAssembly memory, so every JavaScript step works on them unchanged. */
function wasmArrays(wasm: WasmPasses, n: number, d: number, k: number): RowArrays {
  const { buffer } = wasm.memory;
  const L = wasm.layout;
  return {
    labels: new Int32Array(buffer, L.labels, n),
    upper: new Float64Array(buffer, L.upper, n),
    lower: new Float64Array(buffer, L.lower, n),
    sums: new Float64Array(buffer, L.sums, k * d),
    counts: new Float64Array(buffer, L.counts, k),
    ref: new Float64Array(buffer, L.ref, d),
    sq: new Float64Array(buffer, L.sq, k),
    drift: new Float64Array(buffer, L.drift, k),
    half: new Float64Array(buffer, L.half, k),
  };
}

/**
 * Empty clusters are re-seeded deterministically: each empty cluster, in index order, takes the row
 * farthest from its current centroid (lowest row index on ties) among clusters that can spare a row.
 * That row's bounds are reset so the next step recomputes it exactly. Returns the rows moved.
 */
function relocateEmpty(data: Float64Array, n: number, w: Work): number {
  const { d, k, centroids, labels, counts, sums, upper, lower, lowerK } = w;
  let empty = 0;
  for (let j = 0; j < k; j++) if (counts[j] === 0) empty++;
  if (empty === 0) return 0;
  const far = new Float64Array(n);
  for (let i = 0; i < n; i++) far[i] = sqDistAt(data, i * d, centroids, labels[i] * d, d);
  for (let j = 0; j < k; j++) {
    if (counts[j] !== 0) continue;
    let pick = -1;
    let pickD = -1;
    for (let i = 0; i < n; i++) {
      if (far[i] > pickD && counts[labels[i]] > 1) {
        pickD = far[i];
        pick = i;
      }
    }
    // n ≥ k guarantees some cluster holds two rows while another is empty.
    moveRow(data, w, pick, labels[pick], j);
    // The cluster was empty: its statistics are exactly this row's (no leftover rounding from moves).
    sums.set(data.subarray(pick * d, pick * d + d), j * d);
    w.sq[j] = sqDistAt(data, pick * d, w.ref, 0, d);
    labels[pick] = j;
    far[pick] = -1;
    upper[pick] = Number.POSITIVE_INFINITY;
    lower[pick] = 0;
    if (lowerK.length > 0) lowerK.fill(0, pick * k, pick * k + k);
  }
  return empty;
}

/**
 * Fit k-means. Deterministic for the same data, options and seed: restart r seeds k-means++ from a
 * stream derived from `seed`; the restart with the lowest inertia wins (the earliest on exact ties).
 */
export function kmeans(data: Float64Array, n: number, d: number, options: KMeansOptions): KMeansResult {
  validateShape(data, n, d);
  const k = options.k;
  validateK(n, k);
  const maxIter = options.maxIter ?? 300;
  const tol = options.tol ?? 1e-4;
  if (!Number.isInteger(maxIter) || maxIter < 1) {
    throw new KMeansInputError(`maxIter must be a whole number ≥ 1, got ${maxIter}.`);
  }
  if (!(tol >= 0)) throw new KMeansInputError(`tol must be ≥ 0, got ${tol}.`);
  const mode = options.algorithm ?? 'hamerly';

  let nInit = options.nInit ?? 4;
  if (options.init) {
    if (options.init.length !== k * d) {
      throw new KMeansInputError(
        `Initial centroids hold ${options.init.length} values but k×d = ${k}×${d} = ${k * d} were expected.`,
      );
    }
    for (let i = 0; i < k * d; i++) {
      if (!Number.isFinite(options.init[i])) {
        throw new KMeansInputError(`Initial centroid value ${i} is ${options.init[i]}; it must be finite.`);
      }
    }
    nInit = 1;
  }
  if (!Number.isInteger(nInit) || nInit < 1) {
    throw new KMeansInputError(`nInit must be a whole number ≥ 1, got ${nInit}.`);
  }

  const engine = options.engine ?? 'auto';
  // The rows are copied into WebAssembly memory once for all restarts.
  const wasm =
    mode === 'hamerly' &&
    d * k <= MAX_WASM_TERMS &&
    (engine === 'wasm' || (engine === 'auto' && n * d >= WASM_MIN_VALUES))
      ? wasmPasses(data, n, d, k, BLOCK, n * d >= HELPER_MIN_VALUES ? kmeansHelper() : null)
      : null;
  const random = createRandom(options.seed ?? 1);
  let best: KMeansResult | null = null;
  for (let r = 0; r < nInit; r++) {
    const init = options.init ?? kmeansPlusPlus(data, n, d, k, random);
    const fit = lloyd(data, n, d, k, init, maxIter, tol, mode, wasm);
    const inertia = fit.inertia;
    if (best === null || inertia < best.inertia) {
      best = {
        k,
        d,
        centroids: fit.centroids,
        labels: fit.labels,
        inertia,
        iterations: fit.iterations,
        converged: fit.converged,
      };
    }
  }
  return best as KMeansResult;
}

/**
 * Fit k-means for each k in [kMin, kMax] and keep the k with the highest mean silhouette, measured on
 * the same seeded sample of rows for every k (exact ties go to the smaller k: fewer segments are easier
 * to act on). kMax is capped at n − 1 because the silhouette needs at least one cluster with two rows.
 */
export function chooseK(
  data: Float64Array,
  n: number,
  d: number,
  options: { kMin?: number; kMax?: number; seed?: number; silhouetteSample?: number; nInit?: number },
): KChoice & { result: KMeansResult } {
  validateShape(data, n, d);
  const kMin = options.kMin ?? 3;
  const kMaxAsked = options.kMax ?? 5;
  const seed = options.seed ?? 1;
  const sample = options.silhouetteSample ?? 2000;
  if (!Number.isInteger(kMin) || kMin < 2) {
    throw new KMeansInputError(
      `kMin must be a whole number ≥ 2 (silhouette compares clusters), got ${kMin}.`,
    );
  }
  if (!Number.isInteger(kMaxAsked) || kMaxAsked < kMin) {
    throw new KMeansInputError(`kMax must be a whole number ≥ kMin=${kMin}, got ${kMaxAsked}.`);
  }
  if (n <= kMin) {
    throw new KMeansInputError(
      `Choosing between k=${kMin}..${kMaxAsked} segments needs more than ${kMin} customers, got ${n}: provide more customers or lower kMin.`,
    );
  }
  const kMax = Math.min(kMaxAsked, n - 1);
  const candidates: { k: number; silhouette: number; inertia: number }[] = [];
  const results: KMeansResult[] = [];
  for (let k = kMin; k <= kMax; k++) {
    const result = kmeans(data, n, d, { k, seed, nInit: options.nInit });
    const silhouette = silhouetteScore(data, n, d, result.labels, k, { sampleSize: sample, seed });
    candidates.push({ k, silhouette, inertia: result.inertia });
    results.push(result);
  }
  let bestIndex = 0;
  for (let c = 1; c < candidates.length; c++) {
    if (candidates[c].silhouette > candidates[bestIndex].silhouette) bestIndex = c;
  }
  const chosen = candidates[bestIndex];
  const where = n > sample ? `on a ${fmtInt(sample)}-customer sample` : `on all ${fmtInt(n)} customers`;
  const range = kMin === kMax ? `k=${kMin}` : `k=${kMin}..${kMax}`;
  let reason =
    candidates.length === 1
      ? `k=${chosen.k} is the only candidate (silhouette ${fmt2(chosen.silhouette)} ${where})`
      : `k=${chosen.k} has the highest silhouette (${fmt2(chosen.silhouette)}) of ${range} ${where}`;
  if (candidates.length > 1) {
    let runner = -1;
    for (let c = 0; c < candidates.length; c++) {
      if (c !== bestIndex && (runner < 0 || candidates[c].silhouette > candidates[runner].silhouette))
        runner = c;
    }
    const r = candidates[runner];
    reason +=
      r.silhouette === chosen.silhouette
        ? `; tied with k=${r.k}, the smaller k wins because fewer segments are easier to act on`
        : `; runner-up k=${r.k} (${fmt2(r.silhouette)})`;
  }
  if (kMax < kMaxAsked)
    reason += `; k above ${kMax} was not tried because there are only ${fmtInt(n)} customers`;
  if (chosen.silhouette < 0.25) {
    reason += '; the structure is weak (silhouette below 0.25), so treat segments as soft groupings';
  }
  return { k: chosen.k, candidates, reason, result: results[bestIndex] };
}

function fmt2(x: number): string {
  return x.toFixed(2);
}

function fmtInt(x: number): string {
  return x.toLocaleString('en-US');
}
