// Turns a run summary into the report's view model and renders the self-contained report.html. The
// report (lib/report) owns its view model and knows nothing of the pipeline; this is the one place
// that reads the run summary for it.
import { renderReport } from '../report/html.js';
import type {
  ClvSummary,
  ConfigValue,
  FeatureUnit,
  LookalikeSummary,
  PropensitySummary,
  ReportModel,
  RunHistory,
  ValidationCheck,
  ValueFormat,
} from '../report/model.js';
import type { RunSummary } from './summary.js';

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
  stability: 'decimal',
  silhouette: 'decimal',
  'Davies–Bouldin': 'decimal',
  'agreement with previous run': 'decimal',
  separability: 'decimal',
  'size drift': 'percent',
  'centroid drift': 'decimal',
  'lift vs holdout': 'percent',
  'performance vs broad targeting': 'count',
  representation: 'percent',
};

/** Check format by name prefix, for checks whose name carries a destination. */
function checkFormat(name: string): ValueFormat {
  if (name.startsWith('reachability')) return 'percent';
  return CHECK_FORMAT[name] ?? 'count';
}

function toReportCheck(c: RunSummary['validation']['checks'][number]): ValidationCheck {
  return {
    check: lead(c.name),
    verdict: c.verdict,
    value: typeof c.value === 'number' ? c.value : c.verdict === 'pass' ? 1 : 0,
    ...(typeof c.threshold === 'number' ? { threshold: c.threshold } : {}),
    format: checkFormat(c.name),
    note: c.reason,
  };
}

/** Earlier runs from the validation history (the current run is the last entry and is left out). */
function runHistory(summary: RunSummary): RunHistory | undefined {
  const entries = summary.history ?? [];
  const past = entries.filter((h) => h.runId !== summary.runId);
  if (!past.length) return undefined;
  const current = entries.find((h) => h.runId === summary.runId);
  const retired = summary.retired ?? [];
  const read = (summary.lift ?? []).filter((l) => l.segmentId !== '*');
  const notes = [
    'Stability: adjusted Rand index between this run and the previous one, on the customers both scored.',
    ...(retired.length
      ? [`Retired this run: ${retired.map((r) => `${r.name} (${r.id}): ${r.reason}`).join('; ')}.`]
      : []),
    ...(read.length
      ? [`Lift on the previous run's holdouts: ${read.map((l) => `${l.name}: ${l.note}`).join('; ')}.`]
      : []),
    ...(summary.retirement ?? [])
      .filter((a) => a.recommend)
      .map((a) => `Recommended for retirement: ${a.segmentId}: ${a.reason}.`),
  ];
  return {
    pastRuns: past.map((h) => ({
      runId: h.runId,
      asOf: h.asOf,
      customers: h.customers,
      ...(h.agreement === null ? {} : { stability: Math.max(0, Math.min(1, h.agreement)) }),
      segmentSizes: Object.fromEntries(h.segments.map((s) => [s.id, s.size])),
    })),
    ...(current?.agreement === null || current?.agreement === undefined
      ? {}
      : { currentStability: Math.max(0, Math.min(1, current.agreement)) }),
    stabilityMeasure: notes.join(' '),
  };
}

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
    runChecks: summary.validation.checks.map(toReportCheck),
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
      validation: s.checks.map(toReportCheck),
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
      description: dictionaryText(f, summary),
      unit: UNIT[f.unit] ?? 'number',
      ...(f.windowDays ? { windowDays: f.windowDays } : {}),
    })),
    ...(summary.rfm ? { rfm: rfmCrossTab(summary) } : {}),
    config: summary.config as unknown as ConfigValue,
    ...(runHistory(summary) ? { history: runHistory(summary) } : {}),
    ...predictiveSections(summary),
  };
}

