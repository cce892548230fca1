// Propensity scores: who will buy (or churn) next. Self-labelled targets are built point-in-time:
// features as of the cut C = asOf − W (only events strictly before C) and labels from [C, asOf), so no
// event informs both sides. Supplied outcomes (an outcomes file or a customers file's label column) train
// on features as of their own cut (the earliest outcome date when dated, else asOf), with CRM columns
// screened for values recorded only after the outcome (missingness, dates past the cut). An
// L2-regularised logistic regression is fitted on standardised features with a hash split of customers
// for validation (ROC AUC, top-decile lift, Brier score, calibration); scores as of asOf are 0–100 with
// high / medium / low bands cut on the population's score distribution.

import { CATEGORY_PREFIX, computeFeatures } from '../features/build.js';
import { FEATURE_BY_NAME, levelFeatureName, OTHER_LEVEL, transformValue } from '../features/dictionary.js';
import { rowCustomerIn } from '../features/grouping.js';
import { hashKeys, orderByKey, takeColumn } from '../features/sampling.js';
import type { TransactionColumns } from '../features/transactions.js';
import type { Columns } from '../storage/columnar.js';
import { fnv1a32 } from '../util/hash.js';
import {
  applyBands,
  assignBands,
  type BandCuts,
  brierScore,
  calibrationTable,
  liftAtTopFraction,
  rocAuc,
} from './evaluation.js';
import { fitLogistic, predictProbability } from './logistic.js';
import { smallestRows } from './sample-order.js';

const DAY_MS = 86_400_000;
/** Columns of a training sample that are not features. */
const RESERVED = new Set(['customerId', 'key', 'label']);

export interface PropensityTarget {
  name: string;
  kind: 'purchase' | 'churn' | 'outcome';
  /** label window in days (self-labelled targets) */
  windowDays?: number;
  /** supplied outcomes: what the label is, in words (e.g. `Churn = Yes`) */
  label?: string;
}

export interface ScoreModelSettings {
  l2: number;
  validationShare: number;
  minPositives: number;
  minNegatives: number;
  bands: { high: number; medium: number };
  leakageAuc: number;
}

export interface Driver {
  feature: string;
  /** coefficient on the standardised feature: change in log-odds per standard deviation */
  coefficient: number;
  text: string;
}

export interface BandOutcome {
  band: 'high' | 'medium' | 'low';
  customers: number;
  rate: number;
  lift: number;
}

export interface ValidationMetrics {
  customers: number;
  positives: number;
  baseRate: number;
  auc: number;
  liftTopDecile: number;
  brier: number;
  calibration: { predicted: number; observed: number; customers: number }[];
  /** deciles by score, 1 = highest */
  deciles: { decile: number; customers: number; rate: number }[];
  /** outcome rate per band when the configured band shares are cut on the validation scores */
  bands: BandOutcome[];
}

export interface ScoreModel {
  status: 'fitted' | 'skipped';
  reason?: string;
  target: PropensityTarget;
  /** what is predicted, in words */
  description: string;
  /** labelled customers in the merged sample (training and validation split together) */
  training: { customers: number; positives: number; negatives: number };
  features: string[];
  means: number[];
  sds: number[];
  intercept: number;
  coefficients: number[];
  converged: boolean;
  dropped: { feature: string; reason: string }[];
  warnings: string[];
  drivers: Driver[];
  validation?: ValidationMetrics;
  /** probability cuts for the bands, from the scores of the population as of asOf */
  thresholds?: BandCuts;
  /** 101 quantiles (0 %, 1 %, …, 100 %) of the population's probabilities as of asOf, for percentiles */
  quantiles?: number[];
  /** categorical CRM attributes one-hot encoded as features: column → levels (OTHER_LEVEL pools the rest) */
  levels?: Record<string, string[]>;
  /** supplied outcomes: the instant the training features describe (ISO), and labelled rows left out */
  featuresAsOf?: string;
  excluded?: { unlabelled: number; beforeCut: number };
  /** where the labels came from and how they were used, in words (run summary and report) */
  notes?: string[];
}

