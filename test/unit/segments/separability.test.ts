import { describe, expect, it } from 'vitest';
import { kmeans } from '../../../lib/models/kmeans.js';
import { aggregateProfiles } from '../../../lib/segments/profile.js';
import { separabilityChecks } from '../../../lib/segments/separability.js';
import { gaussianBlobs } from '../../support/blobs.js';

const SETTINGS = { minSilhouette: 0.25, maxDaviesBouldin: 1.5, minEffectSize: 0.5 };

/** n rows of d features in k blobs, fitted, with the profiles Score would aggregate. */
function fitted(spread: number) {
  const n = 600;
  const d = 3;
  const k = 3;
  const data = gaussianBlobs(n, d, k, spread, 4);
  const fit = kmeans(data, n, d, { k, seed: 1 });
  const names = ['a', 'b', 'c'];
  const values = Object.fromEntries(
    names.map((f, j) => [f, Float64Array.from({ length: n }, (_, i) => data[i * d + j])]),
  );
  const ids = Array.from({ length: n }, (_, i) => `C${i}`);
  const profiles = aggregateProfiles({ customerId: ids, values, names }, fit.labels, k, names);
  return { sample: { data, n, d }, centroids: fit.centroids, k, profiles };
}

describe('separability phase', () => {
  it('passes well-separated segments on silhouette, Davies–Bouldin and effect size', () => {
    // Prepare
    const { sample, centroids, k, profiles } = fitted(8);
    // Act
    const out = separabilityChecks(sample, centroids, k, profiles, SETTINGS, 1);
    // Assess
    expect(out.runChecks.map((c) => [c.name, c.verdict])).toEqual([
      ['silhouette', 'pass'],
      ['Davies–Bouldin', 'pass'],
    ]);
    expect(out.silhouette).toBe(out.runChecks[0].value);
    expect(out.daviesBouldin).toBe(out.runChecks[1].value);
    expect(out.checks).toHaveLength(k);
    for (const [c] of out.checks) {
      expect(c).toMatchObject({ name: 'separability', verdict: 'pass', threshold: 0.5 });
      expect(c.reason).toMatch(
        /^differs most from everyone else on [abc] \(effect size -?\d+\.\d\d sd\), then/,
      );
    }
  });

  it('warns on overlapping segments and says which feature comes closest to setting one apart', () => {
    const { sample, centroids, k, profiles } = fitted(0.01);
    const out = separabilityChecks(sample, centroids, k, profiles, { ...SETTINGS, minEffectSize: 5 }, 1);
    expect(out.runChecks[0]).toMatchObject({ name: 'silhouette', verdict: 'warn' });
    expect(out.checks.flat().every((c) => c.verdict === 'warn')).toBe(true);
    expect(out.checks[0][0].reason).toMatch(/^no feature sets it apart from everyone else by 5 sd or more/);
  });

  it('leaves the run figures out when the sample is too small to hold two segments', () => {
    const { centroids, k, profiles } = fitted(8);
    const out = separabilityChecks(
      { data: new Float64Array(6), n: 2, d: 3 },
      centroids,
      k,
      profiles,
      SETTINGS,
      1,
    );
    expect([out.silhouette, out.daviesBouldin, out.runChecks]).toEqual([null, null, []]);
    expect(out.checks).toHaveLength(k);
  });
});
