import { describe, expect, it } from 'vitest';
import { isHoldout } from '../../../lib/segments/holdout.js';
import type { SegmentIdentity } from '../../../lib/segments/identity.js';
import {
  addPreviousMembers,
  countOutcomes,
  differenceInterval,
  liftChecks,
  liftReadout,
  mergeLiftCounts,
  wilson,
} from '../../../lib/segments/lift.js';
import type { DatasetState } from '../../../lib/segments/state.js';

const DAY = 86_400_000;
const prevAsOf = Date.UTC(2026, 9, 1);
const asOf = prevAsOf + 30 * DAY;

/** Two runs: 200 members of segment 0 (100 held out), 100 of segment 1 (all treated). */
function scenario() {
  const ids: string[] = [];
  const segment: number[] = [];
  const holdout: number[] = [];
  const tx = {
    customerId: [] as string[],
    timestampMs: [] as number[],
    amount: [] as number[],
    isReturn: [] as number[],
  };
  const buy = (id: string, t: number, amount: number, isReturn = 0) => {
    tx.customerId.push(id);
    tx.timestampMs.push(t);
    tx.amount.push(amount);
    tx.isReturn.push(isReturn);
  };
  for (let i = 0; i < 300; i++) {
    const id = `C${i}`;
    ids.push(id);
    segment.push(i < 200 ? 0 : 1);
    holdout.push(i < 100 ? 1 : 0);
    buy(id, prevAsOf - 10 * DAY, 99); // before the window: never an outcome
  }
  // segment 0: 30 of 100 treated bought (C100..C129), 20 of 100 held out (C0..C19)
  for (let i = 100; i < 130; i++) buy(`C${i}`, prevAsOf + 5 * DAY, 50);
  for (let i = 0; i < 20; i++) buy(`C${i}`, prevAsOf + 6 * DAY, 30);
  // a return in the window is not a purchase; a purchase at the new as-of is outside it
  buy('C150', prevAsOf + 7 * DAY, -50, 1);
  buy('C151', asOf, 50);
  // segment 1: 10 of 100 bought, twice each
  for (let i = 200; i < 210; i++) {
    buy(`C${i}`, prevAsOf + DAY, 20);
    buy(`C${i}`, prevAsOf + 2 * DAY, 40);
  }
  const current = new Map(ids.map((id, i) => [id, i < 150 ? 0 : i < 200 ? 1 : 1]));
  return { previous: { customerId: ids, segment, holdout }, tx, current };
}

describe('lift readout on a constructed two-run scenario', () => {
  it('counts treated and held-out buyers of each previous segment in the window', () => {
    // Prepare
    const { previous, tx, current } = scenario();
    // Act
    const counts = countOutcomes(
      previous,
      tx,
      current,
      { fromMs: prevAsOf, toMs: asOf },
      { previousK: 2, currentK: 2 },
      { previousRunId: 'run-1' },
    );
    // Assess
    expect(counts.segments[0]).toEqual({
      treated: 100,
      treatedBuyers: 30,
      holdout: 100,
      holdoutBuyers: 20,
      orders: 50,
      revenue: 30 * 50 + 20 * 30,
    });
    expect(counts.segments[1]).toMatchObject({ treated: 100, treatedBuyers: 10, holdout: 0, orders: 20 });
    expect(counts.population).toMatchObject({
      treated: 200,
      treatedBuyers: 40,
      holdout: 100,
      holdoutBuyers: 20,
    });
    expect(counts.transitions).toEqual([
      [150, 50],
      [0, 100],
    ]);
  });

  it('reads out lift with a 95 % interval, and merges shards by adding counts', () => {
    // Prepare
    const { previous, tx, current } = scenario();
    const half = (from: number, to: number) => ({
      customerId: previous.customerId.slice(from, to),
      segment: previous.segment.slice(from, to),
      holdout: previous.holdout.slice(from, to),
    });
    const count = (p: ReturnType<typeof half>) =>
      countOutcomes(
        p,
        tx,
        current,
        { fromMs: prevAsOf, toMs: asOf },
        { previousK: 2, currentK: 2 },
        { previousRunId: 'run-1' },
      );
    // Act
    const merged = mergeLiftCounts([count(half(0, 120)), count(half(120, 300))])!;
    const read = liftReadout(merged.segments[0], { id: 'seg-1', name: 'Deal seekers' });
    // Assess: 30 % vs 20 %, Newcombe interval of the difference
    expect(read.treatedRate).toBe(0.3);
    expect(read.holdoutRate).toBe(0.2);
    expect(read.lift).toBeCloseTo(0.1, 10);
    expect(read.relativeLift).toBeCloseTo(0.5, 10);
    const [lo, hi] = differenceInterval(30, 100, 20, 100);
    expect(read.ci).toEqual([Math.round(lo * 1e6) / 1e6, Math.round(hi * 1e6) / 1e6]);
    expect(lo).toBeCloseTo(-0.0202, 4);
    expect(hi).toBeCloseTo(0.2167, 4);
    expect(read.significant).toBe(false);
    expect(read.orderValue).toBeCloseTo(2100 / 50, 10);
    expect(read.note).toMatch(
      /30.0 % of 100 targeted members made a purchase against 20.0 % of 100 held out/,
    );
    expect(liftReadout(merged.segments[1], { id: 'seg-2', name: 'x' }).note).toMatch(/no holdout/);
  });

  it('matches published interval values', () => {
    // Wilson (1927) for 81/263: Newcombe (1998) table I gives 0.2553 to 0.3662
    const [wl, wu] = wilson(81, 263);
    expect(wl).toBeCloseTo(0.2553, 4);
    expect(wu).toBeCloseTo(0.3662, 4);
    // Newcombe (1998) difference example 56/70 − 48/80: method 10 gives 0.0524 to 0.3339
    const [l, u] = differenceInterval(56, 70, 48, 80);
    expect(l).toBeCloseTo(0.0524, 4);
    expect(u).toBeCloseTo(0.3339, 4);
  });
});

