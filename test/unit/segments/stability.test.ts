import { describe, expect, it } from 'vitest';
import { kmeans } from '../../../lib/models/kmeans.js';
import { adjustedRandIndex } from '../../../lib/models/metrics.js';
import { adjustedRandFromTable, bootstrapStability } from '../../../lib/segments/stability.js';
import { createRandom } from '../../../lib/util/random.js';

const d = 4;

/** n rows around k well-separated centres (or, with spread 0, one Gaussian cloud: pure noise). */
function blobs(n: number, k: number, separation: number, seed: number): Float64Array {
  const r = createRandom(seed);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    for (let j = 0; j < d; j++) data[i * d + j] = (j === c % d ? separation : 0) + r.normal();
  }
  return data;
}

describe('bootstrap stability', () => {
  it('keeps planted segments (Jaccard ≈ 1) and dissolves segments carved out of noise', () => {
    // Prepare
    const n = 1500;
    const k = 3;
    const planted = blobs(n, k, 8, 11);
    const noise = blobs(n, 1, 0, 12);
    const plantedFit = kmeans(planted, n, d, { k, seed: 1 });
    const noiseFit = kmeans(noise, n, d, { k, seed: 1 });
    // Act
    const stable = bootstrapStability(planted, n, d, plantedFit.centroids, k, { runs: 10, seed: 3 });
    const unstable = bootstrapStability(noise, n, d, noiseFit.centroids, k, { runs: 10, seed: 3 });
    // Assess
    for (const j of stable.jaccard) expect(j).toBeGreaterThan(0.95);
    const meanNoise = unstable.jaccard.reduce((a, b) => a + b, 0) / k;
    expect(meanNoise).toBeLessThan(0.75);
    expect(Math.min(...unstable.minJaccard)).toBeLessThan(0.6);
    expect(stable.runs).toBe(10);
  });

  it('is deterministic for the same seed', () => {
    const n = 400;
    const data = blobs(n, 3, 4, 5);
    const fit = kmeans(data, n, d, { k: 3, seed: 2 });
    const a = bootstrapStability(data, n, d, fit.centroids, 3, { runs: 5, seed: 9 });
    const b = bootstrapStability(data, n, d, fit.centroids, 3, { runs: 5, seed: 9 });
    expect(a.jaccard).toEqual(b.jaccard);
  });
});

describe('adjusted Rand index from a contingency table', () => {
  it('equals the index computed from labels', () => {
    // Prepare
    const r = createRandom(4);
    const a = Int32Array.from({ length: 500 }, () => r.int(4));
    const b = Int32Array.from(a, (x) => (r.next() < 0.7 ? x : r.int(3)));
    const table = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
    for (let i = 0; i < a.length; i++) table[a[i]][b[i]]++;
    // Act / Assess
    expect(adjustedRandFromTable(table)).toBeCloseTo(adjustedRandIndex(a, b), 10);
    expect(
      adjustedRandFromTable([
        [10, 0],
        [0, 5],
      ]),
    ).toBe(1);
  });
});
