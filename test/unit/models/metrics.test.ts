import { describe, expect, it } from 'vitest';
import {
  adjustedRandIndex,
  daviesBouldin,
  MetricInputError,
  sampleRows,
  silhouetteScore,
} from '../../../lib/models/metrics.js';
import { createRandom } from '../../../lib/util/random.js';

/** Silhouette straight from its definition, O(n²) with nothing shared: the reference. */
function bruteSilhouette(
  data: Float64Array,
  d: number,
  labels: ArrayLike<number>,
  rowsToScore: ArrayLike<number>,
): number {
  const dist = (i: number, j: number) => {
    let s = 0;
    for (let t = 0; t < d; t++) s += (data[i * d + t] - data[j * d + t]) ** 2;
    return Math.sqrt(s);
  };
  const members = new Map<number, number[]>();
  for (let r = 0; r < rowsToScore.length; r++) {
    const i = rowsToScore[r];
    const list = members.get(labels[i]) ?? [];
    list.push(i);
    members.set(labels[i], list);
  }
  let total = 0;
  for (let r = 0; r < rowsToScore.length; r++) {
    const i = rowsToScore[r];
    const own = members.get(labels[i]) ?? [];
    if (own.length === 1) continue;
    const a = own.filter((j) => j !== i).reduce((s, j) => s + dist(i, j), 0) / (own.length - 1);
    let b = Number.POSITIVE_INFINITY;
    for (const [label, list] of members) {
      if (label === labels[i]) continue;
      b = Math.min(b, list.reduce((s, j) => s + dist(i, j), 0) / list.length);
    }
    total += (b - a) / Math.max(a, b);
  }
  return total / rowsToScore.length;
}

describe('adjustedRandIndex', () => {
  it('is 1 for identical partitions and for a relabelling of them', () => {
    // Prepare
    const a = [0, 0, 1, 1, 2, 2];
    const relabelled = [5, 5, 3, 3, 9, 9];

    // Act & Assess
    expect(adjustedRandIndex(a, a)).toBe(1);
    expect(adjustedRandIndex(a, relabelled)).toBe(1);
    expect(adjustedRandIndex(Int32Array.from(a), Float64Array.from(relabelled))).toBe(1);
  });

  it('matches Hubert–Arabie computed by hand', () => {
    // Prepare
    // a = [0,0,0,1,1,1], b = [0,0,1,1,2,2]. Contingency rows a0: (2,1,0), a1: (0,1,2).
    // Σ C(n_ij,2) = 1 + 1 = 2; Σ C(a_i,2) = 3 + 3 = 6; Σ C(b_j,2) = 1 + 1 + 1 = 3; C(6,2) = 15.
    // expected = 6·3/15 = 1.2; max = (6+3)/2 = 4.5; ARI = (2 − 1.2)/(4.5 − 1.2) = 0.8/3.3 = 8/33.
    const a = [0, 0, 0, 1, 1, 1];
    const b = [0, 0, 1, 1, 2, 2];

    // Act
    const ari = adjustedRandIndex(a, b);

    // Assess
    expect(ari).toBeCloseTo(8 / 33, 14);
    // scikit-learn's documented example: adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 4/7 ≈ 0.57.
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(4 / 7, 14);
  });

  it('is symmetric, about 0 for unrelated partitions, and negative below chance', () => {
    // Prepare
    const random = createRandom(3);
    const x = Array.from({ length: 5000 }, () => random.int(4));
    const y = Array.from({ length: 5000 }, () => random.int(4));

    // Act & Assess
    expect(Math.abs(adjustedRandIndex(x, y))).toBeLessThan(0.01);
    expect(adjustedRandIndex(x, y)).toBeCloseTo(adjustedRandIndex(y, x), 14);
    // Σ C(n_ij,2) = 0, expected = 2·2/6: ARI = (0 − 2/3)/(2 − 2/3) = −1/2.
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 14);
  });

  it('treats trivial partitions as scikit-learn does and rejects unequal lengths', () => {
    // Act & Assess
    expect(adjustedRandIndex([1, 1, 1], [2, 2, 2])).toBe(1);
    expect(adjustedRandIndex([0, 1, 2], [2, 0, 1])).toBe(1);
    expect(adjustedRandIndex([0, 0, 0], [0, 1, 2])).toBe(0);
    expect(() => adjustedRandIndex([0, 1], [0])).toThrow(MetricInputError);
  });
});

