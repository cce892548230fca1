import { describe, expect, it } from 'vitest';
import { centroidDistances, matchSegments, resolveNames } from '../../../lib/segments/identity.js';

// three segments on two features, standardised with mean 0 and sd 1
const previous = {
  runId: 'run-1',
  features: ['f1', 'f2'],
  mean: [0, 0],
  std: [1, 1],
  centroids: [2, 0, -2, 0, 0, 2],
  ids: ['seg-1', 'seg-2', 'seg-3'],
  names: ['Loyal high spenders', 'Lapsed customers', 'Deal seekers'],
  nextId: 4,
};

describe('stable segment identity', () => {
  it('keeps ids and names of segments whose centres moved a little, in any order', () => {
    // Prepare: the same segments, shifted by 0.2 sd and listed in another order
    const current = {
      features: ['f1', 'f2'],
      mean: [0, 0],
      std: [1, 1],
      centroids: [0.2, 2.1, 2.2, 0.1, -1.9, -0.2],
    };
    // Act
    const result = matchSegments(previous, current, { maxDistance: 0.75 });
    // Assess
    expect(result.segments.map((s) => s.id)).toEqual(['seg-3', 'seg-1', 'seg-2']);
    expect(result.segments.map((s) => s.name)).toEqual([
      'Deal seekers',
      'Loyal high spenders',
      'Lapsed customers',
    ]);
    expect(result.retired).toEqual([]);
    expect(result.nextId).toBe(4);
    expect(result.segments[1].distance).toBeCloseTo(Math.sqrt((0.2 ** 2 + 0.1 ** 2) / 2), 10);
  });

  it('gives new segments new ids and retires vanished ones', () => {
    // Prepare: "Deal seekers" vanished, a new segment appeared far from every old one
    const current = { features: ['f1', 'f2'], mean: [0, 0], std: [1, 1], centroids: [2, 0.1, -2, 0, 0, -3] };
    // Act
    const result = matchSegments(previous, current, { maxDistance: 0.75 });
    // Assess
    expect(result.segments.map((s) => s.id)).toEqual(['seg-1', 'seg-2', 'seg-4']);
    expect(result.segments[2].name).toBeUndefined();
    expect(result.retired.map((r) => [r.id, r.name])).toEqual([['seg-3', 'Deal seekers']]);
    expect(result.retired[0].reason).toMatch(/within 0.75 standard deviations/);
    expect(result.nextId).toBe(5);
  });

  it('compares centroids in one space when the scaler changed between runs', () => {
    // Prepare: the same raw centre (f1 = 3), standardised with different means and sds
    const before = { features: ['f1'], mean: [1], std: [2], centroids: [1] };
    const after = { features: ['f1', 'fNew'], mean: [2, 0], std: [0.5, 1], centroids: [2, 9] };
    // Act / Assess: only the shared feature counts
    expect(centroidDistances(before, after)[0][0]).toBeCloseTo(0, 10);
  });

  it('numbers segments seg-1.. on a first run', () => {
    const current = { features: ['f1'], mean: [0], std: [1], centroids: [1, 2] };
    const result = matchSegments(undefined, current, { maxDistance: 0.75 });
    expect(result.segments.map((s) => s.id)).toEqual(['seg-1', 'seg-2']);
    expect(result.nextId).toBe(3);
  });

  it('keeps names unique when a new segment earns a kept name', () => {
    const names = resolveNames(
      [
        { id: 'seg-1', name: 'Deal seekers', previousIndex: 0, distance: 0.1 },
        { id: 'seg-4', previousIndex: -1, distance: null },
      ],
      ['Deal seekers', 'Deal seekers'],
    );
    expect(names).toEqual(['Deal seekers', 'Deal seekers (new)']);
  });
});
