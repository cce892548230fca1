// How good is a score, and how to cut it: ROC AUC, lift, Brier score and calibration for propensity and
// lookalike models, plus score bands and percentile ranks for activation. All O(n log n) with native
// typed-array sorts (no comparator callbacks), so they stay fast on millions of customers.

/** Scores and labels that cannot be evaluated (length mismatch, NaN, out of range). */
export class EvaluationInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvaluationInputError';
  }
}

type Labels = Uint8Array | Float64Array;

export interface CalibrationBin {
  binLow: number;
  binHigh: number;
  /** Mean score in the bin; NaN when the bin is empty. */
  meanPredicted: number;
  /** Share of positives in the bin; NaN when the bin is empty. */
  observedRate: number;
  count: number;
}

export interface BandCuts {
  /** Scores >= high are band 2 (high). +Infinity when the high share rounds to no customer. */
  high: number;
  /** Scores >= medium (and < high) are band 1 (medium). */
  medium: number;
}

export interface BandAssignment {
  /** 2 = high, 1 = medium, 0 = low, one per score. */
  bands: Uint8Array;
  thresholds: BandCuts;
  counts: { high: number; medium: number; low: number };
}

function checkScores(scores: Float64Array, labels?: Labels): void {
  if (labels && labels.length !== scores.length) {
    throw new EvaluationInputError(`There are ${scores.length} scores but ${labels.length} labels.`);
  }
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i]))
      throw new EvaluationInputError(`Score #${i} is NaN; fix the model inputs first.`);
    if (labels && labels[i] !== 0 && labels[i] !== 1) {
      throw new EvaluationInputError(`Label #${i} is ${labels[i]}; labels must be 0 or 1.`);
    }
  }
}

function sortedCopy(values: Float64Array): Float64Array {
  return sortInPlace(Float64Array.from(values));
}

/** Below this length the native typed-array sort is as fast as the radix sort's fixed passes. */
const RADIX_SORT_FROM = 4096;

/**
 * Sorts NaN-free values ascending in place, as Float64Array.prototype.sort does (−0 before +0): large
 * arrays by an LSD radix sort on the IEEE bits (four 16-bit passes over keys made order-preserving as
 * unsigned integers), about twice as fast as the native sort at 50k values, with the same result.
 */
export function sortInPlace(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < RADIX_SORT_FROM) return values.sort();
  // little-endian words of each double: [2i] low, [2i + 1] high (sign and exponent)
  let from: Uint32Array = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const hi = from[2 * i + 1];
    if (hi & 0x80000000) {
      from[2 * i + 1] = ~hi;
      from[2 * i] = ~from[2 * i];
    } else from[2 * i + 1] = (hi | 0x80000000) >>> 0;
  }
  let to: Uint32Array = new Uint32Array(2 * n);
  const count = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1;
    const shift = (pass & 1) * 16;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(from[2 * i + word] >>> shift) & 0xffff]++;
    let sum = 0;
    for (let b = 0; b < 65536; b++) {
      const c = count[b];
      count[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const at = count[(from[2 * i + word] >>> shift) & 0xffff]++;
      to[2 * at] = from[2 * i];
      to[2 * at + 1] = from[2 * i + 1];
    }
    const swap = from;
    from = to;
    to = swap;
  }
  // four passes: the sorted keys are back in the values' own buffer
  for (let i = 0; i < n; i++) {
    const hi = from[2 * i + 1];
    if (hi & 0x80000000) from[2 * i + 1] = hi & 0x7fffffff;
    else {
      from[2 * i + 1] = ~hi;
      from[2 * i] = ~from[2 * i];
    }
  }
  return values;
}

/** Number of entries of an ascending array strictly below v. */
function countBelow(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of entries of an ascending array at most v. */
function countAtMost(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Area under the ROC curve = P(score of a random positive > score of a random negative) + ½·P(tie),
 * i.e. the Mann–Whitney statistic with average ranks for ties. NaN when either class is absent.
 */
export function rocAuc(scores: Float64Array, labels: Labels): number {
  checkScores(scores, labels);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i];
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  const pos = new Float64Array(positives);
  const neg = new Float64Array(negatives);
  let ip = 0;
  let ineg = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] === 1) pos[ip++] = scores[i];
    else neg[ineg++] = scores[i];
  }
  sortInPlace(pos);
  sortInPlace(neg);
  // Walk positives in ascending order; for each tie group count negatives below and equal.
  let wins = 0;
  let below = 0;
  let i = 0;
  while (i < positives) {
    const v = pos[i];
    let j = i;
    while (j < positives && pos[j] === v) j++;
    while (below < negatives && neg[below] < v) below++;
    let equal = 0;
    while (below + equal < negatives && neg[below + equal] === v) equal++;
    wins += (j - i) * (below + 0.5 * equal);
    i = j;
  }
  return wins / (positives * negatives);
}

/**
 * Lift in the top `fraction` of customers by score: (positive rate among the top ⌈fraction·n⌉) / (overall
 * positive rate). Customers tied with the last one admitted are counted pro rata (the expected value under
 * random tie-breaking), so the result never depends on input order. NaN when there are no positives.
 */
