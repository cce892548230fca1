// CLV in the pipeline: Fit merges the shards' (x, t_x, T) histories (counts per distinct history) and
// repeat-spend pairs (a hash sample of at most maxSpendCustomers) and fits BG/NBD and Gamma-Gamma on them
// (BG/NBD exact: the same numbers as one fit on all customers); Score applies
// the fitted parameters to each shard's customers. Too little data skips the model with a reason.
import type { ClvSettings } from '../config/schema.js';
import type { ClvHistories } from '../features/clv-inputs.js';
import type { Columns } from '../storage/columnar.js';
import {
  type BgNbdFit,
  type BgNbdParams,
  ClvInputError,
  type ClvScores,
  expectedPurchases,
  fitBgNbd,
  fitGammaGamma,
  type GammaGammaFit,
  scoreClv,
} from './clv.js';

const DAY_MS = 86_400_000;

export interface ClvParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
  p: number;
  q: number;
  gamma: number;
}

export interface ClvModel {
  status: 'fitted' | 'skipped';
  /** why the model was skipped, in words (status 'skipped') */
  reason?: string;
  params?: ClvParams;
  bgNbd?: { logLikelihood: number; converged: boolean; customers: number; repeatTransactions: number };
  gammaGamma?: { logLikelihood: number; converged: boolean; customers: number; repeatBuyers: number };
  calibrationEnd: string;
  periodDays: number;
  horizonPeriods: number;
  discountRatePerPeriod: number;
  /** what was done about a degenerate fit, in words */
  warnings: string[];
}

/** Penalty used when the exact fit runs to the boundary (lifetimes' convention, see fitBgNbd). */
export const FALLBACK_PENALIZER = 1e-4;

/** True when every distinct history gets a finite E[Y(horizon)] under these parameters. */
function predictsFinite(p: BgNbdParams, merged: ClvHistories, periodDays: number, horizon: number): boolean {
  if (horizon <= 0) return true;
  for (const key of Object.keys(merged.histories)) {
    const [x, txDays, TDays] = key.split('|').map(Number);
    if (!Number.isFinite(expectedPurchases(p, horizon, x, txDays / periodDays, TDays / periodDays)))
      return false;
  }
  return true;
}

export function mergeClvHistories(parts: readonly ClvHistories[]): ClvHistories {
  // Fit hands over one histogram already merged as the shards' files arrived: nothing to copy
  if (parts.length === 1) return parts[0];
  const histories: Record<string, number> = {};
  let customers = 0;
  for (const part of parts) {
    customers += part.customers;
    for (const [key, count] of Object.entries(part.histories)) histories[key] = (histories[key] ?? 0) + count;
  }
  return { calibrationEndDay: parts[0]?.calibrationEndDay ?? 0, customers, histories };
}

/** Expands merged histories into per-customer arrays (in periods), in a shard-independent order. */
export function expandHistories(
  merged: ClvHistories,
  periodDays: number,
): { x: Float64Array; tx: Float64Array; T: Float64Array } {
  const entries = Object.entries(merged.histories)
    .map(([key, count]) => {
      const [x, txDays, TDays] = key.split('|').map(Number);
      return { x, txDays, TDays, count };
    })
    .sort((u, v) => u.x - v.x || u.txDays - v.txDays || u.TDays - v.TDays);
  const n = entries.reduce((s, e) => s + e.count, 0);
  const x = new Float64Array(n);
  const tx = new Float64Array(n);
  const T = new Float64Array(n);
  let at = 0;
  for (const e of entries) {
    for (let k = 0; k < e.count; k++, at++) {
      x[at] = e.x;
      tx[at] = e.txDays / periodDays;
      T[at] = e.TDays / periodDays;
    }
  }
  return { x, tx, T };
}

/**
 * Merged histories as distinct (x, t_x, T) in periods with their customer counts, ascending (the order
 * expandHistories lays customers out in): what fitBgNbd's `counts` takes, bounded by the distinct
 * histories (whole days of the data's span), not by the number of customers.
 */