/** Leakage screens for CRM columns recorded only after the outcome. */
const LATER_DATE_SHARE = 0.05;
const FILLED_RATIO = 20;
const FILLED_MIN_SHARE = 0.05;
/** Categorical levels become features when at least this share of training customers has them. */
const MIN_LEVEL_SHARE = 0.01;
const MAX_LEVELS = 12;

/** Skipped-model shell with a reason (data gate, no labels, …). */
export function skippedModel(target: PropensityTarget, description: string, reason: string): ScoreModel {
  return {
    status: 'skipped',
    reason,
    target,
    description,
    training: { customers: 0, positives: 0, negatives: 0 },
    features: [],
    means: [],
    sds: [],
    intercept: 0,
    coefficients: [],
    converged: false,
    dropped: [],
    warnings: [],
    drivers: [],
  };
}

export function describeTarget(target: PropensityTarget): string {
  if (target.kind === 'purchase') return `Purchase in the next ${target.windowDays} days`;
  if (target.kind === 'churn') return `No purchase in the next ${target.windowDays} days (churn)`;
  return `Supplied outcome "${target.label ?? target.name}"`;
}

/** True when the customer is held out for validation: a stable hash, so shards agree. */
export function isValidationCustomer(customerId: string, share: number, salt = 'propensity-split'): boolean {
  return fnv1a32(`${salt}:${customerId}`) / 4294967296 < share;
}

/**
 * One shard's training rows for a self-labelled target: features as of cut = asOf − windowDays (events
 * strictly before the cut) for every customer active before the cut, and the label from purchases in
 * [cut, asOf). Keeps the `size` customers with the smallest sample keys (union over shards = global sample).
 */
export function buildSelfLabelledSample(
  tx: TransactionColumns,
  asOfMs: number,
  target: PropensityTarget,
  size: number,
  seed: number,
): { sample: Columns; positives: number; negatives: number } {
  const cutMs = asOfMs - (target.windowDays ?? 30) * DAY_MS;
  const features = computeFeatures(tx, cutMs);
  const customerOf = rowCustomerIn(tx, features.customerId); // -1: not active before the cut
  const bought = new Uint8Array(features.customerId.length);
  for (let i = 0; i < tx.customerId.length; i++) {
    const t = tx.timestampMs[i];
    if (!(t >= cutMs && t < asOfMs) || tx.eventType[i] !== '' || tx.isReturn[i]) continue;
    if (customerOf[i] >= 0) bought[customerOf[i]] = 1;
  }
  const label = target.kind === 'churn' ? bought.map((b) => 1 - b) : bought;
  return labelledSample(features.customerId, features.values, label, size, seed);
}

/**
 * Training rows from supplied labels: customers of `features` that have an outcome. `features` describe
 * the cut (`cutMs`); an outcome dated before the cut was known then and is left out (counted).
 */
export function buildOutcomeSample(
  features: {
    customerId: string[];
    values: Record<string, Float64Array>;
    categorical?: Record<string, string[]>;
  },
  outcomes: { customerId: string[]; label: Uint8Array; timestampMs?: Float64Array },
  size: number,
  seed: number,
  cutMs = Number.NEGATIVE_INFINITY,
): { sample: Columns; positives: number; negatives: number; beforeCut: number } {
  const outcome = new Map<string, number>();
  let beforeCut = 0;
  for (let i = 0; i < outcomes.customerId.length; i++) {
    const t = outcomes.timestampMs?.[i] ?? Number.NaN;
    if (t < cutMs) {
      beforeCut++;
      continue;
    }
    // a customer with any positive outcome row is positive
    outcome.set(
      outcomes.customerId[i],
      Math.max(outcome.get(outcomes.customerId[i]) ?? 0, outcomes.label[i] ? 1 : 0),
    );
  }
  const rows: number[] = [];
  for (let c = 0; c < features.customerId.length; c++) if (outcome.has(features.customerId[c])) rows.push(c);
  const ids = rows.map((c) => features.customerId[c]);
  const values: Record<string, Float64Array> = {};
  for (const [name, v] of Object.entries(features.values))
    values[name] = Float64Array.from(rows, (c) => v[c]);
  const categorical: Record<string, string[]> = {};
  for (const [column, v] of Object.entries(features.categorical ?? {}))
    categorical[column] = rows.map((c) => v[c]);
  const label = Uint8Array.from(ids, (id) => outcome.get(id) ?? 0);
  return { ...labelledSample(ids, values, label, size, seed, categorical), beforeCut };
}

