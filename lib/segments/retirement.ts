// Decay and retirement: each run records how every segment performed against the whole population
// (outcome rate, lift over its holdout, order value, membership retention). A segment that does no
// better than broad targeting for the configured number of consecutive runs is recommended for
// retirement, with the figures that say so.
import { type Check, percent } from './checks.js';

export interface SegmentPerformance {
  runId: string;
  asOf: string;
  segmentId: string;
  /** outcome rate of the segment's previous members in the window */
  rate: number;
  populationRate: number;
  /** treated − holdout outcome rate; null when not measurable */
  lift: number | null;
  populationLift: number | null;
  orderValue: number;
  populationOrderValue: number;
  /** share of the previous members still in the segment */
  retention: number | null;
  populationRetention: number | null;
}

export interface RetirementAdvice {
  segmentId: string;
  recommend: boolean;
  /** consecutive latest runs in which the segment did no better than broad targeting */
  underperformingRuns: number;
  evidence: string[];
  reason: string;
}

/**
 * Broad targeting means treating everyone: its per-customer effect is the population's lift. A
 * segment earns its place when its lift beats that; where lift cannot be measured (no holdout), its
 * outcome rate must beat the population's.
 */
export function underperforms(p: SegmentPerformance): boolean {
  if (p.lift !== null && p.populationLift !== null) return p.lift <= p.populationLift;
  return p.rate <= p.populationRate;
}

export function retirementAdvice(
  history: readonly SegmentPerformance[],
  settings: { runs: number },
): RetirementAdvice[] {
  const bySegment = new Map<string, SegmentPerformance[]>();
  for (const p of history) {
    const list = bySegment.get(p.segmentId) ?? [];
    list.push(p);
    bySegment.set(p.segmentId, list);
  }
  const out: RetirementAdvice[] = [];
  for (const [segmentId, list] of bySegment) {
    list.sort((a, b) => (a.asOf < b.asOf ? -1 : a.asOf > b.asOf ? 1 : 0));
    let streak = 0;
    for (let i = list.length - 1; i >= 0 && underperforms(list[i]); i--) streak++;
    const evidence = list.slice(-Math.max(streak, 1)).map((p) => {
      const lift =
        p.lift !== null && p.populationLift !== null
          ? `lift ${signed(p.lift)} vs ${signed(p.populationLift)} for everyone`
          : 'lift not measurable';
      return `${p.asOf.slice(0, 10)} (${p.runId}): outcome rate ${percent(p.rate)} vs ${percent(p.populationRate)} for everyone, ${lift}, order value ${p.orderValue.toFixed(2)} vs ${p.populationOrderValue.toFixed(2)}`;
    });
    const recommend = streak >= settings.runs;
    out.push({
      segmentId,
      recommend,
      underperformingRuns: streak,
      evidence,
      reason: recommend
        ? `did no better than targeting everyone for ${streak} consecutive runs (limit ${settings.runs}): retire it or rework its definition`
        : streak
          ? `did no better than targeting everyone in the last ${streak} run(s); retirement is recommended after ${settings.runs}`
          : 'outperforms targeting everyone',
    });
  }
  return out.sort((a, b) => (a.segmentId < b.segmentId ? -1 : 1));
}

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} pts`;

/**
 * Validate's retirement phase: advice for every segment in the performance history (earlier runs'
 * and this run's), and for each current segment (by id) the check that carries its advice.
 */
export function retirementChecks(
  history: readonly SegmentPerformance[],
  segmentIds: readonly string[],
  settings: { runs: number },
): { advice: RetirementAdvice[]; checks: Check[][] } {
  const advice = retirementAdvice(history, settings);
  const checks: Check[][] = segmentIds.map(() => []);
  for (const a of advice) {
    const i = segmentIds.indexOf(a.segmentId);
    if (i < 0) continue;
    checks[i].push({
      name: 'performance vs broad targeting',
      verdict: a.recommend ? 'warn' : 'pass',
      value: a.underperformingRuns,
      threshold: settings.runs,
      reason: a.recommend ? `recommended for retirement: ${a.reason}. ${a.evidence.join('; ')}` : a.reason,
    });
  }
  return { advice, checks };
}
