import { kmeans as mlKmeans } from 'ml-kmeans';
import { describe, expect, it } from 'vitest';
import {
  assignNearest,
  chooseK,
  KMeansInputError,
  kmeans,
  kmeansPlusPlus,
} from '../../../lib/models/kmeans.js';
import { adjustedRandIndex } from '../../../lib/models/metrics.js';
import { createRandom } from '../../../lib/util/random.js';

/** Planted Gaussian blobs: centres drawn N(0, spread²) per feature, rows = centre + N(0, 1). */
function blobs(
  n: number,
  d: number,
  k: number,
  spread: number,
  seed: number,
): { data: Float64Array; truth: Int32Array } {
  const random = createRandom(seed);
  const centres = new Float64Array(k * d);
  for (let i = 0; i < k * d; i++) centres[i] = random.normal() * spread;
  const data = new Float64Array(n * d);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    truth[i] = c;
    for (let t = 0; t < d; t++) data[i * d + t] = centres[c * d + t] + random.normal();
  }
  return { data, truth };
}

function uniform(n: number, d: number, seed: number): Float64Array {
  const random = createRandom(seed);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n * d; i++) data[i] = random.next() * 10 - 5;
  return data;
}

function rows(data: Float64Array, n: number, d: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, i * d + d)));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const datasets = [
  { name: '3 blobs, 2-D', n: 300, d: 2, k: 3, make: () => blobs(300, 2, 3, 4, 11).data },
  { name: '5 overlapping blobs, 12-D', n: 2000, d: 12, k: 5, make: () => blobs(2000, 12, 5, 1.2, 12).data },
  { name: 'd=1, k=4', n: 500, d: 1, k: 4, make: () => blobs(500, 1, 4, 3, 13).data },
  { name: 'uniform noise 1000×3, k=6', n: 1000, d: 3, k: 6, make: () => uniform(1000, 3, 14) },
];

describe('kmeans agrees with ml-kmeans from the same initial centroids', () => {
  for (const ds of datasets) {
    for (const algorithm of ['elkan', 'hamerly', 'lloyd'] as const) {
      it(`${ds.name} (${algorithm}): centroids within 1e-9, identical labels`, () => {
        // Prepare
        const data = ds.make();
        const init = kmeansPlusPlus(data, ds.n, ds.d, ds.k, createRandom(5));
        const initRows = rows(init, ds.k, ds.d);

        // Act
        const ours = kmeans(data, ds.n, ds.d, { k: ds.k, init, tol: 0, maxIter: 1000, algorithm });
        const ref = mlKmeans(rows(data, ds.n, ds.d), ds.k, {
          initialization: initRows,
          tolerance: 0,
          maxIterations: 1000,
        });

        // Assess
        expect(ours.converged).toBe(true);
        expect(ref.converged).toBe(true);
        expect(maxAbsDiff(ours.centroids, ref.centroids.flat())).toBeLessThan(1e-9);
        expect(Array.from(ours.labels)).toEqual(ref.clusters);
      });
    }
  }

  it('stops at the same centroids when both are capped at 3 iterations', () => {
    // Prepare
    const ds = datasets[3];
    const data = ds.make();
    const init = kmeansPlusPlus(data, ds.n, ds.d, ds.k, createRandom(5));

    // Act
    const ours = kmeans(data, ds.n, ds.d, { k: ds.k, init, tol: 0, maxIter: 3 });
    const ref = mlKmeans(rows(data, ds.n, ds.d), ds.k, {
      initialization: rows(init, ds.k, ds.d),
      tolerance: 0,
      maxIterations: 3,
    });

    // Assess: same centroids; our labels are refreshed against them (nearest centroid, as sklearn).
    expect(ours.converged).toBe(false);
    expect(ours.iterations).toBe(3);
    expect(maxAbsDiff(ours.centroids, ref.centroids.flat())).toBeLessThan(1e-9);
    const nearest = assignNearest(data, ds.n, ds.d, ours.centroids, ds.k);
    expect(ours.labels).toEqual(nearest.labels);
    expect(ours.inertia).toBeCloseTo(nearest.inertia, 6);
  });
});