describe('lift phase', () => {
  const state = {
    runId: 'run-1',
    holdoutSalt: 'salt',
    holdoutShare: 0.5,
    segments: [
      { id: 'seg-1', name: 'Deal seekers', size: 200, status: 'published', firstRunId: 'run-1' },
      { id: 'seg-2', name: 'Lapsed', size: 100, status: 'published', firstRunId: 'run-1' },
    ],
  } as DatasetState;
  const counted = () => {
    const { previous, tx, current } = scenario();
    return countOutcomes(
      previous,
      tx,
      current,
      { fromMs: prevAsOf, toMs: asOf },
      { previousK: 2, currentK: 2 },
      { previousRunId: 'run-1' },
    );
  };
  // this run: segment 0 continues seg-2, segment 1 continues seg-1, segment 2 is new
  const identities: SegmentIdentity[] = [
    { id: 'seg-2', previousIndex: 1, distance: 0.1 },
    { id: 'seg-1', previousIndex: 0, distance: 0.2 },
    { id: 'seg-3', previousIndex: -1, distance: null },
  ];
  const settings = { minRunAgreement: 0.6, outcome: 'purchase' };
  const run = { runId: 'run-2', asOf: '2026-10-31T00:00:00.000Z' };

  it('reads nothing on a first run or without counts', () => {
    const empty = { agreement: null, runChecks: [], readouts: [], performance: [], checks: [[], [], []] };
    expect(liftChecks(undefined, counted(), identities, run, settings)).toEqual(empty);
    expect(liftChecks(state, undefined, identities, run, settings)).toEqual(empty);
  });

  it('reads out agreement, lift per previous segment then everyone, and checks the continuing segments', () => {
    // Act
    const out = liftChecks(state, counted(), identities, run, settings);
    // Assess
    expect(out.runChecks).toHaveLength(1);
    expect(out.runChecks[0]).toMatchObject({ name: 'agreement with previous run', value: out.agreement });
    expect(out.runChecks[0].reason).toMatch(/on the 300 customers both runs scored/);
    expect(out.readouts.map((r) => r.segmentId)).toEqual(['seg-1', 'seg-2', '*']);
    // seg-1 (30 % vs 20 %) continues as segment 1; seg-2 has no holdout, so lift is not measurable
    expect(out.checks[1]).toEqual([
      {
        name: 'lift vs holdout',
        verdict: 'pass',
        value: out.readouts[0].lift,
        threshold: 0,
        reason: out.readouts[0].note,
      },
    ]);
    expect(out.checks[0]).toMatchObject([{ name: 'lift vs holdout', verdict: 'warn' }]);
    expect(out.checks[2]).toEqual([]);
    // retention: of seg-1's 200, the 50 now in segment 1 stayed; all of seg-2's 100 moved to segment 1
    // (no longer seg-2's continuation); of the 300 both runs scored, 50 stayed in their segment
    expect(out.performance.map((p) => [p.segmentId, p.retention, p.populationRetention, p.lift])).toEqual([
      ['seg-1', 0.25, 0.1667, out.readouts[0].lift],
      ['seg-2', 0, 0.1667, null],
    ]);
    expect(out.performance[0]).toMatchObject({
      runId: 'run-2',
      asOf: run.asOf,
      populationRate: out.readouts[2].rate,
    });
  });

  it('collects the previous members among this shard’s customers, with the holdout that run gave them', () => {
    // Prepare: C3 is no longer a customer here, C4 was in a segment index the state does not know
    const into = { customerId: [] as string[], segment: [] as number[], holdout: [] as number[] };
    const current = new Map([
      ['C1', 0],
      ['C2', 1],
      ['C4', 0],
    ]);
    // Act
    addPreviousMembers(into, { customerId: ['C1', 'C2', 'C3', 'C4'], segment: [0, 1, 0, 7] }, current, state);
    // Assess
    expect(into.customerId).toEqual(['C1', 'C2']);
    expect(into.segment).toEqual([0, 1]);
    expect(into.holdout).toEqual([
      isHoldout('salt', 'C1', 'seg-1', 0.5) ? 1 : 0,
      isHoldout('salt', 'C2', 'seg-2', 0.5) ? 1 : 0,
    ]);
  });
});
