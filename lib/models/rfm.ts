// Classic RFM segments alongside the learned ones: quintile scores for recency, frequency and
// monetary value, and the named groups marketers know, so the report can cross-tab the two.
// Quintile cuts come from the merged hash-keyed sample, so they do not depend on the sharding.
import { quantiles } from '../features/stats.js';

export const RFM_GROUPS = [
  'Champions',
  'Loyal',
  'Potential Loyalists',
  'New',
  'Promising',
  'Need Attention',
  'About to Sleep',
  'At Risk',
  "Can't Lose",
  'Hibernating',
  'Lost',
] as const;
export type RfmGroup = (typeof RFM_GROUPS)[number];

export interface RfmModel {
  /** the 20th, 40th, 60th and 80th percentiles of each input */
  recencyCuts: number[];
  frequencyCuts: number[];
  monetaryCuts: number[];
}

export class RfmInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RfmInputError';
  }
}

const QUINTILES = [0.2, 0.4, 0.6, 0.8];

export function fitRfm(
  recencyDays: ArrayLike<number>,
  frequency: ArrayLike<number>,
  monetary: ArrayLike<number>,
): RfmModel {
  if (!recencyDays.length)
    throw new RfmInputError('RFM scores need at least one customer with a purchase before the as-of time.');
  return {
    recencyCuts: quantiles(recencyDays, QUINTILES),
    frequencyCuts: quantiles(frequency, QUINTILES),
    monetaryCuts: quantiles(monetary, QUINTILES),
  };
}

/** 1–5, 5 best: higher values are better (frequency, monetary). Ties at a cut go to the lower score. */
export function scoreHigh(value: number, cuts: readonly number[]): number {
  let s = 1;
  for (const c of cuts) if (value > c) s++;
  return s;
}

/** 1–5, 5 best, for recency: fewer days since the last order is better. */
export function scoreLow(value: number, cuts: readonly number[]): number {
  let s = 5;
  for (const c of cuts) if (value > c) s--;
  return s;
}

/**
 * The usual RFM grid on the recency score and the mean of the frequency and monetary scores
 * (rounded half up), e.g. R 5 with FM 4–5 = Champions, R 1–2 with FM 5 = Can't Lose.
 */
export function rfmGroup(r: number, f: number, m: number): RfmGroup {
  const fm = Math.floor((f + m) / 2 + 0.5);
  if (r >= 4) {
    if (fm >= 4) return r === 5 ? 'Champions' : 'Loyal';
    if (fm >= 2) return 'Potential Loyalists';
    return r === 5 ? 'New' : 'Promising';
  }
  if (r === 3) {
    if (fm >= 4) return 'Loyal';
    return fm === 3 ? 'Need Attention' : 'About to Sleep';
  }
  if (fm === 5) return "Can't Lose";
  if (fm >= 3) return 'At Risk';
  return r === 2 ? 'Hibernating' : 'Lost';
}

/** Group index (into RFM_GROUPS) of every customer, from raw recency, frequency and net spend. */
export function assignRfm(
  model: RfmModel,
  recencyDays: ArrayLike<number>,
  frequency: ArrayLike<number>,
  monetary: ArrayLike<number>,
): Uint8Array {
  const n = recencyDays.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const g = rfmGroup(
      scoreLow(recencyDays[i], model.recencyCuts),
      scoreHigh(frequency[i], model.frequencyCuts),
      scoreHigh(monetary[i], model.monetaryCuts),
    );
    out[i] = RFM_GROUPS.indexOf(g);
  }
  return out;
}

/** counts[segment][group]: customers of each learned segment in each RFM group. */
export function crossTab(segments: ArrayLike<number>, groups: ArrayLike<number>, k: number): number[][] {
  const counts = Array.from({ length: k }, () => new Array<number>(RFM_GROUPS.length).fill(0));
  for (let i = 0; i < segments.length; i++) counts[segments[i]][groups[i]]++;
  return counts;
}

export function mergeCrossTabs(parts: readonly number[][][]): number[][] {
  const [first, ...rest] = parts;
  const out = first.map((row) => [...row]);
  for (const p of rest)
    for (let s = 0; s < p.length; s++) for (let g = 0; g < p[s].length; g++) out[s][g] += p[s][g];
  return out;
}