describe('Elkan and Hamerly bounds give the same answer as plain Lloyd', () => {
  it('hamerly (fused generated passes): 6,000×13, k=8, a feature count not a multiple of 4', () => {
    // Prepare: d=13 exercises the tail of the unrolled reference distance, k=8 two centroid groups
    const n = 6000;
    const d = 13;
    const { data } = blobs(n, d, 8, 0.8, 23);

    // Act
    const fast = kmeans(data, n, d, { k: 8, seed: 4, nInit: 1, tol: 0, algorithm: 'hamerly' });
    const plain = kmeans(data, n, d, { k: 8, seed: 4, nInit: 1, tol: 0, algorithm: 'lloyd' });

    // Assess
    expect(fast.iterations).toBe(plain.iterations);
    expect(fast.labels).toEqual(plain.labels);
    expect(maxAbsDiff(fast.centroids, plain.centroids)).toBeLessThan(1e-9);
    expect(Math.abs(fast.inertia - plain.inertia) / plain.inertia).toBeLessThan(1e-12);
  });

  for (const tol of [0, 1e-4]) {
    for (const algorithm of ['elkan', 'hamerly'] as const) {
      it(`${algorithm}: 20,000×8, k=7, overlapping blobs, tol=${tol}`, () => {
        // Prepare
        const n = 20_000;
        const d = 8;
        const { data } = blobs(n, d, 7, 1.0, 21);

        // Act
        const fast = kmeans(data, n, d, { k: 7, seed: 3, nInit: 2, tol, algorithm });
        const plain = kmeans(data, n, d, { k: 7, seed: 3, nInit: 2, tol, algorithm: 'lloyd' });

        // Assess
        expect(fast.iterations).toBe(plain.iterations);
        expect(fast.iterations).toBeGreaterThan(5);
        expect(fast.labels).toEqual(plain.labels);
        expect(maxAbsDiff(fast.centroids, plain.centroids)).toBeLessThan(1e-9);
        expect(Math.abs(fast.inertia - plain.inertia) / plain.inertia).toBeLessThan(1e-12);
      });
    }
  }

  it('all three agree on heavily duplicated integer data, where exact distance ties are common', () => {
    // Prepare: a 6×6 grid of integer points, each repeated, so rows sit exactly between centroids.
    const n = 720;
    const data = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      data[i * 2] = i % 6;
      data[i * 2 + 1] = Math.floor(i / 6) % 6;
    }
    const init = Float64Array.from([0, 0, 2, 2, 4, 4, 1, 5, 5, 1]);

    // Act
    const results = (['elkan', 'hamerly', 'lloyd'] as const).map((algorithm) =>
      kmeans(data, n, 2, { k: 5, init, tol: 0, algorithm }),
    );

    // Assess
    expect(results[0].labels).toEqual(results[2].labels);
    expect(results[1].labels).toEqual(results[2].labels);
    expect(results[0].centroids).toEqual(results[2].centroids);
    expect(results[1].centroids).toEqual(results[2].centroids);
  });
});

