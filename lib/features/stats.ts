// Mergeable per-feature statistics: shards compute them independently and Fit merges them, so
// scalers are the same whether the data ran as one shard or a thousand.

export interface FeatureStats {
  count: number;
  sum: number;
  sumSq: number;
  min: number;
  max: number;
}

export const emptyStats = (): FeatureStats => ({ count: 0, sum: 0, sumSq: 0, min: Infinity, max: -Infinity });

export function addValue(s: FeatureStats, v: number): void {
  s.count++;
  s.sum += v;
  s.sumSq += v * v;
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
  };
}

export function meanOf(s: FeatureStats): number {
  return s.count ? s.sum / s.count : 0;
}

/** Population standard deviation (as scikit-learn's StandardScaler). */
export function stdOf(s: FeatureStats): number {
  if (!s.count) return 0;
  const m = s.sum / s.count;
  return Math.sqrt(Math.max(0, s.sumSq / s.count - m * m));
}
