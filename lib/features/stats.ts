// Mergeable per-feature statistics: shards compute them independently and Fit merges them, so
// scalers are the same whether the data ran as one shard or a thousand. Quantiles (winsorising,
// RFM quintiles) come from the merged hash-keyed sample, which is itself shard-independent.

export interface FeatureStats {
  /** customers with a known value */
  count: number;
  /** moments of the transformed value (log1p where the dictionary says so) */
  sum: number;
  sumSq: number;
  min: number;
  max: number;
  /** customers whose value is unknown (NaN) */
  missing?: number;
  /** sum of the raw (untransformed) known values, for profile means */
  rawSum?: number;
}

export const emptyStats = (): FeatureStats => ({
  count: 0,
  sum: 0,
  sumSq: 0,
  min: Infinity,
  max: -Infinity,
  missing: 0,
  rawSum: 0,
});

/** Adds one transformed value `v` (and its raw value, when it differs). NaN counts as missing. */
export function addValue(s: FeatureStats, v: number, raw = v): void {
  if (Number.isNaN(v)) {
    s.missing = (s.missing ?? 0) + 1;
    return;
  }
  s.count++;
  s.sum += v;
  s.sumSq += v * v;
  s.rawSum = (s.rawSum ?? 0) + raw;
  if (v < s.min) s.min = v;
  if (v > s.max) s.max = v;
}

export function mergeStats(a: FeatureStats, b: FeatureStats): FeatureStats {
  return {
    count: a.count + b.count,
    sum: a.sum + b.sum,
    sumSq: a.sumSq + b.sumSq,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    missing: (a.missing ?? 0) + (b.missing ?? 0),
    rawSum: (a.rawSum ?? 0) + (b.rawSum ?? 0),
  };
}

/** Statistics of `customers` customers that all have the (transformed and raw) value 0. */
export function zeroStats(customers: number): FeatureStats {
  return {
    count: customers,
    sum: 0,
    sumSq: 0,
    min: customers ? 0 : Infinity,
    max: customers ? 0 : -Infinity,
    missing: 0,
    rawSum: 0,
  };
}

export function meanOf(s: FeatureStats): number {
  return s.count ? s.sum / s.count : 0;
}

/** Mean of the raw values (before log1p), over customers with a known value. */
export function rawMeanOf(s: FeatureStats): number {
  return s.count ? (s.rawSum ?? s.sum) / s.count : 0;
}

/** Population standard deviation (as scikit-learn's StandardScaler). */
export function stdOf(s: FeatureStats): number {
  if (!s.count) return 0;
  const m = s.sum / s.count;
  return Math.sqrt(Math.max(0, s.sumSq / s.count - m * m));
}

/**
 * Quantiles of the known values (NaN skipped) by linear interpolation between order statistics,
 * as numpy's default. Used on the merged sample, so the cuts do not depend on the sharding.
 */
export function quantiles(values: ArrayLike<number>, probs: readonly number[]): number[] {
  const known: number[] = [];
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) known.push(values[i]);
  const sorted = Float64Array.from(known).sort();
  const n = sorted.length;
  return probs.map((p) => {
    if (!n) return Number.NaN;
    const h = (n - 1) * Math.min(1, Math.max(0, p));
    const lo = Math.floor(h);
    const hi = Math.min(n - 1, lo + 1);
    return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
  });
}
