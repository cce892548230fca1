import { describe, expect, it } from 'vitest';
import {
  countOutcomes,
  differenceInterval,
  liftReadout,
  mergeLiftCounts,
  wilson,
} from '../../../lib/segments/lift.js';

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