export function liftAtTopFraction(scores: Float64Array, labels: Labels, fraction = 0.1): number {
  checkScores(scores, labels);
  if (!(fraction > 0 && fraction <= 1)) {
    throw new EvaluationInputError(`fraction must be in (0, 1], got ${fraction}.`);
  }
  const n = scores.length;
  if (n === 0) return Number.NaN;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i];
  if (positives === 0) return Number.NaN;
  const k = Math.min(n, Math.max(1, Math.ceil(fraction * n - 1e-9)));
  const sorted = sortedCopy(scores);
  const cut = sorted[n - k]; // k-th largest
  let positivesAbove = 0;
  let above = 0;
  let tied = 0;
  let positivesTied = 0;
  for (let i = 0; i < n; i++) {
    if (scores[i] > cut) {
      above++;
      positivesAbove += labels[i];
    } else if (scores[i] === cut) {
      tied++;
      positivesTied += labels[i];
    }
  }
  const captured = positivesAbove + (positivesTied * (k - above)) / tied;
  return captured / k / (positives / n);
}

/** Mean squared difference between score and outcome (lower is better; 0.25 for a constant 0.5). */
export function brierScore(scores: Float64Array, labels: Labels): number {
  checkScores(scores, labels);
  if (scores.length === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const e = scores[i] - labels[i];
    sum += e * e;
  }
  return sum / scores.length;
}

/**
 * Reliability table over `bins` equal-width bins of [0, 1] (a score of exactly 1 goes in the last bin).
 * Every bin is returned, empty ones with count 0 and NaN means, so charts have a fixed x-axis.
 */
export function calibrationTable(scores: Float64Array, labels: Labels, bins = 10): CalibrationBin[] {
  checkScores(scores, labels);
  if (!(Number.isInteger(bins) && bins >= 1)) {
    throw new EvaluationInputError(`bins must be a positive integer, got ${bins}.`);
  }
  const count = new Float64Array(bins);
  const sumScore = new Float64Array(bins);
  const sumLabel = new Float64Array(bins);
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (s < 0 || s > 1) {
      throw new EvaluationInputError(`Score #${i} is ${s}; calibration needs probabilities in [0, 1].`);
    }
    const b = Math.min(bins - 1, Math.floor(s * bins));
    count[b]++;
    sumScore[b] += s;
    sumLabel[b] += labels[i];
  }
  const table: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    table.push({
      binLow: b / bins,
      binHigh: (b + 1) / bins,
      meanPredicted: count[b] > 0 ? sumScore[b] / count[b] : Number.NaN,
      observedRate: count[b] > 0 ? sumLabel[b] / count[b] : Number.NaN,
      count: count[b],
    });
  }
  return table;
}

/**
 * Cut scores into high / medium / low bands: the top `high` share is high, the next `medium` share medium.
 * Thresholds are the score of the round(high·n)-th and round((high+medium)·n)-th highest customer and
 * ties are never split (equal scores always share a band, so with many ties a band can exceed its
 * share). Apply the same thresholds to other customers with applyBands, e.g. when scoring shard by shard.
 */
export function assignBands(
  scores: Float64Array,
  shares: { high: number; medium: number } = { high: 0.2, medium: 0.3 },
): BandAssignment {
  checkScores(scores);
  const { high, medium } = shares;
  if (!(high >= 0 && medium >= 0 && high + medium <= 1 + 1e-12)) {
    throw new EvaluationInputError(
      `Band shares must be >= 0 and add up to at most 1 (got high ${high}, medium ${medium}).`,
    );
  }
  const n = scores.length;
  const sorted = sortedCopy(scores);
  const kHigh = Math.round(high * n);
  const kMedium = Math.min(n, Math.round((high + medium) * n));
  const thresholds: BandCuts = {
    high: kHigh > 0 ? sorted[n - kHigh] : Number.POSITIVE_INFINITY,
    medium: kMedium > 0 ? sorted[n - kMedium] : Number.POSITIVE_INFINITY,
  };
  const bands = applyBands(scores, thresholds);
  const counts = { high: 0, medium: 0, low: 0 };
  for (let i = 0; i < n; i++) {
    if (bands[i] === 2) counts.high++;
    else if (bands[i] === 1) counts.medium++;
    else counts.low++;
  }
  return { bands, thresholds, counts };
}

/** Bands for scores given thresholds from assignBands: 2 if s >= high, 1 if s >= medium, else 0. */
export function applyBands(scores: Float64Array, thresholds: BandCuts, out?: Uint8Array): Uint8Array {
  const bands = out ?? new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    bands[i] = s >= thresholds.high ? 2 : s >= thresholds.medium ? 1 : 0;
  }
  return bands;
}

/**
 * Percentile rank 0..100 of each score: 100·(average rank − 1)/(n − 1), so the lowest score is 0, the
 * highest 100, and tied scores share the average of their ranks. A single score gets 50.
 */
export function percentileRanks(scores: Float64Array): Float64Array {
  checkScores(scores);
  const n = scores.length;
  const out = new Float64Array(n);
  if (n === 1) out[0] = 50;
  if (n <= 1) return out;
  const sorted = sortedCopy(scores);
  for (let i = 0; i < n; i++) {
    const below = countBelow(sorted, scores[i]);
    const equal = countAtMost(sorted, scores[i]) - below;
    out[i] = (100 * (below + (equal - 1) / 2)) / (n - 1);
  }
  return out;
}
