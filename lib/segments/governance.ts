// Governance: segment names and descriptions must not imply sensitive categories (ad platforms reject
// such audiences and privacy law restricts them), segments must not depart from the population on
// audit-only attributes beyond the four-fifths rule, each destination must be able to reach enough of
// a segment (actionability), and every segment ships with a segment card.
import { normaliseEmail, normalisePhoneE164 } from '../publish/identity.js';
import type { Columns } from '../storage/columnar.js';
import { type Check, percent, roundTo } from './checks.js';

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
      if (ratio < limit) findings.push({ attribute, value: r.value, ratio: roundTo(ratio, 4) });
    }
  }
  return {
    findings,
    check: {
      name: 'representation',
      verdict: findings.length ? 'warn' : 'pass',
      value: roundTo(worst, 4),
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

/** Members of a segment, and those with a consented identifier an ad platform can match. */
export interface Reach {
  members: number;
  reachable: number;
}

/** Members of a segment by audit-only attribute and value (attribute → value → members). */
export type AuditMakeup = Record<string, Record<string, number>>;

/**
 * Customers an ad platform can reach, from a shard's identity parts: an email or phone that survives
 * the normalisation the push hashes with, and no refusal of ad consent.
 */
export function reachableCustomers(identities: readonly Columns[]): Set<string> {
  const reachable = new Set<string>();
  const refused = new Set<string>();
  for (const part of identities) {
    const ids = part.customerId as string[];
    const consent = part.consentAds as Uint8Array | undefined;
    for (let i = 0; i < ids.length; i++) {
      if (consent && consent[i] === 0) refused.add(ids[i]);
      // the same normalisation the push hashes, without the hashing: an identifier a platform can match
      const email = (part.email as string[] | undefined)?.[i] ?? '';
      const phone = (part.phone as string[] | undefined)?.[i] ?? '';
      const country = (part.country as string[] | undefined)?.[i] ?? '';
      if ((email && normaliseEmail(email)) || (phone && normalisePhoneE164(phone, country || undefined)))
        reachable.add(ids[i]);
    }
  }
  for (const id of refused) reachable.delete(id);
  return reachable;
}

/** Per segment: members and reachable members of one shard, from its labels. */
export function countReach(
  customerId: readonly string[],
  labels: Int32Array,
  k: number,
  reachable: ReadonlySet<string>,
): Reach[] {
  const reach = Array.from({ length: k }, () => ({ members: 0, reachable: 0 }));
  for (let i = 0; i < labels.length; i++) {
    reach[labels[i]].members++;
    if (reachable.has(customerId[i])) reach[labels[i]].reachable++;
  }
  return reach;
}

/** Per segment: the audit-only make-up of one shard's members; null when the shard has no audit parts. */
export function countAudit(
  audit: readonly Columns[],
  customerId: readonly string[],
  labels: Int32Array,
  k: number,
): AuditMakeup[] | null {
  if (!audit.length) return null;
  const row = new Map(customerId.map((id, i) => [id, i]));
  const out: AuditMakeup[] = Array.from({ length: k }, () => ({}));
  for (const part of audit) {
    const ids = part.customerId as string[];
    for (const [attribute, column] of Object.entries(part)) {
      if (attribute === 'customerId' || !Array.isArray(column)) continue;
      for (let i = 0; i < ids.length; i++) {
        const r = row.get(ids[i]);
        if (r === undefined || !column[i]) continue;
        const bySegment = out[labels[r]];
        bySegment[attribute] ??= {};
        bySegment[attribute][column[i]] = (bySegment[attribute][column[i]] ?? 0) + 1;
      }
    }
  }
  return out;
}

/** The shards' reach summed per segment (entries beyond `k` are ignored). */
export function mergeReach(shards: readonly (readonly Reach[])[], k: number): Reach[] {
  const reach = Array.from({ length: k }, () => ({ members: 0, reachable: 0 }));
  for (const shard of shards)
    shard.forEach((r, i) => {
      if (!reach[i]) return;
      reach[i].members += r.members;
      reach[i].reachable += r.reachable;
    });
  return reach;
}

/** The shards' audit make-up summed per segment; null when no shard had audit-only attributes. */
export function mergeAudit(
  shards: readonly (readonly AuditMakeup[] | null)[],
  k: number,
): AuditMakeup[] | null {
  if (!shards.some((s) => s)) return null;
  return Array.from({ length: k }, (_, i) => {
    const out: AuditMakeup = {};
    for (const shard of shards) addMakeup(out, shard?.[i] ?? {});
    return out;
  });
}

function addMakeup(into: AuditMakeup, from: AuditMakeup): void {
  for (const [attr, groups] of Object.entries(from))
    for (const [value, n] of Object.entries(groups)) {
      into[attr] ??= {};
      into[attr][value] = (into[attr][value] ?? 0) + n;
    }
}

/** Whether a destination receives a segment: it lists `*`, the segment's id or its name. */
export function destinationTakes(
  destination: { segments: readonly string[] },
  segment: { id: string; name: string },
): boolean {
  return (
    destination.segments.includes('*') ||
    destination.segments.includes(segment.id) ||
    destination.segments.includes(segment.name)
  );
}

export interface GovernanceSettings {
  /** share of a segment's members a destination must be able to reach */
  minReachableShare: number;
  /** the dataset's own sensitive terms, on top of SENSITIVE_TERMS */
  sensitiveTerms: readonly string[];
  /** four-fifths rule threshold for audit-only attributes */
  representationRatio: number;
}

/**
 * Validate's governance phase, per segment: reachability for each destination that takes it, then
 * the sensitive-category check of its name and description, then (with audit-only attributes) the
 * four-fifths representation check against the population of all segments.
 */
export function governanceChecks(
  segments: readonly { id: string; name: string; description: string }[],
  reach: readonly Reach[],
  audit: readonly AuditMakeup[] | null,
  destinations: Readonly<Record<string, { segments: readonly string[] }>>,
  settings: GovernanceSettings,
): Check[][] {
  const checks: Check[][] = segments.map(() => []);
  const hasIdentities = reach.some((r) => r.reachable > 0);
  for (const [name, destination] of Object.entries(destinations)) {
    segments.forEach((s, i) => {
      if (!destinationTakes(destination, s)) return;
      const share = reach[i].members ? reach[i].reachable / reach[i].members : 0;
      const ok = share >= settings.minReachableShare;
      checks[i].push({
        name: `reachability (${name})`,
        verdict: ok ? 'pass' : 'warn',
        value: roundTo(share, 4),
        threshold: settings.minReachableShare,
        reason: hasIdentities
          ? `${reach[i].reachable} of ${reach[i].members} members (${percent(share)}) have a consented email or phone ${name} can match${ok ? '' : `; below ${percent(settings.minReachableShare)}, the audience will be thin`}`
          : `no customer file with emails or phones was dropped, so ${name} can reach no one: add a customers export`,
      });
    });
  }
  const population: AuditMakeup = {};
  for (const segment of audit ?? []) addMakeup(population, segment);
  segments.forEach((s, i) => {
    checks[i].push(sensitiveCategoryCheck(s.name, s.description, settings.sensitiveTerms));
    if (audit)
      checks[i].push(
        representationCheck(audit[i], population, { ratio: settings.representationRatio }).check,
      );
  });
  return checks;
}