export function countedHistories(
  merged: ClvHistories,
  periodDays: number,
): { x: Float64Array; tx: Float64Array; T: Float64Array; count: Float64Array } {
  // parsed into columns and sorted by index (ties, which distinct keys never make, by key order, as the
  // stable sort of one object per history did): about half its time at 56k histories
  const keys = Object.keys(merged.histories);
  const m = keys.length;
  const xs = new Float64Array(m);
  const txDays = new Float64Array(m);
  const TDays = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const key = keys[i];
    const a = key.indexOf('|');
    const b = key.indexOf('|', a + 1);
    xs[i] = Number(key.slice(0, a));
    txDays[i] = Number(key.slice(a + 1, b));
    TDays[i] = Number(key.slice(b + 1));
  }
  const order = new Int32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  order.sort((u, v) => xs[u] - xs[v] || txDays[u] - txDays[v] || TDays[u] - TDays[v] || u - v);
  return {
    x: Float64Array.from(order, (i) => xs[i]),
    tx: Float64Array.from(order, (i) => txDays[i] / periodDays),
    T: Float64Array.from(order, (i) => TDays[i] / periodDays),
    count: Float64Array.from(order, (i) => merged.histories[keys[i]]),
  };
}

/**
 * The purchase half of the CLV fit: BG/NBD on every customer's history (refitted with a light penalty
 * when the exact fit's predictions overflow). Plain data in and out, so it can run on a worker thread.
 */
export type ClvHistoriesFit =
  | { ok: true; bg: BgNbdFit; repeatTransactions: number; warnings: string[]; calibrationEndDay: number }
  | { ok: false; reason: string; warnings: string[]; calibrationEndDay: number };

export function fitClvHistories(histories: readonly ClvHistories[], settings: ClvSettings): ClvHistoriesFit {
  const merged = mergeClvHistories(histories);
  const warnings: string[] = [];
  const { calibrationEndDay } = merged;
  const { x, tx, T, count } = countedHistories(merged, settings.periodDays);
  let repeatTransactions = 0;
  for (let i = 0; i < x.length; i++) repeatTransactions += x[i] * count[i];
  try {
    let bg = fitBgNbd(x, tx, T, { penalizer: settings.penalizer, counts: count });
    if (!predictsFinite(bg, merged, settings.periodDays, settings.horizonPeriods)) {
      // e.g. no visible drop-out: a and b run off to ~1e5–1e7 and E[Y] overflows; a light penalty
      // keeps them finite for a small loss of likelihood
      const penalizer = Math.max(FALLBACK_PENALIZER, settings.penalizer);
      warnings.push(
        `The exact BG/NBD fit ran to the boundary (a = ${bg.a.toPrecision(3)}, b = ${bg.b.toPrecision(3)}: almost no customer seems to lapse), so predictions overflowed; refitted with penalizer ${penalizer}.`,
      );
      bg = fitBgNbd(x, tx, T, { penalizer, counts: count });
    }
    return { ok: true, bg, repeatTransactions, warnings, calibrationEndDay };
  } catch (error) {
    if (error instanceof ClvInputError)
      return { ok: false, reason: `CLV was not fitted: ${error.message}`, warnings, calibrationEndDay };
    throw error;
  }
}

/** The spend half of the CLV fit: Gamma-Gamma on the repeat buyers' sample, independent of BG/NBD. */
export type ClvSpendFit = { ok: true; gg: GammaGammaFit; total: number } | { ok: false; reason: string };

export function fitClvSpend(spend: readonly Columns[], settings: ClvSettings): ClvSpendFit {
  const pairs = mergeSpend(spend, settings.maxSpendCustomers);
  try {
    return { ok: true, gg: fitGammaGamma(pairs.x, pairs.meanSpend), total: pairs.total };
  } catch (error) {
    if (error instanceof ClvInputError) return { ok: false, reason: `CLV was not fitted: ${error.message}` };
    throw error;
  }
}

/** Both halves of the CLV fit, as fitClvModel makes them (no spend fit once BG/NBD could not be fitted). */
export interface ClvFitParts {
  purchases: ClvHistoriesFit;
  spend: ClvSpendFit;
}

/** BG/NBD then Gamma-Gamma: plain data in and out, so both can run on one worker thread. */
export function fitClvParts(
  histories: readonly ClvHistories[],
  spend: readonly Columns[],
  settings: ClvSettings,
): ClvFitParts {
  const purchases = fitClvHistories(histories, settings);
  // the spend fit is not needed once BG/NBD could not be fitted
  const spendFit: ClvSpendFit = purchases.ok ? fitClvSpend(spend, settings) : { ok: false, reason: '' };
  return { purchases, spend: spendFit };
}