/** The dictionary entry in words: definition, source columns, and its part in the segmentation. */
function dictionaryText(f: RunSummary['featureDictionary'][number], summary: RunSummary): string {
  const clusters = summary.models.clusters;
  const dropped = clusters.dropped.find((x) => x.feature === f.name);
  const role = clusters.features.includes(f.name)
    ? 'Shapes the segments.'
    : dropped
      ? `Not used to form segments (${dropped.reason}); describes them.`
      : 'Describes segments only.';
  const sources = f.sources?.length ? ` Source columns: ${f.sources.join(', ')}.` : '';
  return `${f.definition}${sources} ${role}`;
}

/** RFM groups that hold anyone, against the segments the report shows (by model position). */
function rfmCrossTab(summary: RunSummary): NonNullable<ReportModel['rfm']> {
  const rfm = summary.rfm!;
  const used = rfm.groups.map((_, g) => rfm.counts.some((row) => (row[g] ?? 0) > 0));
  return {
    groups: rfm.groups.filter((_, g) => used[g]),
    rows: summary.segments.map((s, i) => ({
      segmentId: s.id,
      counts: (rfm.counts[Number(s.id.replace(/^seg-/, '')) - 1] ?? rfm.counts[i] ?? []).filter(
        (_, g) => used[g],
      ),
    })),
  };
}

/** The first fitted propensity model's validation (lift and calibration charts) and the CLV distribution. */
function predictiveSections(summary: RunSummary): Pick<ReportModel, 'propensity' | 'clv' | 'lookalike'> {
  const out: Pick<ReportModel, 'propensity' | 'clv' | 'lookalike'> = {};
  const p = summary.models.propensity?.find((m) => m.status === 'fitted' && m.validation);
  if (p?.validation) {
    const v = p.validation;
    out.propensity = {
      target: p.description,
      baseRate: v.baseRate,
      ...(Number.isFinite(v.auc) ? { auc: v.auc } : {}),
      deciles: v.deciles,
      calibration: v.calibration,
      ...(p.notes?.length ? { notes: p.notes } : {}),
      ...(p.dropped.length ? { dropped: p.dropped } : {}),
    } satisfies PropensitySummary;
  }
  const l = summary.models.lookalike;
  if (l) {
    const group = summary.groups?.find((g) => g.id === 'lookalike-top');
    const h = l.heldOutSeeds;
    out.lookalike = {
      seedsGiven: l.seeds.total,
      seedsMatched: l.seeds.matched,
      topPercent: l.topPercent,
      ...(l.status === 'fitted' && group ? { audienceSize: group.size } : {}),
      ...(l.reason ? { reason: l.reason } : {}),
      ...(h ? { heldOutSeeds: l.seeds.heldOut, recallAtTop: h.shareInAudience } : {}),
      ...(h?.recall ? { recall: h.recall } : {}),
    } satisfies LookalikeSummary;
  }
  const c = summary.models.clv;
  const d = summary.clvDistribution;
  if (c?.status === 'fitted' && d && d.sample.length > 0) {
    const sorted = d.sample;
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
    // ten equal-width bins up to the 95th percentile, the last open-ended, scaled from the sample
    const top = at(0.95) > 0 ? at(0.95) : (sorted[sorted.length - 1] ?? 1) || 1;
    const width = top / 9;
    const counts = new Array<number>(10).fill(0);
    for (const v of sorted) counts[Math.min(9, Math.max(0, Math.floor(v / width)))]++;
    const scale = d.customers / sorted.length;
    out.clv = {
      horizonMonths: Math.round((c.horizonPeriods * c.periodDays) / 30.4375),
      bins: counts.map((n, k) => ({
        from: k * width,
        ...(k < 9 ? { to: (k + 1) * width } : {}),
        customers: Math.round(n * scale),
      })),
      mean: d.mean,
      median: at(0.5),
      p90: at(0.9),
    } satisfies ClvSummary;
  }
  return out;
}

export function renderRunReport(summary: RunSummary): string {
  return renderReport(reportModel(summary));
}