/** Keeps the `size` smallest-keyed customers; counts positives and negatives over all of them. */
export function labelledSample(
  customerId: string[],
  values: Record<string, Float64Array>,
  label: Uint8Array,
  size: number,
  seed: number,
  categorical: Record<string, string[]> = {},
): { sample: Columns; positives: number; negatives: number } {
  const n = customerId.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += label[i];
  // sampleKey of each customer, in (key, id) order: typed-array sort and copies (features/sampling.ts)
  const keys = hashKeys(customerId, `${seed}:`);
  const chosen = orderByKey(keys, customerId).subarray(0, Math.min(size, n));
  const sample: Columns = {
    customerId: takeColumn(customerId, chosen),
    key: takeColumn(keys, chosen),
    label: takeColumn(label, chosen),
  };
  for (const [name, v] of Object.entries(values)) sample[name] = takeColumn(v, chosen);
  for (const [column, v] of Object.entries(categorical))
    sample[`${CATEGORY_PREFIX}${column}`] = takeColumn(v, chosen);
  return { sample, positives, negatives: n - positives };
}

export interface Merged {
  customerId: string[];
  label: Uint8Array;
  names: string[];
  /** raw values per feature (0 where a shard lacked the feature) */
  values: Float64Array[];
  /** categorical attributes one-hot encoded into `names` (`crm_<column>=<level>`) */
  levels?: Record<string, string[]>;
  /** CRM date features with values at or after the training cut (see CustomerFeatures.laterDates) */
  laterDates?: Record<string, { later: number; filled: number }>;
  /** categorical columns: 1 where filled, NaN where empty (the missingness screen) */
  categoryFilled?: Record<string, Float64Array>;
}

/** Merges shard samples and keeps the `size` smallest keys overall (shard-count independent). */
export function mergeSamples(parts: readonly Columns[], size: number): Merged {
  const keysOf = (p: Columns) => Object.keys(p).filter((k) => !RESERVED.has(k));
  const names = [
    ...new Set(parts.flatMap((p) => keysOf(p).filter((k) => !k.startsWith(CATEGORY_PREFIX)))),
  ].sort();
  const categories = [
    ...new Set(parts.flatMap((p) => keysOf(p).filter((k) => k.startsWith(CATEGORY_PREFIX)))),
  ].sort();
  const ids = parts.map((p) => p.customerId as string[]);
  const chosen = smallestRows(
    parts.map((p) => p.key as Uint32Array),
    ids,
    size,
  );
  const n = chosen.part.length;
  const values = names.map((name) => {
    const cols = parts.map((p) => p[name] as Float64Array | undefined);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const col = cols[chosen.part[i]];
      out[i] = col ? col[chosen.row[i]] : 0;
    }
    return out;
  });
  const customerId: string[] = new Array(n);
  const label = new Uint8Array(n);
  const labels = parts.map((p) => p.label as Uint8Array);
  for (let i = 0; i < n; i++) {
    customerId[i] = ids[chosen.part[i]][chosen.row[i]];
    label[i] = labels[chosen.part[i]][chosen.row[i]];
  }
  const merged: Merged = { customerId, label, names, values };
  if (categories.length) {
    const raw: Record<string, string[]> = {};
    for (const key of categories) {
      const cols = parts.map((p) => p[key] as string[] | undefined);
      raw[key.slice(CATEGORY_PREFIX.length)] = Array.from(
        chosen.part,
        (part, i) => cols[part]?.[chosen.row[i]] ?? '',
      );
    }
    const levels: Record<string, string[]> = {};
    for (const [column, values] of Object.entries(raw)) {
      const kept = chooseLevels(values);
      if (kept.length) levels[column] = kept;
    }
    merged.categoryFilled = {};
    for (const [column, values] of Object.entries(raw))
      merged.categoryFilled[column] = Float64Array.from(values, (v) => (v === '' ? Number.NaN : 1));
    const encoded = oneHot(levels, raw, n);
    for (const [name, col] of Object.entries(encoded)) {
      merged.names.push(name);
      merged.values.push(col);
    }
    if (Object.keys(levels).length) merged.levels = levels;
  }
  return merged;
}

