// Names and one-sentence descriptions from what distinguishes each segment, in plain words with
// real units. Deterministic: the same profile always gives the same words. Also Validate's first
// phase: the model's segments, named and described, with the gates on size, share and description.
import type { SegmentationModel } from '../models/segmentation.js';
import { type Check, minimumSizeCheck, percent, roundTo, type Segment, statusOf } from './checks.js';
import { meansOf, type ProfileAggregate } from './profile.js';

export interface SegmentProfile {
  /** mean raw feature values of the segment */
  means: Record<string, number>;
  /** centroid in standardised units (0 = population average) */
  z: Record<string, number>;
}

type Rule = {
  name: string;
  when: (z: Record<string, number>, means: Record<string, number>) => boolean;
};

// First match wins, so specific rules come before general ones: a lapsed group that bought rarely
// but big, about a year ago, is a once-a-year (often seasonal) buyer, not just "lapsed".
const NAME_RULES: Rule[] = [
  {
    name: 'Once-a-year big-basket buyers',
    when: (z, m) =>
      (z.recencyDays ?? 0) > 0.5 &&
      (z.frequency ?? 0) < -0.3 &&
      (z.avgOrderValue ?? 0) > 0.3 &&
      (m.recencyDays ?? 0) >= 270 &&
      (m.recencyDays ?? 0) <= 430,
  },
  { name: 'Lapsed regulars', when: (z) => (z.recencyDays ?? 0) > 0.8 && (z.frequency ?? 0) > 0.3 },
  {
    name: 'Lapsed big-basket buyers',
    when: (z) => (z.recencyDays ?? 0) > 0.8 && (z.frequency ?? 0) < -0.3 && (z.avgOrderValue ?? 0) > 0.3,
  },
  { name: 'Lapsed customers', when: (z) => (z.recencyDays ?? 0) > 0.8 },
  { name: 'New customers', when: (z) => (z.tenureDays ?? 0) < -0.8 && (z.recencyDays ?? 0) < 0 },
  { name: 'Deal seekers', when: (z) => (z.discountShare ?? 0) > 0.8 },
  { name: 'Loyal high spenders', when: (z) => (z.frequency ?? 0) > 0.6 && (z.monetary ?? 0) > 0.6 },
  {
    name: 'Occasional big-basket buyers',
    when: (z) => (z.frequency ?? 0) < -0.4 && (z.avgOrderValue ?? 0) > 0.3,
  },
  { name: 'Frequent buyers', when: (z) => (z.frequency ?? 0) > 0.5 },
  { name: 'High spenders', when: (z) => (z.monetary ?? 0) > 0.5 },
  { name: 'Frequent returners', when: (z) => (z.returnRate ?? 0) > 0.8 },
  { name: 'One-off buyers', when: (z) => (z.frequency ?? 0) < -0.5 },
  { name: 'Recent low spenders', when: (z) => (z.recencyDays ?? 0) < -0.3 && (z.monetary ?? 0) < 0 },
];

const QUALIFIERS: { feature: string; high: string; low: string }[] = [
  { feature: 'monetary', high: 'higher spend', low: 'lower spend' },
  { feature: 'frequency', high: 'more orders', low: 'fewer orders' },
  { feature: 'recencyDays', high: 'less recent', low: 'more recent' },
  { feature: 'avgOrderValue', high: 'bigger baskets', low: 'smaller baskets' },
  { feature: 'tenureDays', high: 'longer tenure', low: 'shorter tenure' },
  { feature: 'discountShare', high: 'more discounts', low: 'fewer discounts' },
];

