// Turns a run summary into the report model and renders the self-contained report.html.
import type { RunSummary } from '../pipeline/summary.js';
import { renderReport } from './html.js';
import type { ConfigValue, FeatureUnit, ReportModel, ValidationCheck, ValueFormat } from './model.js';

const UNIT: Record<string, FeatureUnit> = {
  days: 'days',
  orders: 'count',
  count: 'count',
  currency: 'currency',
  share: 'share',
};

/** How the report names each destination type (the config says `type: 'meta'` and so on). */
const DESTINATION_KIND: Record<string, string> = {
  file: 'Hashed CSV file',
  meta: 'Meta Custom Audiences',
  google: 'Google Ads Customer Match',
  tiktok: 'TikTok audience',
  linkedin: 'LinkedIn Matched Audience',
  webhook: 'Webhook',
};

/** Dictionary labels are lower case to sit inside sentences; as chart and table labels they lead. */
const lead = (label: string): string => label.charAt(0).toUpperCase() + label.slice(1);

const CHECK_FORMAT: Record<string, ValueFormat> = {
  'minimum size': 'count',
  'minimum share': 'percent',
};

export function reportModel(summary: RunSummary): ReportModel {
  const labels = new Map(summary.featureDictionary.map((f) => [f.name, lead(f.label)]));
  const profiled = summary.featureDictionary
    .map((f) => f.name)
    .filter((n) => n in summary.validation.population);
  const reasons = new Map<string, number>();
  for (const f of summary.files)
    for (const [code, n] of Object.entries(f.rejectedByCode)) reasons.set(code, (reasons.get(code) ?? 0) + n);
  return {
    dataset: summary.dataset,
    runId: summary.runId,
    asOf: summary.asOf ?? '',
    currency: summary.config.currency,
    customers: summary.customers,
    ingest: {
      rowsRead: summary.rows.read,
      rowsAccepted: summary.rows.accepted,
      rowsRejected: summary.rows.rejected,
      files: summary.files.length,
      rejectionReasons: [...reasons].sort((a, b) => b[1] - a[1]).map(([reason, rows]) => ({ reason, rows })),
    },
    segments: summary.segments.map((s) => ({
      id: s.id,
      name: s.name,
      description: s.description,
      size: s.size,
      holdoutShare: summary.config.segments.holdoutShare,
      profile: profiled.map((f) => ({
        feature: labels.get(f) ?? f,
        segmentValue: s.profile[f] ?? 0,
        populationValue: summary.validation.population[f] ?? 0,
      })),
      validation: s.checks.map(
        (c): ValidationCheck => ({
          check: lead(c.name),
          verdict: c.verdict,
          value: typeof c.value === 'number' ? c.value : c.verdict === 'pass' ? 1 : 0,
          ...(typeof c.threshold === 'number' ? { threshold: c.threshold } : {}),
          format: CHECK_FORMAT[c.name] ?? 'count',
          note: c.reason,
        }),
      ),
      destinations: summary.audiences
        .filter((a) => a.segment === s.id)
        .map((a) => ({
          name: a.destination,
          kind: DESTINATION_KIND[summary.config.destinations[a.destination]?.type ?? 'file'] ?? 'file',
          status: 'published' as const,
          members: a.members,
        })),
    })),
    features: summary.featureDictionary.map((f) => ({
      name: f.name,
      label: lead(f.label),
      description: f.definition,
      unit: UNIT[f.unit] ?? 'number',
      ...(f.windowDays ? { windowDays: f.windowDays } : {}),
    })),
    config: summary.config as unknown as ConfigValue,
  };
}

export function renderRunReport(summary: RunSummary): string {
  return renderReport(reportModel(summary));
}