/** Frequent levels of a categorical column (the rest pooled into OTHER_LEVEL); none for a constant one. */
function chooseLevels(values: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== '') counts.set(v, (counts.get(v) ?? 0) + 1);
  const kept = [...counts]
    .filter(([, n]) => n >= MIN_LEVEL_SHARE * values.length && n >= 5)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_LEVELS)
    .map(([level]) => level);
  if (counts.size <= 1) return [];
  return kept.length < counts.size ? [...kept, OTHER_LEVEL] : kept;
}

/** 0/1 columns per kept level; an unknown value ('') is 0 everywhere, an unkept one goes to OTHER_LEVEL. */
export function oneHot(
  levels: Record<string, string[]>,
  categorical: Record<string, readonly string[] | undefined>,
  n: number,
): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [column, kept] of Object.entries(levels)) {
    const raw = categorical[column];
    const index = new Map(kept.map((l, j) => [l, j]));
    const other = index.get(OTHER_LEVEL);
    const cols = kept.map((l) => {
      const c = new Float64Array(n);
      out[levelFeatureName(column, l)] = c;
      return c;
    });
    if (!raw) continue;
    for (let i = 0; i < n; i++) {
      const v = raw[i] ?? '';
      if (v === '') continue;
      const j = index.get(v) ?? other;
      if (j !== undefined) cols[j][i] = 1;
    }
  }
  return out;
}

/**
 * The model's transform of one feature (log1p for money and counts, as the dictionary says), as a
 * function of the value: the feature's definition is looked up once per column, not once per value.
 */
function transformOf(name: string): (v: number) => number {
  const def = FEATURE_BY_NAME.get(name);
  return (v) => {
    const t = def ? transformValue(def, v) : v;
    return Number.isFinite(t) ? t : 0;
  };
}

/** A training column through its feature's transform (a top-level loop: no closure call per value). */
function transformColumn(name: string, values: Float64Array): Float64Array {
  const def = FEATURE_BY_NAME.get(name);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const t = def ? transformValue(def, values[i]) : values[i];
    out[i] = Number.isFinite(t) ? t : 0;
  }
  return out;
}

/** Mean and (population) standard deviation over the first n values, summed in row order. */
function meanAndSd(t: Float64Array, n: number): { mean: number; sd: number } {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += t[i] / n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (t[i] - mean) ** 2 / n;
  return { mean, sd: Math.sqrt(variance) };
}

/** Row-major standardised matrix of the given features, for any columns holding them (missing → mean). */
export function designMatrix(
  model: Pick<ScoreModel, 'features' | 'means' | 'sds'>,
  columns: Record<string, Float64Array | undefined>,
  n: number,
): Float64Array {
  const d = model.features.length;
  const X = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const col = columns[model.features[j]];
    const mean = model.means[j];
    const sd = model.sds[j];
    const transform = transformOf(model.features[j]);
    for (let i = 0; i < n; i++) X[i * d + j] = col ? (transform(col[i]) - mean) / sd : 0;
  }
  return X;
}

/**
 * Fits the logistic model on merged training rows: data gate, leakage screen (a single feature that
 * separates the labels almost perfectly is dropped with a warning), hash split, validation metrics.
 */
