// Lookalikes: a seed audience drawn from one planted archetype must pull the rest of that archetype
// to the top of the ranking; seeds are never in the audience; held-out seeds rank high.
import { describe, expect, it } from 'vitest';
import { computeFeatures } from '../../../lib/features/build.js';
import { buildLookalikeSample, fitLookalike, scoreLookalike } from '../../../lib/models/lookalike.js';
import { fnv1a32 } from '../../../lib/util/hash.js';
import { filterRows, GENERATED_END_MS, generatedTransactions } from '../../support/predictive.js';

const SETTINGS = { enabled: true, topPercent: 10, holdoutSeedShare: 0.2, l2: 1, sampleSize: 100_000 };

describe('lookalike audiences on the generated data', () => {
  // Prepare (shared): seeds = half of the loyal high spenders; two hash shards
  const { tx, archetype } = generatedTransactions(3000, 5);
  const loyal = [...archetype].filter(([, a]) => a === 'loyal-high-spender').map(([id]) => id);
  const seeds = new Set(loyal.filter((id) => fnv1a32(`seed:${id}`) % 2 === 0));
  const shards = [0, 1].map((s) =>
    computeFeatures(
      filterRows(tx, (id) => fnv1a32(id) % 2 === s),
      GENERATED_END_MS,
    ),
  );
  const parts = shards.map((f) => buildLookalikeSample(f, seeds, SETTINGS.sampleSize, 42));

  it('ranks held-out seeds near the top and finds the unseeded loyal customers', () => {
    // Act
    const model = fitLookalike(
      parts.map((p) => p.sample),
      seeds.size,
      SETTINGS,
    );
    const scored = shards.map((f) => ({ f, s: scoreLookalike(model, f, seeds) }));
    // Assess
    expect(model.status).toBe('fitted');
    expect(model.seeds.matched).toBe(seeds.size);
    expect(model.heldOutSeeds!.meanPercentile).toBeGreaterThan(80);
    expect(model.heldOutSeeds!.auc).toBeGreaterThan(0.9);
    let audience = 0;
    let nonSeeds = 0;
    let loyalInAudience = 0;
    for (const { f, s } of scored) {
      f.customerId.forEach((id, i) => {
        if (seeds.has(id)) {
          expect(s.inAudience[i]).toBe(0);
          expect(Number.isNaN(s.percentile[i])).toBe(true);
          return;
        }
        nonSeeds++;
        audience += s.inAudience[i];
        if (s.inAudience[i] && archetype.get(id) === 'loyal-high-spender') loyalInAudience++;
      });
    }
    expect(audience / nonSeeds).toBeCloseTo(0.1, 1);
    // most of the audience is the planted archetype the seeds came from
    expect(loyalInAudience / audience).toBeGreaterThan(0.6);
  });

  it('explains a skipped model when there are too few seeds', () => {
    // Prepare
    const few = new Set(loyal.slice(0, 5));
    const small = shards.map((f) => buildLookalikeSample(f, few, SETTINGS.sampleSize, 42).sample);
    // Act
    const model = fitLookalike(small, few.size, SETTINGS);
    // Assess
    expect(model.status).toBe('skipped');
    expect(model.reason).toMatch(/5 seed and \d+ other customers, the minimum is 20/);
  });
});