describe('kmeans recovers planted structure', () => {
  it('finds 4 planted Gaussian blobs in 6-D with ARI ≥ 0.99', () => {
    // Prepare
    const n = 4000;
    const { data, truth } = blobs(n, 6, 4, 5, 31);

    // Act
    const result = kmeans(data, n, 6, { k: 4, seed: 7 });

    // Assess
    expect(result.converged).toBe(true);
    expect(adjustedRandIndex(result.labels, truth)).toBeGreaterThanOrEqual(0.99);
    expect(result.centroids).toHaveLength(4 * 6);
    // Unit-variance noise in 6 features: inertia per row ≈ 6.
    expect(result.inertia / n).toBeGreaterThan(5.5);
    expect(result.inertia / n).toBeLessThan(6.5);
  });

  it('returns the nearest centroid for every row and the matching inertia', () => {
    // Prepare
    const n = 3000;
    const { data } = blobs(n, 4, 5, 1.5, 32);

    // Act
    const result = kmeans(data, n, 4, { k: 5, seed: 2 });
    const check = assignNearest(data, n, 4, result.centroids, 5);

    // Assess
    expect(result.labels).toEqual(check.labels);
    expect(result.inertia).toBeCloseTo(check.inertia, 6);
  });

  it('keeps inertia exact for features far from zero (e.g. spend in cents)', () => {
    // Prepare: blobs shifted by 1e6 in every feature; inertia is kept from per-cluster statistics.
    const n = 5000;
    const { data } = blobs(n, 3, 4, 2, 33);
    for (let i = 0; i < data.length; i++) data[i] += 1e6;

    // Act
    const result = kmeans(data, n, 3, { k: 4, seed: 5 });
    const check = assignNearest(data, n, 3, result.centroids, 4);

    // Assess: cluster sums of values near 1e6 carry ~1e-16 relative rounding, i.e. ~1e-9 of this inertia.
    expect(result.labels).toEqual(check.labels);
    expect(Math.abs(result.inertia - check.inertia) / check.inertia).toBeLessThan(1e-7);
  });

  it('with k=1 the centroid is the mean', () => {
    // Prepare
    const data = Float64Array.from([1, 2, 3, 4, 5, 9]);

    // Act
    const result = kmeans(data, 3, 2, { k: 1 });

    // Assess
    expect(Array.from(result.centroids)).toEqual([3, 5]);
    // (1−3)² + (2−5)² + 0² + (4−5)² + (5−3)² + (9−5)² = 13 + 1 + 20.
    expect(result.inertia).toBeCloseTo(34, 12);
  });
});

describe('kmeans is deterministic by seed', () => {
  it('gives identical centroids, labels and inertia for the same seed', () => {
    // Prepare
    const n = 5000;
    const data = uniform(n, 5, 41);

    // Act
    const a = kmeans(data, n, 5, { k: 5, seed: 9 });
    const b = kmeans(data, n, 5, { k: 5, seed: 9 });
    const c = kmeansPlusPlus(data, n, 5, 5, createRandom(9));
    const c2 = kmeansPlusPlus(data, n, 5, 5, createRandom(9));

    // Assess
    expect(a.centroids).toEqual(b.centroids);
    expect(a.labels).toEqual(b.labels);
    expect(a.inertia).toBe(b.inertia);
    expect(c).toEqual(c2);
  });

  it('keeps the best of several restarts: more restarts never raise inertia', () => {
    // Prepare
    const n = 3000;
    const data = uniform(n, 3, 42);

    // Act
    const one = kmeans(data, n, 3, { k: 8, seed: 4, nInit: 1 });
    const four = kmeans(data, n, 3, { k: 8, seed: 4, nInit: 4 });

    // Assess: the first restart of both draws the same seeding, so four restarts can only do better.
    expect(four.inertia).toBeLessThanOrEqual(one.inertia);
  });
});

describe('kmeansPlusPlus', () => {
  it('picks k distinct data rows as seeds, spread over separated blobs', () => {
    // Prepare
    const n = 900;
    const { data, truth } = blobs(n, 3, 3, 20, 51);

    // Act
    const seeds = kmeansPlusPlus(data, n, 3, 3, createRandom(1));
    const { labels } = assignNearest(data, n, 3, seeds, 3);

    // Assess: every seed is a row of the data, and the seeding alone already separates the blobs.
    for (let j = 0; j < 3; j++) {
      const seed = Array.from(seeds.subarray(j * 3, j * 3 + 3));
      let found = false;
      for (let i = 0; i < n && !found; i++) found = maxAbsDiff(data.subarray(i * 3, i * 3 + 3), seed) === 0;
      expect(found).toBe(true);
    }
    expect(adjustedRandIndex(labels, truth)).toBe(1);
  });
});