export function fitScoreModel(
  merged: Merged,
  target: PropensityTarget,
  settings: ScoreModelSettings,
  description = describeTarget(target),
  splitSalt = 'propensity-split',
): ScoreModel {
  const n = merged.customerId.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += merged.label[i];
  const negatives = n - positives;
  if (positives < settings.minPositives || negatives < settings.minNegatives) {
    const skipped = skippedModel(
      target,
      description,
      `Not enough data to train "${description}": ${positives} positive and ${negatives} negative customers, the minimum is ${settings.minPositives} and ${settings.minNegatives} (propensity.minPositives / minNegatives). ${
        target.kind === 'outcome'
          ? 'Supply labels for more customers (both outcomes), or lower the minimums knowing the scores will be noisier.'
          : 'Add more history or use a longer window.'
      }`,
    );
    skipped.training = { customers: n, positives, negatives };
    return skipped;
  }
  const dropped: { feature: string; reason: string }[] = [];
  const warnings: string[] = [];
  const features: string[] = [];
  const means: number[] = [];
  const sds: number[] = [];
  const transformed: Float64Array[] = [];
  const screen = Number.isFinite(settings.leakageAuc);
  const leak = (name: string, reason: string) => {
    dropped.push({ feature: name, reason });
    warnings.push(`Feature "${name}"${columnOf(name)} was dropped from "${description}": ${reason}.`);
  };
  // a categorical column filled almost only for one outcome leaves with all its levels
  const leakedColumns = new Set<string>();
  if (screen)
    for (const [column, filled] of Object.entries(merged.categoryFilled ?? {})) {
      const reason = filledScreen(filled, merged.label, settings.leakageAuc);
      if (reason === null) continue;
      leakedColumns.add(column);
      leak(`crm_${column}`, reason);
    }
  const levelOf = (name: string) => /^crm_(.+?)=/.exec(name)?.[1];
  merged.names.forEach((name, j) => {
    const column = levelOf(name);
    if (column !== undefined && leakedColumns.has(column)) return;
    if (screen) {
      const later = merged.laterDates?.[name];
      if (later && later.later >= 5 && later.later >= LATER_DATE_SHARE * later.filled) {
        leak(
          name,
          `${later.later} of its ${later.filled} dates fall after the point in time the training features describe: it is known only after the outcome`,
        );
        return;
      }
      const filled = isCrmValue(name)
        ? filledScreen(merged.values[j], merged.label, settings.leakageAuc)
        : null;
      if (filled) {
        leak(name, filled);
        return;
      }
    }
    const t = transformColumn(name, merged.values[j]);
    const { mean, sd } = meanAndSd(t, n);
    if (!(sd > 1e-12)) {
      dropped.push({ feature: name, reason: 'constant in the training data' });
      return;
    }
    const auc = rocAuc(t, merged.label);
    const separation = Math.max(auc, 1 - auc);
    if (separation >= settings.leakageAuc) {
      leak(
        name,
        `separates the outcome almost perfectly on its own (AUC ${separation.toFixed(3)}): it looks like a copy of the label or something known only after the outcome`,
      );
      return;
    }
    features.push(name);
    means.push(mean);
    sds.push(sd);
    transformed.push(t);
  });
  const d = features.length;
  const isValidation = merged.customerId.map((id) =>
    isValidationCustomer(id, settings.validationShare, splitSalt),
  );
  const trainRows: number[] = [];
  const validRows: number[] = [];
  for (let i = 0; i < n; i++) (isValidation[i] ? validRows : trainRows).push(i);
  const matrixOf = (rows: number[]): Float64Array => {
    const X = new Float64Array(rows.length * d);
    rows.forEach((r, i) => {
      for (let j = 0; j < d; j++) X[i * d + j] = (transformed[j][r] - means[j]) / sds[j];
    });
    return X;
  };
  const yTrain = Uint8Array.from(trainRows, (r) => merged.label[r]);
  // tol 1e-8 (mean per-customer score): log-transformed money features are nearly collinear
  // (log monetary ≈ log orders + log AOV), and 1e-10 sits below the floating-point floor there.
  const fit = fitLogistic(matrixOf(trainRows), yTrain, trainRows.length, d, {
    l2: settings.l2,
    tol: 1e-8,
    maxIter: 50,
  });
  const model: ScoreModel = {
    status: 'fitted',
    target,
    description,
    training: { customers: n, positives, negatives },
    features,
    means,
    sds,
    intercept: fit.intercept,
    coefficients: Array.from(fit.coefficients),
    converged: fit.converged,
    dropped,
    warnings,
    drivers: drivers(features, Array.from(fit.coefficients)),
    ...(merged.levels
      ? {
          levels: Object.fromEntries(
            Object.entries(merged.levels).filter(([column]) => !leakedColumns.has(column)),
          ),
        }
      : {}),
  };
  const yValid = Uint8Array.from(validRows, (r) => merged.label[r]);
  const pValid = predictProbability(fit, matrixOf(validRows), validRows.length, d);
  model.validation = validationMetrics(pValid, yValid, settings.bands);
  return model;
}

