import { describe, expect, it } from 'vitest';
import { kmeans } from '../../../lib/models/kmeans.js';
import { adjustedRandIndex } from '../../../lib/models/metrics.js';
import {
  adjustedRandFromTable,
  bootstrapStability,
  stabilityChecks,
} from '../../../lib/segments/stability.js';
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

describe('stability phase', () => {
  const settings = { bootstrapRuns: 6, dissolvedJaccard: 0.5, unstableJaccard: 0.75 };

  it('passes planted segments and fails those carved out of noise as dissolved, with the Jaccard', () => {
    // Prepare
    const n = 600;
    const planted = blobs(n, 3, 8, 11);
    const noise = blobs(n, 1, 0, 12);
    const centresOf = (data: Float64Array) => kmeans(data, n, d, { k: 3, seed: 1 }).centroids;
    // Act
    const stable = stabilityChecks({ data: planted, n, d }, centresOf(planted), 3, settings, 3);
    const dissolved = stabilityChecks(
      { data: noise, n, d },
      centresOf(noise),
      3,
      { ...settings, dissolvedJaccard: 0.9 },
      3,
    );
    // Assess
    expect(stable.checks.map(([c]) => c.verdict)).toEqual(['pass', 'pass', 'pass']);
    expect(stable.checks[0][0].value).toBe(stable.jaccard[0]);
    expect(stable.checks[0][0].reason).toMatch(/^stable: on 6 resamples it kept 1\.00 of its members/);
    expect(dissolved.checks.some(([c]) => c.verdict === 'fail')).toBe(true);
    expect(dissolved.checks.flat().find((c) => c.verdict === 'fail')!.reason).toMatch(
      /^dissolved: on 6 resamples/,
    );
  });

  it('says nothing when turned off or when the sample is too small to resample', () => {
    const data = blobs(5, 3, 8, 1);
    const centroids = data.slice(0, 3 * d);
    const none = { jaccard: [null, null, null], checks: [[], [], []] };
    expect(stabilityChecks({ data, n: 5, d }, centroids, 3, settings, 1)).toEqual(none);
    const planted = blobs(300, 3, 8, 2);
    expect(
      stabilityChecks({ data: planted, n: 300, d }, centroids, 3, { ...settings, bootstrapRuns: 0 }, 1),
    ).toEqual(none);
  });
});
