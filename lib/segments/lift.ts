// Lift readout: for each segment of the previous run, the outcome rate (a purchase after the previous
// run's as-of time) of members who were targeted against members held out, with a 95 % confidence
// interval. Counted per shard (Score) and merged (Validate), so it scales like the rest of the run.
// Validate's lift phase reads the merged counts out: agreement with the previous run, lift per
// previous segment, and how each performed against broad targeting (for retirement advice).
import { type Check, percent, roundTo } from './checks.js';
import { isHoldout } from './holdout.js';
import type { SegmentIdentity } from './identity.js';
import type { SegmentPerformance } from './retirement.js';
import { adjustedRandFromTable } from './stability.js';
import type { DatasetState } from './state.js';

export interface OutcomeCounts {
  treated: number;
  treatedBuyers: number;
  holdout: number;
  holdoutBuyers: number;
  /** orders and revenue of the buyers in the outcome window (treated and holdout together) */
  orders: number;
  revenue: number;
}

export interface LiftCounts {
  previousRunId: string;
  previousAsOfMs: number;
  /** by previous segment index */
  segments: OutcomeCounts[];
  population: OutcomeCounts;
  /** previous segment index × current segment index: customers both runs scored */
  transitions: number[][];
}

export const emptyOutcome = (): OutcomeCounts => ({
  treated: 0,
  treatedBuyers: 0,
  holdout: 0,
  holdoutBuyers: 0,
  orders: 0,
  revenue: 0,
});

export interface PreviousMembers {
  customerId: readonly string[];
  /** previous segment index per customer */
  segment: ArrayLike<number>;
  /** 1 = held out in the previous run */
  holdout: ArrayLike<number>;
}

/**
 * Adds the previous run's members among this shard's customers, from one of that run's score files
 * (customer, segment index), with the holdout flag that run gave them (recomputed from its salt and
 * share). Customers of other shards (when the shard counts differ) or erased since are left out.
 */
export function addPreviousMembers(
  into: { customerId: string[]; segment: number[]; holdout: number[] },
  scores: { customerId: readonly string[]; segment: ArrayLike<number> },
  current: ReadonlyMap<string, number>,
  previous: Pick<DatasetState, 'segments' | 'holdoutSalt' | 'holdoutShare'>,
): void {
  const ids = scores.customerId;
  for (let i = 0; i < ids.length; i++) {
    if (!current.has(ids[i])) continue;
    const s = previous.segments[scores.segment[i]];
    if (!s) continue;
    into.customerId.push(ids[i]);
    into.segment.push(scores.segment[i]);
    into.holdout.push(isHoldout(previous.holdoutSalt, ids[i], s.id, previous.holdoutShare) ? 1 : 0);
  }
}

export interface Purchases {
  customerId: readonly string[];
  timestampMs: ArrayLike<number>;
  amount: ArrayLike<number>;
  /** 1 = a return line (not a purchase) */
  isReturn: ArrayLike<number>;
  /** '' = a purchase; anything else is an engagement event */
  eventType?: readonly string[];
}

/**
 * Counts one shard: previous members, whether they bought in (fromMs, toMs), and where the current
 * run put them. `current` maps customer id → current segment index for the shard's customers.
 */
export function countOutcomes(
  previous: PreviousMembers,
  purchases: Purchases,
  current: ReadonlyMap<string, number>,
  window: { fromMs: number; toMs: number },
  sizes: { previousK: number; currentK: number },
  meta: { previousRunId: string },
): LiftCounts {
  const bought = new Map<string, { orders: number; revenue: number }>();
  for (let i = 0; i < purchases.customerId.length; i++) {
    const t = purchases.timestampMs[i];
    if (!(t >= window.fromMs && t < window.toMs)) continue;
    if (purchases.isReturn[i] || (purchases.eventType && purchases.eventType[i] !== '')) continue;
    const id = purchases.customerId[i];
    const b = bought.get(id) ?? { orders: 0, revenue: 0 };
    b.orders++;
    b.revenue += purchases.amount[i];
    bought.set(id, b);
  }
  const segments = Array.from({ length: sizes.previousK }, emptyOutcome);
  const population = emptyOutcome();
  const transitions = Array.from({ length: sizes.previousK }, () =>
    new Array<number>(sizes.currentK).fill(0),
  );
  for (let i = 0; i < previous.customerId.length; i++) {
    const s = previous.segment[i];
    if (s < 0 || s >= sizes.previousK) continue;
    const id = previous.customerId[i];
    const b = bought.get(id);
    for (const into of [segments[s], population]) {
      if (previous.holdout[i]) {
        into.holdout++;
        if (b) into.holdoutBuyers++;
      } else {
        into.treated++;
        if (b) into.treatedBuyers++;
      }
      if (b) {
        into.orders += b.orders;
        into.revenue += b.revenue;
      }
    }
    const now = current.get(id);
    if (now !== undefined) transitions[s][now]++;
  }
  return {
    previousRunId: meta.previousRunId,
    previousAsOfMs: window.fromMs,
    segments,
    population,
    transitions,
  };
}