/** A CRM attribute (numeric or date; one-hot levels are never missing). */
const isCrmValue = (name: string): boolean => name.startsWith('crm_') && !name.includes('=');

/** ` (column "x")` for a CRM feature, naming the export's column as the marketer knows it. */
function columnOf(name: string): string {
  const m = /^crm_(.+?)(_daysAgo)?(=.*)?$/.exec(name);
  return m ? ` (column "${m[1]}")` : '';
}

/**
 * Missingness screen: a column filled (or empty) almost only for one outcome is written when the outcome
 * happens (a cancellation date, a churn reason). Returns the reason, or null when the column looks fine.
 */
function filledScreen(raw: Float64Array, label: Uint8Array, leakageAuc: number): string | null {
  let pos = 0;
  let neg = 0;
  let filledPos = 0;
  let filledNeg = 0;
  for (let i = 0; i < raw.length; i++) {
    const filled = Number.isNaN(raw[i]) ? 0 : 1;
    if (label[i]) {
      pos++;
      filledPos += filled;
    } else {
      neg++;
      filledNeg += filled;
    }
  }
  if (!pos || !neg) return null;
  const tpr = filledPos / pos;
  const fpr = filledNeg / neg;
  const auc = 0.5 + (tpr - fpr) / 2;
  const separation = Math.max(auc, 1 - auc);
  // smoothed shares, so an empty class gives a large finite ratio
  const sp = (filledPos + 0.5) / (pos + 1);
  const sn = (filledNeg + 0.5) / (neg + 1);
  const ratio = Math.max(sp / sn, sn / sp);
  const dominant = Math.max(tpr, fpr);
  const pct = (v: number) => `${Math.round(v * 100)} %`;
  if (separation >= leakageAuc || (ratio >= FILLED_RATIO && dominant >= FILLED_MIN_SHARE)) {
    return `it is filled for ${pct(tpr)} of positive and ${pct(fpr)} of negative customers (AUC of "is filled" ${separation.toFixed(3)}): it looks recorded only when the outcome happens, so it is known only after the outcome`;
  }
  return null;
}

export function validationMetrics(
  scores: Float64Array,
  labels: Uint8Array,
  shares: { high: number; medium: number },
): ValidationMetrics {
  const n = scores.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i];
  const baseRate = n ? positives / n : 0;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const deciles: ValidationMetrics['deciles'] = [];
  for (let d = 0; d < 10; d++) {
    const from = Math.floor((d * n) / 10);
    const to = Math.floor(((d + 1) * n) / 10);
    let hits = 0;
    for (let k = from; k < to; k++) hits += labels[order[k]];
    deciles.push({ decile: d + 1, customers: to - from, rate: to > from ? hits / (to - from) : 0 });
  }
  const { bands } = assignBands(scores, shares);
  const bandOutcomes: BandOutcome[] = (['high', 'medium', 'low'] as const).map((band, k) => {
    const code = 2 - k;
    let count = 0;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      if (bands[i] !== code) continue;
      count++;
      hits += labels[i];
    }
    const rate = count ? hits / count : 0;
    return { band, customers: count, rate, lift: baseRate > 0 ? rate / baseRate : 0 };
  });
  return {
    customers: n,
    positives,
    baseRate,
    auc: rocAuc(scores, labels),
    liftTopDecile: liftAtTopFraction(scores, labels, 0.1),
    brier: brierScore(scores, labels),
    calibration: calibrationTable(scores, labels, 10)
      .filter((b) => b.count > 0)
      .map((b) => ({ predicted: b.meanPredicted, observed: b.observedRate, customers: b.count })),
    deciles,
    bands: bandOutcomes,
  };
}