describe('edge cases', () => {
  it('fails with a named, actionable error when there are fewer rows than k', () => {
    // Prepare
    const data = Float64Array.from([1, 2, 3]);

    // Act
    const act = () => kmeans(data, 3, 1, { k: 5 });

    // Assess
    expect(act).toThrow(KMeansInputError);
    expect(act).toThrow('Cannot make k=5 segments from only 3 customers');
  });

  it('rejects missing values, naming the row and feature', () => {
    // Prepare
    const data = Float64Array.from([1, 2, 3, Number.NaN, 5, 6]);

    // Act
    const act = () => kmeans(data, 3, 2, { k: 2 });

    // Assess
    expect(act).toThrow(/Feature 1 of row 1 is NaN/);
  });

  it('rejects initial centroids of the wrong shape', () => {
    // Act
    const act = () => kmeans(Float64Array.from([1, 2, 3, 4]), 4, 1, { k: 2, init: Float64Array.from([1]) });

    // Assess
    expect(act).toThrow(KMeansInputError);
  });

  it('re-seeds an empty cluster from the row farthest from its centroid', () => {
    // Prepare: the second initial centroid is so far away that it wins no row.
    const data = Float64Array.from([0, 1, 2, 10]);

    // Act
    const result = kmeans(data, 4, 1, { k: 2, init: Float64Array.from([0, 100]), tol: 0 });

    // Assess: row 3 (value 10, farthest from centroid 0) seeds cluster 1.
    expect(Array.from(result.centroids)).toEqual([1, 10]);
    expect(Array.from(result.labels)).toEqual([0, 0, 0, 1]);
    expect(result.converged).toBe(true);
  });

  it('handles duplicate rows, even fewer distinct rows than k, deterministically', () => {
    // Prepare: 50 copies of (1, 1) and 50 of (4, 5).
    const n = 100;
    const data = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      data[i * 2] = i < 50 ? 1 : 4;
      data[i * 2 + 1] = i < 50 ? 1 : 5;
    }

    // Act
    const two = kmeans(data, n, 2, { k: 2, seed: 1 });
    const three = kmeans(data, n, 2, { k: 3, seed: 1 });
    const threeAgain = kmeans(data, n, 2, { k: 3, seed: 1 });

    // Assess
    expect(two.inertia).toBe(0);
    expect(
      adjustedRandIndex(
        two.labels,
        Array.from({ length: n }, (_, i) => (i < 50 ? 0 : 1)),
      ),
    ).toBe(1);
    expect(three.inertia).toBe(0);
    expect(three.converged).toBe(true);
    expect(Array.from(three.centroids).every(Number.isFinite)).toBe(true);
    expect(three.labels).toEqual(threeAgain.labels);
    expect(three.centroids).toEqual(threeAgain.centroids);
  });
});

describe('chooseK', () => {
  it('picks the planted k=4 on clear blobs and says why', () => {
    // Prepare
    const n = 3000;
    const { data, truth } = blobs(n, 5, 4, 6, 61);

    // Act
    const choice = chooseK(data, n, 5, { seed: 2, silhouetteSample: 1000 });

    // Assess
    expect(choice.k).toBe(4);
    expect(choice.candidates.map((c) => c.k)).toEqual([3, 4, 5]);
    const best = Math.max(...choice.candidates.map((c) => c.silhouette));
    expect(choice.candidates[1].silhouette).toBe(best);
    expect(choice.reason).toContain('k=4 has the highest silhouette');
    expect(choice.reason).toContain('of k=3..5 on a 1,000-customer sample');
    expect(choice.result.k).toBe(4);
    expect(adjustedRandIndex(choice.result.labels, truth)).toBeGreaterThanOrEqual(0.99);
  });

  it('picks k=3 when three blobs are planted, scoring all rows when n is small', () => {
    // Prepare
    const n = 600;
    const { data } = blobs(n, 2, 3, 8, 62);

    // Act
    const choice = chooseK(data, n, 2, { kMin: 2, kMax: 6, seed: 1 });

    // Assess
    expect(choice.k).toBe(3);
    expect(choice.reason).toContain('on all 600 customers');
    expect(choice.candidates).toHaveLength(5);
  });

  it('caps kMax below n and explains it; refuses when n ≤ kMin', () => {
    // Prepare
    const data = Float64Array.from([0, 0.1, 5, 5.1, 10]);

    // Act
    const choice = chooseK(data, 5, 1, { kMin: 2, kMax: 8 });
    const act = () => chooseK(data, 3, 1, { kMin: 3 });

    // Assess
    expect(choice.candidates.map((c) => c.k)).toEqual([2, 3, 4]);
    expect(choice.k).toBe(3);
    expect(choice.reason).toContain('k above 4 was not tried');
    expect(act).toThrow(KMeansInputError);
  });
});