export function mergeLiftCounts(parts: readonly LiftCounts[]): LiftCounts | undefined {
  if (!parts.length) return undefined;
  const add = (into: OutcomeCounts, from: OutcomeCounts): void => {
    into.treated += from.treated;
    into.treatedBuyers += from.treatedBuyers;
    into.holdout += from.holdout;
    into.holdoutBuyers += from.holdoutBuyers;
    into.orders += from.orders;
    into.revenue += from.revenue;
  };
  const merged = structuredClone(parts[0]);
  for (const p of parts.slice(1)) {
    p.segments.forEach((s, i) => {
      add(merged.segments[i], s);
    });
    add(merged.population, p.population);
    p.transitions.forEach((row, a) => {
      row.forEach((v, b) => {
        merged.transitions[a][b] += v;
      });
    });
  }
  return merged;
}

/** Wilson score interval for a proportion (z = 1.96 for 95 %). */
export function wilson(successes: number, n: number, z = 1.959964): [number, number] {
  if (n <= 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Newcombe's hybrid score interval (method 10) for the difference of two independent proportions
 * p1 − p2, built from the two Wilson intervals: unlike the normal approximation it stays inside
 * [−1, 1] and behaves with small holdouts and rates near 0.
 */
export function differenceInterval(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  z = 1.959964,
): [number, number] {
  const p1 = n1 ? x1 / n1 : 0;
  const p2 = n2 ? x2 / n2 : 0;
  const [l1, u1] = wilson(x1, n1, z);
  const [l2, u2] = wilson(x2, n2, z);
  const d = p1 - p2;
  const lower = d - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2);
  const upper = d + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2);
  return [lower, upper];
}

export interface LiftReadout {
  segmentId: string;
  name: string;
  treated: number;
  holdout: number;
  treatedRate: number;
  holdoutRate: number;
  /** treated rate − holdout rate (absolute, in rate points) */
  lift: number;
  ci: [number, number];
  /** treated rate / holdout rate − 1, null when the holdout rate is 0 */
  relativeLift: number | null;
  significant: boolean;
  /** outcome rate of all previous members of the segment (treated and holdout) */
  rate: number;
  orderValue: number;
  note: string;
}

/** Lift can be measured only when the group had both targeted and held-out members. */
function measurable(group: { treated: number; holdout: number }): boolean {
  return group.holdout > 0 && group.treated > 0;
}

export function liftReadout(
  counts: OutcomeCounts,
  segment: { id: string; name: string },
  outcome = 'purchase',
): LiftReadout {
  const treatedRate = counts.treated ? counts.treatedBuyers / counts.treated : 0;
  const holdoutRate = counts.holdout ? counts.holdoutBuyers / counts.holdout : 0;
  const ci = differenceInterval(counts.treatedBuyers, counts.treated, counts.holdoutBuyers, counts.holdout);
  const lift = treatedRate - holdoutRate;
  const significant = measurable(counts) && (ci[0] > 0 || ci[1] < 0);
  const members = counts.treated + counts.holdout;
  const buyers = counts.treatedBuyers + counts.holdoutBuyers;
  const note = !counts.holdout
    ? `no holdout members, so lift cannot be measured`
    : `${percent(treatedRate)} of ${counts.treated} targeted members made a ${outcome} against ${percent(holdoutRate)} of ${counts.holdout} held out: ${lift >= 0 ? '+' : ''}${(lift * 100).toFixed(1)} points (95 % CI ${(ci[0] * 100).toFixed(1)} to ${(ci[1] * 100).toFixed(1)})${significant ? '' : ', not distinguishable from no effect'}`;
  return {
    segmentId: segment.id,
    name: segment.name,
    treated: counts.treated,
    holdout: counts.holdout,
    treatedRate: round(treatedRate),
    holdoutRate: round(holdoutRate),
    lift: round(lift),
    ci: [round(ci[0]), round(ci[1])],
    relativeLift: holdoutRate > 0 ? round(treatedRate / holdoutRate - 1) : null,
    significant,
    rate: round(members ? buyers / members : 0),
    orderValue: round(counts.orders ? counts.revenue / counts.orders : 0),
    note,
  };
}