/** One name per segment; when two segments earn the same name, each gets its strongest qualifier. */
export function nameSegments(profiles: readonly SegmentProfile[]): string[] {
  const base = profiles.map(
    (p) => NAME_RULES.find((r) => r.when(p.z, p.means ?? {}))?.name ?? 'Steady customers',
  );
  const names = [...base];
  for (let i = 0; i < profiles.length; i++) {
    const clashes = base.map((b, j) => (b === base[i] ? j : -1)).filter((j) => j >= 0);
    if (clashes.length < 2) continue;
    const used = new Set<string>();
    for (const j of clashes) {
      const ranked = QUALIFIERS.filter((q) => profiles[j].z[q.feature] !== undefined)
        .map((q) => ({
          q,
          v: profiles[j].z[q.feature] - mean(clashes.map((c) => profiles[c].z[q.feature] ?? 0)),
        }))
        .sort((a, b) => Math.abs(b.v) - Math.abs(a.v));
      const pick =
        ranked.map((r) => (r.v >= 0 ? r.q.high : r.q.low)).find((w) => !used.has(w)) ?? `group ${j + 1}`;
      used.add(pick);
      names[j] = `${base[j]} (${pick})`;
    }
  }
  // last resort, so names stay unique even when qualifiers tie: number the repeats in order
  const seen = new Map<string, number>();
  return names.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name} ${n}`;
  });
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);

function formatNumber(x: number): string {
  return x >= 10 ? Math.round(x).toString() : x.toFixed(1);
}

function days(x: number): string {
  const d = Math.round(x);
  return d === 1 ? '1 day' : `${d} days`;
}

/**
 * A segment's mean against the population's (their ratio `r`) in words: "N×" from 1.95, "N% more" from
 * 1.1, "N% less" at 0.9 or below, otherwise about the same (also when there is no population mean).
 */
function compared(
  r: number,
  say: {
    times: (x: string) => string;
    more: (p: number) => string;
    less: (p: number) => string;
    same: string;
  },
): string {
  if (r >= 1.95) return say.times(formatNumber(r));
  if (r >= 1.1) return say.more(Math.round((r - 1) * 100));
  if (r <= 0.9) return say.less(Math.round((1 - r) * 100));
  return say.same;
}

/**
 * A one-sentence description, e.g. "Ordered 3.1× as often as average, spent 40% more per order,
 * last ordered 9 days ago on average."
 */
export function describeSegment(profile: SegmentProfile, population: Record<string, number>): string {
  const parts: { weight: number; text: string }[] = [];
  const ratio = (f: string): number => (population[f] ? profile.means[f] / population[f] : Number.NaN);
  const z = profile.z;
  if (profile.means.frequency !== undefined) {
    const text = compared(ratio('frequency'), {
      times: (x) => `ordered ${x}× as often as average`,
      more: (p) => `ordered ${p}% more often than average`,
      less: (p) =>
        `ordered ${p}% less often than average (${formatNumber(profile.means.frequency)} orders each)`,
      same: `ordered about as often as average`,
    });
    parts.push({ weight: Math.abs(z.frequency ?? 0), text });
  }
  if (profile.means.avgOrderValue !== undefined) {
    const text = compared(ratio('avgOrderValue'), {
      times: (x) => `spent ${x}× as much per order`,
      more: (p) => `spent ${p}% more per order`,
      less: (p) => `spent ${p}% less per order`,
      same: 'spent about the average per order',
    });
    parts.push({ weight: Math.abs(z.avgOrderValue ?? 0), text });
  }
  if (profile.means.discountShare !== undefined) {
    parts.push({
      weight: Math.abs(z.discountShare ?? 0),
      text: `used a discount on ${Math.round(profile.means.discountShare * 100)}% of orders`,
    });
  }
  if (profile.means.tenureDays !== undefined && (z.tenureDays ?? 0) < -0.8) {
    parts.push({
      weight: Math.abs(z.tenureDays),
      text: `first ordered ${days(profile.means.tenureDays)} ago on average`,
    });
  }
  if (profile.means.returnRate !== undefined) {
    parts.push({
      weight: Math.abs(z.returnRate ?? 0),
      text: `returned ${Math.round(profile.means.returnRate * 100)}% of lines`,
    });
  }
  const chosen = parts
    .map((p, i) => ({ ...p, i }))
    .sort((a, b) => b.weight - a.weight || a.i - b.i)
    .slice(0, 2)
    .sort((a, b) => a.i - b.i)
    .map((p) => p.text);
  if (profile.means.recencyDays !== undefined)
    chosen.push(`last ordered ${days(profile.means.recencyDays)} ago on average`);
  const sentence = chosen.join(', ');
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}

export interface DescriptionSettings {
  minSize: number;
  minShare: number;
  kMax: number;
}

/**
 * Validate's descriptions phase: turns the merged profiles into named, described segments and checks
 * that each earns its place (size, share, a description) and that the run has at most `kMax` of them.
 * Failing segments are kept for analysis but not published, with the reason in words.
 */
export function describeSegments(
  model: SegmentationModel,
  profiles: ProfileAggregate,
  settings: DescriptionSettings,
): { segments: Segment[]; population: Record<string, number>; checks: Check[] } {
  const population = meansOf(profiles.population);
  const d = model.features.length;
  const raw = profiles.segments.map((agg, index) => {
    const z: Record<string, number> = {};
    for (let j = 0; j < d; j++) z[model.features[j]] = model.centroids[index * d + j];
    return { means: meansOf(agg), z, size: agg.size };
  });
  const names = nameSegments(raw);
  const total = profiles.population.size;
  const segments = raw.map((r, index): Segment => {
    const description = r.size ? describeSegment(r, population) : '';
    const share = total ? r.size / total : 0;
    const checks: Check[] = [
      minimumSizeCheck(r.size, settings.minSize, {
        pass: `${r.size} customers, at least ${settings.minSize} needed`,
        fail: `only ${r.size} customers; audiences this small are rejected by ad platforms and cannot show lift`,
      }),
      {
        name: 'minimum share',
        verdict: share >= settings.minShare ? 'pass' : 'fail',
        value: roundTo(share, 4),
        threshold: settings.minShare,
        reason: `${percent(share)} of customers (at least ${percent(settings.minShare)} needed)`,
      },
      {
        name: 'description',
        verdict: description ? 'pass' : 'fail',
        value: description ? 'present' : 'missing',
        threshold: 'present',
        reason: description
          ? 'has a one-sentence description'
          : 'no description could be written for an empty segment',
      },
    ];
    return {
      id: `seg-${index + 1}`,
      index,
      name: names[index],
      description,
      size: r.size,
      share: roundTo(share, 6),
      status: statusOf(checks),
      checks,
      means: mapValues(r.means, (v) => roundTo(v, 4)),
      z: mapValues(r.z, (v) => roundTo(v, 4)),
    };
  });
  const runChecks: Check[] = [
    {
      name: 'number of segments',
      verdict: model.k <= settings.kMax ? 'pass' : 'fail',
      value: model.k,
      threshold: settings.kMax,
      reason: `${model.k} segments (${model.choice.reason})`,
    },
  ];
  return { segments, population: mapValues(population, (v) => roundTo(v, 4)), checks: runChecks };
}

function mapValues(o: Record<string, number>, fn: (v: number) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fn(v)]));
}
