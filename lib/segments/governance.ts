// Governance: segment names and descriptions must not imply sensitive categories (ad platforms reject
// such audiences and privacy law restricts them), segments must not depart from the population on
// audit-only attributes beyond the four-fifths rule, and every segment ships with a segment card.
import type { Check } from './validate.js';

/** Words that imply a special or sensitive category (health, finances, beliefs, identity, …). */
export const SENSITIVE_TERMS: readonly string[] = [
  'health',
  'medical',
  'illness',
  'disease',
  'diabet',
  'pregnan',
  'fertility',
  'disabilit',
  'mental',
  'depress',
  'anxiety',
  'cancer',
  'pharma',
  'prescription',
  'addict',
  'debt',
  'loan',
  'credit score',
  'bankrupt',
  'income',
  'poor',
  'wealthy',
  'financial hardship',
  'religio',
  'christian',
  'muslim',
  'jewish',
  'hindu',
  'ethnic',
  'racial',
  'sexual',
  'gay',
  'lesbian',
  'transgender',
  'political',
  'union member',
  'criminal',
  'immigra',
];

export function sensitiveTermsIn(text: string, extra: readonly string[] = []): string[] {
  const lower = text.toLowerCase();
  return [...SENSITIVE_TERMS, ...extra.map((t) => t.toLowerCase())].filter((t) =>
    new RegExp(`\\b${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).test(lower),
  );
}

export function sensitiveCategoryCheck(
  name: string,
  description: string,
  extraTerms: readonly string[] = [],
): Check {
  const found = [...new Set(sensitiveTermsIn(`${name} ${description}`, extraTerms))];
  return {
    name: 'sensitive categories',
    verdict: found.length ? 'fail' : 'pass',
    value: found.length ? found.join(', ') : 'none',
    threshold: 'none',
    reason: found.length
      ? `the name or description suggests a sensitive category (${found.join(', ')}); ad platforms reject such audiences: rename the segment`
      : 'name and description imply no sensitive category',
  };
}

export interface RepresentationFinding {
  attribute: string;
  value: string;
  /** share of the group's members who are in the segment, over the highest such share of any group */
  ratio: number;
}

/**
 * Four-fifths rule on audit-only attributes: for each group (attribute value) the selection rate is
 * the share of the group that the segment holds; a group whose rate is below 80 % of the best
 * group's rate (or whose rate is more than 1.25× the lowest, the mirror case) is flagged.
 * Groups with fewer than `minGroup` people in the population are too small to judge.
 */
export function representationCheck(
  segment: Record<string, Record<string, number>>,
  population: Record<string, Record<string, number>>,
  options: { ratio?: number; minGroup?: number } = {},
): { check: Check; findings: RepresentationFinding[] } {
  const limit = options.ratio ?? 0.8;
  const minGroup = options.minGroup ?? 30;
  const findings: RepresentationFinding[] = [];
  let worst = 1;
  for (const [attribute, groups] of Object.entries(population)) {
    const rates = Object.entries(groups)
      .filter(([, n]) => n >= minGroup)
      .map(([value, n]) => ({ value, rate: (segment[attribute]?.[value] ?? 0) / n }));
    const best = Math.max(0, ...rates.map((r) => r.rate));
    if (!(best > 0)) continue;
    for (const r of rates) {
      const ratio = r.rate / best;
      worst = Math.min(worst, ratio);
      if (ratio < limit) findings.push({ attribute, value: r.value, ratio: Math.round(ratio * 1e4) / 1e4 });
    }
  }
  return {
    findings,
    check: {
      name: 'representation',
      verdict: findings.length ? 'warn' : 'pass',
      value: Math.round(worst * 1e4) / 1e4,
      threshold: limit,
      reason: findings.length
        ? `selects ${findings.map((f) => `${f.attribute}=${f.value} at ${(f.ratio * 100).toFixed(0)} %`).join(', ')} of the rate of the most-selected group (four-fifths rule): review before use`
        : `every audited group is selected at least ${(limit * 100).toFixed(0)} % as often as the most-selected one`,
    },
  };
}

export interface SegmentCard {
  id: string;
  name: string;
  description: string;
  /** how membership is decided, in words */
  definition: string;
  /** the features that shape the segment, strongest first, with the segment's standardised centre */
  features: { feature: string; z: number }[];
  refreshCadence: string;
  intendedUse: string;
  owner: string;
  holdoutShare: number;
  firstRunId: string;
  runId: string;
  status: string;
}

export function segmentCard(
  segment: {
    id: string;
    name: string;
    description: string;
    z: Record<string, number>;
    status: string;
    firstRunId?: string;
  },
  context: {
    runId: string;
    k: number;
    features: readonly string[];
    governance: { owner: string; intendedUse: string; refreshCadence: string };
    holdoutShare: number;
  },
): SegmentCard {
  const features = Object.entries(segment.z)
    .map(([feature, z]) => ({ feature, z: Math.round(z * 100) / 100 }))
    .sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
  return {
    id: segment.id,
    name: segment.name,
    description: segment.description,
    definition: `Customers whose behaviour (${context.features.join(', ')}, standardised) is closest to this segment's centre among ${context.k} k-means segments; strongest traits: ${features
      .slice(0, 3)
      .map((f) => `${f.feature} ${f.z >= 0 ? '+' : ''}${f.z.toFixed(1)} sd`)
      .join(', ')}.`,
    features,
    refreshCadence: context.governance.refreshCadence,
    intendedUse: context.governance.intendedUse,
    owner: context.governance.owner,
    holdoutShare: context.holdoutShare,
    firstRunId: segment.firstRunId ?? context.runId,
    runId: context.runId,
    status: segment.status,
  };
}
