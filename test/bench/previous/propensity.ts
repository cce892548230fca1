// Verbatim copy of the pre-#10 implementation (commit 84aff27), kept so test/bench/features-kernel.ts can
// time old against new in one run and the equivalence tests can pin identical outputs. Do not optimise.

import type { PropensityTarget } from '../../../lib/models/propensity.js';
import type { Columns } from '../../../lib/storage/columnar.js';
import { CATEGORY_PREFIX, computeFeatures, sampleKey, type TransactionColumns } from './build.js';

const DAY_MS = 86_400_000;

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
  const index = new Map<string, number>();
  for (let c = 0; c < features.customerId.length; c++) index.set(features.customerId[c], c);
  const bought = new Uint8Array(features.customerId.length);
  for (let i = 0; i < tx.customerId.length; i++) {
    const t = tx.timestampMs[i];
    if (!(t >= cutMs && t < asOfMs) || tx.eventType[i] !== '' || tx.isReturn[i]) continue;
    const c = index.get(tx.customerId[i]);
    if (c !== undefined) bought[c] = 1;
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
  const keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) keys[i] = sampleKey(customerId[i], seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => keys[a] - keys[b] || (customerId[a] < customerId[b] ? -1 : 1));
  const chosen = idx.slice(0, Math.min(size, n));
  const sample: Columns = {
    customerId: chosen.map((i) => customerId[i]),
    key: Uint32Array.from(chosen, (i) => keys[i]),
    label: Uint8Array.from(chosen, (i) => label[i]),
  };
  for (const [name, v] of Object.entries(values)) sample[name] = Float64Array.from(chosen, (i) => v[i]);
  for (const [column, v] of Object.entries(categorical))
    sample[`${CATEGORY_PREFIX}${column}`] = chosen.map((i) => v[i]);
  return { sample, positives, negatives: n - positives };
}