describe('silhouetteScore', () => {
  it('matches a hand computation on four 1-D points', () => {
    // Prepare: points 0, 1 | 10, 11. Row 0: a = 1, b = (10+11)/2 = 10.5 → 9.5/10.5.
    // Row 1: a = 1, b = 9.5 → 8.5/9.5; rows 2 and 3 mirror rows 1 and 0.
    const data = Float64Array.from([0, 1, 10, 11]);

    // Act
    const s = silhouetteScore(data, 4, 1, [0, 0, 1, 1], 2);

    // Assess
    expect(s).toBeCloseTo((9.5 / 10.5 + 8.5 / 9.5) / 2, 14);
  });

  it('matches a brute-force implementation on small random data, singletons included', () => {
    // Prepare
    const n = 80;
    const d = 3;
    const random = createRandom(8);
    const data = new Float64Array(n * d);
    for (let i = 0; i < n * d; i++) data[i] = random.normal();
    const labels = Array.from({ length: n }, () => random.int(4));
    labels[7] = 4; // a singleton cluster scores 0
    const all = Array.from({ length: n }, (_, i) => i);

    // Act
    const s = silhouetteScore(data, n, d, labels, 5);

    // Assess
    expect(s).toBeCloseTo(bruteSilhouette(data, d, labels, all), 12);
  });

  it('on a sample, equals the brute-force silhouette within that seeded sample', () => {
    // Prepare
    const n = 500;
    const d = 2;
    const random = createRandom(9);
    const data = new Float64Array(n * d);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 3;
      data[i * d] = labels[i] * 4 + random.normal();
      data[i * d + 1] = random.normal();
    }

    // Act
    const s = silhouetteScore(data, n, d, labels, 3, { sampleSize: 120, seed: 4 });
    const again = silhouetteScore(data, n, d, labels, 3, { sampleSize: 120, seed: 4 });
    const sample = sampleRows(n, 120, 4);

    // Assess
    expect(sample).toHaveLength(120);
    expect(new Set(sample).size).toBe(120);
    expect(s).toBe(again);
    expect(s).toBeCloseTo(bruteSilhouette(data, d, labels, sample), 12);
    expect(s).toBeGreaterThan(0.5);
  });

  it('refuses a single cluster with a named error', () => {
    // Act & Assess
    expect(() => silhouetteScore(Float64Array.from([1, 2, 3]), 3, 1, [0, 0, 0], 2)).toThrow(MetricInputError);
    expect(() => silhouetteScore(Float64Array.from([1, 2, 3]), 3, 1, [0, 3, 0], 2)).toThrow(/outside 0..1/);
  });
});

describe('daviesBouldin', () => {
  it('matches a hand computation on three 1-D clusters', () => {
    // Prepare: {0, 2} centroid 1, s = 1; {10, 14} centroid 12, s = 2; {20, 20} centroid 20, s = 0.
    // R01 = 3/11, R02 = 1/19, R12 = 2/8. Worst per cluster: 3/11, 3/11, 1/4.
    // DB = (3/11 + 3/11 + 1/4)/3 = 35/132.
    const data = Float64Array.from([0, 2, 10, 14, 20, 20]);
    const labels = [0, 0, 1, 1, 2, 2];

    // Act
    const db = daviesBouldin(data, 6, 1, labels, 3);
    const withCentroids = daviesBouldin(data, 6, 1, labels, 3, Float64Array.from([1, 12, 20]));

    // Assess
    expect(db).toBeCloseTo(35 / 132, 14);
    expect(withCentroids).toBeCloseTo(35 / 132, 14);
  });

  it('ignores empty clusters and is lower for better-separated clusters', () => {
    // Prepare
    const near = Float64Array.from([0, 1, 3, 4]);
    const far = Float64Array.from([0, 1, 30, 31]);

    // Act
    const dbNear = daviesBouldin(near, 4, 1, [0, 0, 2, 2], 3);
    const dbFar = daviesBouldin(far, 4, 1, [0, 0, 2, 2], 3);

    // Assess: (0.5 + 0.5)/3 and (0.5 + 0.5)/30.
    expect(dbNear).toBeCloseTo(1 / 3, 14);
    expect(dbFar).toBeCloseTo(1 / 30, 14);
    expect(() => daviesBouldin(near, 4, 1, [0, 0, 0, 0], 3)).toThrow(MetricInputError);
  });
});
