import { describe, expect, it } from 'vitest';
import { aggregateProfiles, effectSizes, mergeProfiles, varianceOf } from '../../../lib/segments/profile.js';

describe('segment profiles', () => {
  it('keeps sums of squares across shards so effect sizes rest on every customer', () => {
    // Prepare: segment 0 = {1, 3}, segment 1 = {5, 7, 9}, split over two shards
    const shardA = aggregateProfiles(
      { customerId: ['a', 'b'], values: { x: Float64Array.of(1, 5) }, names: ['x'] },
      Int32Array.of(0, 1),
      2,
      ['x'],
    );
    const shardB = aggregateProfiles(
      { customerId: ['c', 'd', 'e'], values: { x: Float64Array.of(3, 7, 9) }, names: ['x'] },
      Int32Array.of(0, 1, 1),
      2,
      ['x'],
    );
    // Act
    const merged = mergeProfiles([shardA, shardB]);
    const d = effectSizes(merged.segments[0], merged.population);
    // Assess: means 2 vs 7, sample variances 2 and 4, pooled sd √((2 + 8) / 3)
    expect(varianceOf(merged.segments[1], 'x')).toBeCloseTo(8 / 3, 10);
    expect(d.x).toBeCloseTo(-5 / Math.sqrt(10 / 3), 10);
  });
});
