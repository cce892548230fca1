import { describe, expect, it } from 'vitest';
import {
  retirementAdvice,
  retirementChecks,
  type SegmentPerformance,
} from '../../../lib/segments/retirement.js';

const run = (i: number, segmentId: string, lift: number, rate: number): SegmentPerformance => ({
  runId: `run-${i}`,
  asOf: new Date(Date.UTC(2026, 0, 1 + 7 * i)).toISOString(),
  segmentId,
  rate,
  populationRate: 0.2,
  lift,
  populationLift: 0.03,
  orderValue: 50,
  populationOrderValue: 60,
  retention: 0.8,
  populationRetention: 0.85,
});

describe('decay and retirement', () => {
  it('recommends retiring a segment that did no better than broad targeting for the configured runs', () => {
    // Prepare: seg-1 decays (lift 8, 5, then 2, 1, 0 pts against 3 for everyone); seg-2 keeps beating it
    const history = [
      ...[0.08, 0.05, 0.02, 0.01, 0].map((lift, i) => run(i, 'seg-1', lift, 0.25)),
      ...[0.06, 0.07, 0.05, 0.06, 0.05].map((lift, i) => run(i, 'seg-2', lift, 0.3)),
    ];
    // Act
    const advice = retirementAdvice(history, { runs: 3 });
    // Assess
    const decayed = advice.find((a) => a.segmentId === 'seg-1')!;
    expect(decayed.recommend).toBe(true);
    expect(decayed.underperformingRuns).toBe(3);
    expect(decayed.evidence).toHaveLength(3);
    expect(decayed.evidence[2]).toMatch(/lift \+0.0 pts vs \+3.0 pts for everyone/);
    expect(decayed.reason).toMatch(/3 consecutive runs/);
    const healthy = advice.find((a) => a.segmentId === 'seg-2')!;
    expect(healthy.recommend).toBe(false);
    expect(healthy.underperformingRuns).toBe(0);
  });

  it('waits for the configured number of runs, and falls back to outcome rates without holdouts', () => {
    const twoBad = [0.08, 0.01, 0.0].map((lift, i) => run(i, 'seg-1', lift, 0.25));
    expect(retirementAdvice(twoBad, { runs: 3 })[0]).toMatchObject({
      recommend: false,
      underperformingRuns: 2,
    });
    const noHoldout = [0, 1, 2].map((i) => ({ ...run(i, 'seg-3', 0, 0.1), lift: null }));
    expect(retirementAdvice(noHoldout, { runs: 3 })[0].recommend).toBe(true);
  });
});

describe('retirement phase', () => {
  it('puts each advice on the current segment with its id, and none on segments no longer there', () => {
    // Prepare: seg-1 underperformed three runs, seg-2 beat everyone, seg-9 is no longer a segment
    const history = [
      ...[0.01, 0.0, 0.01].map((lift, i) => run(i, 'seg-1', lift, 0.25)),
      run(2, 'seg-2', 0.06, 0.3),
      run(2, 'seg-9', 0.0, 0.1),
    ];
    // Act
    const out = retirementChecks(history, ['seg-2', 'seg-1', 'seg-4'], { runs: 3 });
    // Assess
    expect(out.advice.map((a) => a.segmentId)).toEqual(['seg-1', 'seg-2', 'seg-9']);
    expect(out.checks[0]).toEqual([
      {
        name: 'performance vs broad targeting',
        verdict: 'pass',
        value: 0,
        threshold: 3,
        reason: 'outperforms targeting everyone',
      },
    ]);
    expect(out.checks[1][0]).toMatchObject({ verdict: 'warn', value: 3 });
    expect(out.checks[1][0].reason).toMatch(
      /^recommended for retirement: did no better .*\. 2026-01-01 \(run-0\)/,
    );
    expect(out.checks[2]).toEqual([]);
  });
});
