// Lookalike audiences: rank every non-seed customer by how much they resemble a seed audience, with a
// seed-vs-rest L2 logistic regression on the standardised behavioural features (as of asOf). A share of
// seeds (and of non-seeds, by the same hash) is held out of training to measure how well unseen seeds
// rank; the audience is the top X % of non-seed customers by percentile, seeds excluded.
import type { LookalikeSettings } from '../config/schema.js';
import { sampleKey } from '../features/build.js';
import type { Columns } from '../storage/columnar.js';
import {
  fitScoreModel,
  isValidationCustomer,
  mergeSamples,
  percentileOf,
  predict,
  type ScoreModel,
  skippedModel,
} from './propensity.js';

const SALT = 'lookalike-holdout';
/** Below these the classifier has too little to learn from; the model is skipped with a reason. */
export const MIN_SEEDS = 20;
export const MIN_NON_SEEDS = 100;

export interface LookalikeModel extends ScoreModel {
  seeds: { total: number; matched: number; heldOut: number };
  /** how held-out seeds rank among held-out non-seeds */
  heldOutSeeds?: {
    meanPercentile: number;
    shareInAudience: number;
    auc: number;
    /** share of held-out seeds inside the top X % of non-seed customers, for X along the curve */
    recall?: { topPercent: number; recall: number }[];
  };
  topPercent: number;
}

/** One shard's rows: every seed customer plus the `size` smallest-keyed non-seeds, features as of asOf. */
export function buildLookalikeSample(
  features: { customerId: string[]; values: Record<string, Float64Array> },
  seeds: ReadonlySet<string>,
  size: number,
  seed: number,
): { sample: Columns; seeds: number } {
  const n = features.customerId.length;
  const keys = new Uint32Array(n);
  const seedRows: number[] = [];
  const rest: number[] = [];
  for (let i = 0; i < n; i++) {
    keys[i] = sampleKey(features.customerId[i], seed);
    (seeds.has(features.customerId[i]) ? seedRows : rest).push(i);
  }
  const byKey = (a: number, b: number) => keys[a] - keys[b];
  seedRows.sort(byKey);
  rest.sort(byKey);
  const chosen = [...seedRows.slice(0, size), ...rest.slice(0, size)];
  const sample: Columns = {
    customerId: chosen.map((i) => features.customerId[i]),
    key: Uint32Array.from(chosen, (i) => keys[i]),
    label: Uint8Array.from(chosen, (i) => (seeds.has(features.customerId[i]) ? 1 : 0)),
  };
  for (const [name, v] of Object.entries(features.values))
    sample[name] = Float64Array.from(chosen, (i) => v[i]);
  return { sample, seeds: seedRows.length };
}