/** The CLV model from its two halves; a BG/NBD that could not be fitted is the reason given first. */
export function combineClvFits(
  purchases: ClvHistoriesFit,
  spend: ClvSpendFit,
  settings: ClvSettings,
  /** repeat buyers over all shards, when the spend parts are capped samples of them */
  repeatBuyers?: number,
): ClvModel {
  const base: ClvModel = {
    status: 'skipped',
    calibrationEnd: new Date(purchases.calibrationEndDay * DAY_MS).toISOString().slice(0, 10),
    periodDays: settings.periodDays,
    horizonPeriods: settings.horizonPeriods,
    discountRatePerPeriod: settings.discountRatePerPeriod,
    warnings: purchases.warnings,
  };
  if (!purchases.ok) return { ...base, reason: purchases.reason };
  if (!spend.ok) return { ...base, reason: spend.reason };
  const { bg, repeatTransactions } = purchases;
  const { gg } = spend;
  if (!(gg.q > 1)) {
    return {
      ...base,
      reason: `The spend model's q is ${gg.q.toFixed(3)} (must exceed 1): a few extreme order values dominate; check amounts for outliers.`,
    };
  }
  return {
    ...base,
    status: 'fitted',
    params: { r: bg.r, alpha: bg.alpha, a: bg.a, b: bg.b, p: gg.p, q: gg.q, gamma: gg.gamma },
    bgNbd: {
      logLikelihood: bg.logLikelihood,
      converged: bg.converged,
      customers: bg.customers,
      repeatTransactions,
    },
    gammaGamma: {
      logLikelihood: gg.logLikelihood,
      converged: gg.converged,
      customers: gg.customers,
      repeatBuyers: repeatBuyers ?? spend.total,
    },
  };
}

/**
 * Fits BG/NBD on every customer's history and Gamma-Gamma on the repeat buyers (the `maxSpendCustomers`
 * with the smallest hash keys when there are more, so the sample does not depend on the sharding).
 */
export function fitClvModel(
  histories: readonly ClvHistories[],
  spend: readonly Columns[],
  settings: ClvSettings,
  /** repeat buyers over all shards, when the spend parts are capped samples of them */
  repeatBuyers?: number,
): ClvModel {
  const parts = fitClvParts(histories, spend, settings);
  return combineClvFits(parts.purchases, parts.spend, settings, repeatBuyers);
}

function mergeSpend(
  parts: readonly Columns[],
  cap: number,
): { x: Float64Array; meanSpend: Float64Array; total: number } {
  const total = parts.reduce((n, p) => n + (p.x as Float64Array).length, 0);
  const x = new Float64Array(total);
  const m = new Float64Array(total);
  const key = new Uint32Array(total);
  let at = 0;
  for (const p of parts) {
    x.set(p.x as Float64Array, at);
    m.set(p.meanSpend as Float64Array, at);
    key.set(p.key as Uint32Array, at);
    at += (p.x as Float64Array).length;
  }
  // smallest keys first (ties by value), so the sample and its order do not depend on the sharding
  const order = new Int32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  order.sort((i, j) => key[i] - key[j] || x[i] - x[j] || m[i] - m[j]);
  const chosen = order.subarray(0, Math.min(cap, total));
  return {
    x: Float64Array.from(chosen, (i) => x[i]),
    meanSpend: Float64Array.from(chosen, (i) => m[i]),
    total,
  };
}

/** Keeps the `cap` smallest-keyed repeat buyers of a shard: their union holds the global sample. */
export function capSpend(spend: Columns, cap: number): Columns {
  const key = spend.key as Uint32Array;
  if (key.length <= cap) return spend;
  const idx = Array.from({ length: key.length }, (_, i) => i).sort((i, j) => key[i] - key[j]);
  const chosen = idx.slice(0, cap);
  const x = spend.x as Float64Array;
  const m = spend.meanSpend as Float64Array;
  return {
    x: Float64Array.from(chosen, (i) => x[i]),
    meanSpend: Float64Array.from(chosen, (i) => m[i]),
    key: Uint32Array.from(chosen, (i) => key[i]),
  };
}

/** Expected purchases, probability alive and value over the horizon for one shard's CLV customers. */
export function scoreClvCustomers(model: ClvModel, customers: Columns): ClvScores | null {
  if (model.status !== 'fitted' || !model.params) return null;
  const { r, alpha, a, b, p, q, gamma } = model.params;
  return scoreClv(
    { r, alpha, a, b },
    { p, q, gamma },
    {
      x: customers.x as Float64Array,
      tx: customers.tx as Float64Array,
      T: customers.T as Float64Array,
      meanSpend: customers.meanSpend as Float64Array,
    },
    { horizonPeriods: model.horizonPeriods, discountRatePerPeriod: model.discountRatePerPeriod },
  );
}