const round = (x: number): number => roundTo(x, 6);

export interface LiftSettings {
  /** adjusted Rand index with the previous run below which the run is flagged */
  minRunAgreement: number;
  /** what counts as the outcome, in words */
  outcome: string;
}

export interface LiftPhase {
  /** adjusted Rand index with the previous run on the customers both scored (rounded), when counted */
  agreement: number | null;
  runChecks: Check[];
  /** per previous segment, then everyone ('*') last; empty without counts */
  readouts: LiftReadout[];
  /** per previous segment: how it did in the window up to this run, against everyone */
  performance: SegmentPerformance[];
  /** per current segment: lift vs holdout of the previous segment it continues */
  checks: Check[][];
}

/**
 * Validate's lift phase, from the merged shard counts (absent on a first run, or when this run's data
 * does not go past the previous run's as-of time). `identities` are the current segments' matches.
 */
export function liftChecks(
  previous: DatasetState | undefined,
  lift: LiftCounts | undefined,
  identities: readonly SegmentIdentity[],
  run: { runId: string; asOf: string },
  settings: LiftSettings,
): LiftPhase {
  const out: LiftPhase = {
    agreement: null,
    runChecks: [],
    readouts: [],
    performance: [],
    checks: identities.map(() => []),
  };
  if (!previous || !lift) return out;
  const agreement = roundTo(adjustedRandFromTable(lift.transitions), 4);
  out.agreement = agreement;
  const shared = lift.transitions.reduce((t, row) => t + row.reduce((a, b) => a + b, 0), 0);
  out.runChecks.push({
    name: 'agreement with previous run',
    verdict: agreement >= settings.minRunAgreement ? 'pass' : 'warn',
    value: agreement,
    threshold: settings.minRunAgreement,
    reason: `adjusted Rand index ${agreement.toFixed(2)} on the ${shared} customers both runs scored${agreement >= settings.minRunAgreement ? '' : `: below ${settings.minRunAgreement}, the segmentation changed materially since run ${previous.runId}`}`,
  });
  const everyone = liftReadout(lift.population, { id: '*', name: 'everyone' }, settings.outcome);
  const currentByPrevious = new Map(identities.map((s, i) => [s.previousIndex, i]));
  let keptAll = 0;
  let sharedAll = 0;
  lift.transitions.forEach((row, a) => {
    const b = currentByPrevious.get(a);
    sharedAll += row.reduce((x, y) => x + y, 0);
    if (b !== undefined) keptAll += row[b];
  });
  previous.segments.forEach((prev, a) => {
    const read = liftReadout(lift.segments[a], { id: prev.id, name: prev.name }, settings.outcome);
    out.readouts.push(read);
    const row = lift.transitions[a];
    const total = row.reduce((x, y) => x + y, 0);
    const b = currentByPrevious.get(a);
    out.performance.push({
      runId: run.runId,
      asOf: run.asOf,
      segmentId: prev.id,
      rate: read.rate,
      populationRate: everyone.rate,
      lift: measurable(read) ? read.lift : null,
      populationLift: measurable(everyone) ? everyone.lift : null,
      orderValue: read.orderValue,
      populationOrderValue: everyone.orderValue,
      retention: total ? roundTo(b !== undefined ? row[b] / total : 0, 4) : null,
      populationRetention: sharedAll ? roundTo(keptAll / sharedAll, 4) : null,
    });
    if (b !== undefined)
      out.checks[b].push({
        name: 'lift vs holdout',
        verdict: read.holdout === 0 ? 'warn' : read.significant && read.lift < 0 ? 'warn' : 'pass',
        value: read.lift,
        threshold: 0,
        reason: read.note,
      });
  });
  out.readouts.push(everyone);
  return out;
}