export function fitLookalike(
  parts: readonly Columns[],
  totalSeeds: number,
  settings: LookalikeSettings,
): LookalikeModel {
  const all = mergeSamples(parts, Number.POSITIVE_INFINITY);
  // keep at most sampleSize seeds and sampleSize non-seeds (smallest keys: shard-independent)
  const keep: number[] = [];
  const taken = [0, 0];
  for (let i = 0; i < all.customerId.length; i++) {
    const l = all.label[i];
    if (taken[l] < settings.sampleSize) {
      taken[l]++;
      keep.push(i);
    }
  }
  const merged = {
    customerId: keep.map((i) => all.customerId[i]),
    label: Uint8Array.from(keep, (i) => all.label[i]),
    names: all.names,
    values: all.values.map((v) => Float64Array.from(keep, (i) => v[i])),
  };
  const target = { name: 'lookalike', kind: 'outcome' as const };
  const description = 'Resemblance to the seed audience';
  const base = { topPercent: settings.topPercent };
  const matched = taken[1];
  if (matched === 0) {
    return {
      ...skippedModel(
        target,
        description,
        'No seed audience was supplied (add a seeds file to build lookalikes).',
      ),
      ...base,
      seeds: { total: totalSeeds, matched: 0, heldOut: 0 },
    };
  }
  const model = fitScoreModel(
    merged,
    target,
    {
      l2: settings.l2,
      validationShare: settings.holdoutSeedShare,
      minPositives: MIN_SEEDS,
      minNegatives: MIN_NON_SEEDS,
      bands: { high: settings.topPercent / 100, medium: 0 },
      leakageAuc: Number.POSITIVE_INFINITY, // a seed list defined by one feature is legitimate here
    },
    description,
    SALT,
  );
  const result: LookalikeModel = {
    ...model,
    ...base,
    seeds: { total: totalSeeds, matched, heldOut: 0 },
  };
  if (model.status !== 'fitted') {
    result.reason = model.reason
      ?.replace('positive and', 'seed and')
      .replace('negative customers', 'other customers');
    return result;
  }
  // Percentiles are among non-seed customers: the audience is drawn from them.
  const columns: Record<string, Float64Array> = {};
  merged.names.forEach((name, j) => {
    columns[name] = merged.values[j];
  });
  const p = predict(model, columns, merged.customerId.length);
  const nonSeed = Float64Array.from(
    merged.customerId.flatMap((_, i) => (merged.label[i] === 0 ? [p[i]] : [])),
  ).sort();
  result.quantiles = Array.from(
    { length: 101 },
    (_, q) => nonSeed[Math.round((q / 100) * (nonSeed.length - 1))],
  );
  const heldOutSeeds: number[] = [];
  for (let i = 0; i < merged.customerId.length; i++) {
    if (
      merged.label[i] === 1 &&
      isValidationCustomer(merged.customerId[i], settings.holdoutSeedShare, SALT)
    ) {
      heldOutSeeds.push(percentileOf(result.quantiles, p[i]));
    }
  }
  result.seeds.heldOut = heldOutSeeds.length;
  if (heldOutSeeds.length) {
    result.heldOutSeeds = {
      meanPercentile: heldOutSeeds.reduce((s, v) => s + v, 0) / heldOutSeeds.length,
      shareInAudience:
        heldOutSeeds.filter((v) => v >= 100 - settings.topPercent).length / heldOutSeeds.length,
      auc: model.validation?.auc ?? Number.NaN,
      recall: recallCurve(heldOutSeeds, settings.topPercent),
    };
  }
  return result;
}

const CURVE_PERCENTS = [1, 2, 5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100];

/** Held-out seed recall against audience size: a random audience of X % would hold X % of them. */
export function recallCurve(
  percentiles: readonly number[],
  topPercent: number,
): { topPercent: number; recall: number }[] {
  const points = [...new Set([...CURVE_PERCENTS, topPercent])].sort((a, b) => a - b);
  return points.map((x) => ({
    topPercent: x,
    recall: percentiles.filter((v) => v >= 100 - x).length / percentiles.length,
  }));
}

export interface LookalikeScores {
  /** similarity probability × 100 (NaN for seeds) */
  score: Float64Array;
  /** percentile among non-seed customers (NaN for seeds) */
  percentile: Float64Array;
  /** 1 when in the top X % audience */
  inAudience: Uint8Array;
}

export function scoreLookalike(
  model: LookalikeModel,
  features: { customerId: string[]; values: Record<string, Float64Array> },
  seeds: ReadonlySet<string>,
): LookalikeScores {
  const n = features.customerId.length;
  const p = predict(model, features.values, n);
  const score = new Float64Array(n);
  const percentile = new Float64Array(n);
  const inAudience = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (seeds.has(features.customerId[i])) {
      score[i] = Number.NaN;
      percentile[i] = Number.NaN;
      continue;
    }
    score[i] = 100 * p[i];
    percentile[i] = percentileOf(model.quantiles ?? [], p[i]);
    inAudience[i] = percentile[i] >= 100 - model.topPercent ? 1 : 0;
  }
  return { score, percentile, inAudience };
}