function drivers(features: string[], coefficients: number[]): Driver[] {
  return features
    .map((feature, j) => {
      const c = coefficients[j];
      const label = FEATURE_BY_NAME.get(feature)?.label ?? feature.replace(/^crm_/, '');
      const direction = c >= 0 ? 'more likely' : 'less likely';
      const level = /^crm_(.+)=(.*)$/.exec(feature);
      const what = level ? `${level[1]} = ${level[2]}` : `Higher ${label}`;
      const text = `${what} makes the outcome ${direction} (${c >= 0 ? '+' : '−'}${Math.abs(c).toFixed(2)} log-odds per standard deviation).`;
      return { feature, coefficient: c, text };
    })
    .sort((a, b) => Math.abs(b.coefficient) - Math.abs(a.coefficient))
    .slice(0, 5);
}

/** P(outcome) for customers given their raw feature columns. */
export function predict(
  model: ScoreModel,
  columns: Record<string, Float64Array | undefined>,
  n: number,
  categorical?: Record<string, readonly string[] | undefined>,
): Float64Array {
  const all = model.levels ? { ...columns, ...oneHot(model.levels, categorical ?? {}, n) } : columns;
  const X = designMatrix(model, all, n);
  return predictProbability(
    { intercept: model.intercept, coefficients: Float64Array.from(model.coefficients) },
    X,
    n,
    model.features.length,
  );
}

/**
 * Sets the band thresholds and percentile quantiles from the population's scores as of asOf (a uniform
 * sample of them), so every shard bands and ranks its customers the same way.
 */
export function calibrateBands(
  model: ScoreModel,
  population: Float64Array,
  shares: { high: number; medium: number },
): void {
  if (population.length === 0) return;
  model.thresholds = assignBands(population, shares).thresholds;
  const sorted = Float64Array.from(population).sort();
  model.quantiles = Array.from(
    { length: 101 },
    (_, q) => sorted[Math.round((q / 100) * (sorted.length - 1))],
  );
}

/** Percentile (0–100) of a probability against the population quantiles, interpolated. */
export function percentileOf(quantiles: readonly number[], p: number): number {
  if (quantiles.length < 2) return 50;
  if (p <= quantiles[0]) return 0;
  if (p >= quantiles[quantiles.length - 1]) return 100;
  let lo = 0;
  let hi = quantiles.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (quantiles[mid] <= p) lo = mid;
    else hi = mid;
  }
  const span = quantiles[hi] - quantiles[lo];
  const within = span > 0 ? (p - quantiles[lo]) / span : 0;
  return ((lo + within) * 100) / (quantiles.length - 1);
}

export interface ShardScores {
  /** probability × 100 */
  score: Float64Array;
  /** 2 = high, 1 = medium, 0 = low */
  band: Uint8Array;
  percentile: Float64Array;
}

/** Scores, bands and percentiles for one shard's customers (features as of asOf). */
export function scoreCustomers(
  model: ScoreModel,
  columns: Record<string, Float64Array | undefined>,
  n: number,
  categorical?: Record<string, readonly string[] | undefined>,
): ShardScores {
  const p = predict(model, columns, n, categorical);
  const band = applyBands(
    p,
    model.thresholds ?? { high: Number.POSITIVE_INFINITY, medium: Number.POSITIVE_INFINITY },
  );
  const percentile = new Float64Array(n);
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    score[i] = 100 * p[i];
    percentile[i] = percentileOf(model.quantiles ?? [], p[i]);
  }
  return { score, band, percentile };
}

export const BAND_NAMES = ['low', 'medium', 'high'] as const;
