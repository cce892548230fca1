import { describe, expect, it } from 'vitest';
import {
  centroidDistances,
  identifySegments,
  matchSegments,
  resolveNames,
} from '../../../lib/segments/identity.js';
import type { DatasetState } from '../../../lib/segments/state.js';

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

describe('identity phase', () => {
  const settings = { matchDistance: 0.75, maxSizeDrift: 0.3, maxCentroidDrift: 0.4 };
  const state: DatasetState = {
    version: 1,
    dataset: 'shop',
    runId: 'run-1',
    asOfMs: 0,
    shardCount: 1,
    holdoutSalt: 'salt',
    holdoutShare: 0.1,
    model: { features: ['f1', 'f2'], mean: [0, 0], std: [1, 1], centroids: [2, 0, -2, 0, 0, 2], k: 3 },
    segments: [
      { id: 'seg-1', name: 'Loyal high spenders', size: 100, status: 'published', firstRunId: 'run-0' },
      { id: 'seg-2', name: 'Lapsed customers', size: 200, status: 'published', firstRunId: 'run-1' },
      { id: 'seg-3', name: 'Deal seekers', size: 50, status: 'published', firstRunId: 'run-1' },
    ],
    nextId: 4,
    history: [],
  };
  // seg-1 moved 0.6 sd and grew by half, seg-2 stayed, a new segment far from every old one
  const current = { features: ['f1', 'f2'], mean: [0, 0], std: [1, 1], centroids: [2.6, 0, -2, 0, 9, 9] };
  const generated = [
    { name: 'High spenders', size: 150 },
    { name: 'Lapsed', size: 210 },
    { name: 'Lapsed customers', size: 40 },
  ];

  it('numbers segments on a first run, keeps the generated names and adds no checks', () => {
    const out = identifySegments(undefined, current, generated, settings, 'run-2');
    expect(out.ids).toEqual(['seg-1', 'seg-2', 'seg-3']);
    expect(out.names).toEqual(['High spenders', 'Lapsed', 'Lapsed customers']);
    expect(out.firstRunIds).toEqual(['run-2', 'run-2', 'run-2']);
    expect(out.checks).toEqual([[], [], []]);
  });

  it('keeps id, name and first run of matched segments and says how far each drifted', () => {
    // Act
    const out = identifySegments(state, current, generated, settings, 'run-2');
    // Assess
    expect(out.ids).toEqual(['seg-1', 'seg-2', 'seg-4']);
    expect(out.names).toEqual(['Loyal high spenders', 'Lapsed customers', 'Lapsed customers (new)']);
    expect(out.firstRunIds).toEqual(['run-0', 'run-1', 'run-2']);
    expect(out.match.retired.map((r) => r.id)).toEqual(['seg-3']);
    expect(out.checks[0].map((c) => [c.name, c.verdict, c.value])).toEqual([
      ['size drift', 'warn', 0.5],
      ['centroid drift', 'warn', 0.4243],
    ]);
    expect(out.checks[0][0].reason).toBe('100 → 150 customers since run run-1 (beyond 30.0 %)');
    expect(out.checks[0][1].reason).toMatch(/moved 0.42 sd per feature since run run-1; it keeps id seg-1/);
    expect(out.checks[1].map((c) => c.verdict)).toEqual(['pass', 'pass']);
    expect(out.checks[2]).toEqual([
      {
        name: 'identity',
        verdict: 'pass',
        value: 'new',
        threshold: 'matched or new',
        reason: 'new this run: no segment of run run-1 lies within 0.75 sd of its centre',
      },
    ]);
  });
});
