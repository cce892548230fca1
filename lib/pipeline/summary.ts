// The run summary: what a run read, found and published, in one JSON document (run.json, the
// CLI's --json output, the report's data). Field names are a contract: later checks read them.
import type { DatasetConfig } from '../config/schema.js';
import type { FeatureDefinition } from '../features/dictionary.js';
import type { Issue } from '../ingest/errors.js';
import type { IngestReport } from '../ingest/stage.js';
import type { SegmentationModel } from '../models/segmentation.js';
import type { Check } from '../segments/checks.js';
import { type BlobStore, getJson, getJsonIfExists } from '../storage/blob.js';
import { keys } from '../storage/keys.js';
import type { PredictiveModels, PredictiveSegment } from './predictive.js';
import type { RunRef } from './types.js';
import type { ValidationResult } from './validate.js';

export interface RunSummary {
  runId: string;
  dataset: string;
  status: 'succeeded' | 'failed';
  asOf: string | null;
  rows: { read: number; accepted: number; rejected: number };
  files: {
    file: string;
    kind: string | null;
    rows: { read: number; accepted: number; rejected: number };
    rejectedByCode: Record<string, number>;
    warnings: string[];
    quarantined: boolean;
    error?: string;
    /** the first rejected rows in full (file, line, column, value, expected, fix) */
    issues?: Issue[];
    /** accepted rows with a warning (formula-like cell, conflicting CRM duplicate), by code */
    flaggedByCode?: Record<string, number>;
  }[];
  customers: number;
  segments: {
    id: string;
    name: string;
    description: string;
    size: number;
    share: number;
    status: string;
    checks: Check[];
    profile: Record<string, number>;
  }[];
  models: {
    clusters: {
      k: number;
      features: string[];
      dropped: { feature: string; reason: string }[];
      choice: SegmentationModel['choice'];
      sampleSize: number;
    };
    /** BG/NBD + Gamma-Gamma; absent when CLV is disabled */
    clv?: ClvSummaryModel;
    /** one entry per target (supplied outcome first, then the configured self-labelled targets) */
    propensity?: PropensitySummaryModel[];
    lookalike?: LookalikeSummaryModel;
  };
  /** propensity bands and lookalike audiences, published like segments (ids prop-<target>-<band>, lookalike-top) */
  groups?: GroupSummary[];
  /** distribution of predicted CLV (a uniform sample of up to 5,000 customers' values, sorted) */
  clvDistribution?: { customers: number; mean: number; sample: number[] };
  validation: { checks: Check[]; population: Record<string, number> };
  /** learned segments against classic RFM groups (counts[segment index][group index]), when computed */
  rfm?: { groups: string[]; counts: number[][] };
  featureDictionary: FeatureDefinition[];
  audiences: { destination: string; segment: string; key: string; members: number }[];
  /** What suppression/erasure requests removed, where (counts only: no identifiers). */
  erasure?: {
    requests: { suppress: number; erase: number };
    remembered: number;
    places: { where: string; removed: number }[];
  };
  outputs: Record<string, string>;
  config: DatasetConfig;
  /** validation across runs (absent in summaries of runs before they existed) */
  previousRunId?: string | null;
  metrics?: ValidationResult['metrics'];
  retired?: ValidationResult['retired'];
  lift?: ValidationResult['lift'];
  retirement?: ValidationResult['retirement'];
  cards?: ValidationResult['cards'];
  history?: ValidationResult['history'];
}

export interface ClvSummaryModel {
  status: 'fitted' | 'skipped';
  reason?: string;
  params?: { r: number; alpha: number; a: number; b: number; p: number; q: number; gamma: number };
  logLikelihood?: number;
  customers?: number;
  repeatBuyers?: number;
  calibrationEnd: string;
  periodDays: number;
  horizonPeriods: number;
  discountRatePerPeriod: number;
  warnings: string[];
}

export interface PropensitySummaryModel {
  target: string;
  kind: string;
  description: string;
  status: 'fitted' | 'skipped';
  reason?: string;
  training: { customers: number; positives: number; negatives: number };
  features: string[];
  dropped: { feature: string; reason: string }[];
  warnings: string[];
  drivers: string[];
  /** supplied outcomes: where the labels came from, the features' cut, rows left out (in words) */
  notes?: string[];
  /** supplied outcomes: the instant the training features describe */
  featuresAsOf?: string;
  excluded?: { unlabelled: number; beforeCut: number };
  validation?: {
    customers: number;
    baseRate: number;
    auc: number;
    liftTopDecile: number;
    brier: number;
    calibration: { predicted: number; observed: number; customers: number }[];
    deciles: { decile: number; customers: number; rate: number }[];
    bands: { band: string; customers: number; rate: number; lift: number }[];
  };
}

export interface LookalikeSummaryModel {
  status: 'fitted' | 'skipped';
  reason?: string;
  topPercent: number;
  seeds: { total: number; matched: number; heldOut: number };
  heldOutSeeds?: {
    meanPercentile: number;
    shareInAudience: number;
    auc: number;
    recall?: { topPercent: number; recall: number }[];
  };
  drivers: string[];
}

export interface GroupSummary {
  id: string;
  name: string;
  description: string;
  model: string;
  size: number;
  share: number;
  status: string;
  checks: Check[];
}

function predictiveSummary(
  models: PredictiveModels | undefined,
  groups: PredictiveSegment[],
): Pick<RunSummary['models'], 'clv' | 'propensity' | 'lookalike'> & { groups: GroupSummary[] } {
  const out: Pick<RunSummary['models'], 'clv' | 'propensity' | 'lookalike'> & { groups: GroupSummary[] } = {
    groups: groups.map((g) => ({
      id: g.id,
      name: g.name,
      description: g.description,
      model: g.model,
      size: g.size,
      share: g.share,
      status: g.status,
      checks: g.checks,
    })),
  };
  if (!models) return out;
  const c = models.clv;
  if (c) {
    out.clv = {
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.params ? { params: c.params } : {}),
      ...(c.bgNbd ? { logLikelihood: c.bgNbd.logLikelihood, customers: c.bgNbd.customers } : {}),
      ...(c.gammaGamma ? { repeatBuyers: c.gammaGamma.customers } : {}),
      calibrationEnd: c.calibrationEnd,
      periodDays: c.periodDays,
      horizonPeriods: c.horizonPeriods,
      discountRatePerPeriod: c.discountRatePerPeriod,
      warnings: c.warnings ?? [],
    };
  }
  out.propensity = models.propensity.map((m) => ({
    target: m.target.name,
    kind: m.target.kind,
    description: m.description,
    status: m.status,
    ...(m.reason ? { reason: m.reason } : {}),
    training: m.training,
    features: m.features,
    dropped: m.dropped,
    warnings: m.warnings,
    drivers: m.drivers.map((d) => d.text),
    ...(m.notes?.length ? { notes: m.notes } : {}),
    ...(m.featuresAsOf ? { featuresAsOf: m.featuresAsOf } : {}),
    ...(m.excluded ? { excluded: m.excluded } : {}),
    ...(m.validation ? { validation: m.validation } : {}),
  }));
  const l = models.lookalike;
  if (l) {
    out.lookalike = {
      status: l.status,
      ...(l.reason ? { reason: l.reason } : {}),
      topPercent: l.topPercent,
      seeds: l.seeds,
      ...(l.heldOutSeeds ? { heldOutSeeds: l.heldOutSeeds } : {}),
      drivers: l.drivers.map((d) => d.text),
    };
  }
  return out;
}

export async function buildRunSummary(
  store: BlobStore,
  ref: RunRef & { asOfMs: number },
): Promise<RunSummary> {
  const file = (name: string) => keys.runFile(ref.dataset, ref.runId, name);
  const [ingest, model, validation, dictionary, config, audiences] = await Promise.all([
    getJson<IngestReport>(store, file('ingest.json')),
    getJson<SegmentationModel>(store, file('model.json')),
    getJson<ValidationResult>(store, file('segments.json')),
    getJson<FeatureDefinition[]>(store, file('feature-dictionary.json')),
    getJson<DatasetConfig>(store, file('config.json')),
    getJsonIfExists<{ results: RunSummary['audiences'] }>(store, file('audiences.json')),
  ]);
  const erasureReports = await Promise.all(
    ['memberships', 'exports', 'audiences'].map((stage) =>
      getJsonIfExists<{
        places: { where: string; removed: number }[];
        requests?: { suppress: number; erase: number };
        remembered?: number;
      }>(store, file(`erasure-${stage}.json`)),
    ),
  );
  const firstWithRequests = erasureReports.find((r) => r?.requests);
  const predictiveModels = await getJsonIfExists<PredictiveModels>(store, file('predictive-model.json'));
  const { groups, ...predictive } = predictiveSummary(predictiveModels, validation.predictive?.groups ?? []);
  const exportsPrefix = keys.exports(ref.dataset);
  return {
    runId: ref.runId,
    dataset: ref.dataset,
    status: 'succeeded',
    asOf: new Date(ref.asOfMs).toISOString(),
    rows: ingest.rows,
    files: ingest.files.map((f) => ({
      file: f.file,
      kind: f.kind,
      rows: f.rows,
      rejectedByCode: f.rejectedByCode,
      warnings: f.warnings,
      quarantined: f.quarantined,
      ...(f.fileError ? { error: f.fileError.message } : {}),
      issues: (f.issues ?? []).slice(0, 20),
      flaggedByCode: f.flaggedByCode ?? {},
    })),
    customers: model.customers,
    segments: validation.segments.map((s) => ({
      id: s.id,
      name: s.name,
      description: s.description,
      size: s.size,
      share: s.share,
      status: s.status,
      checks: s.checks,
      profile: s.means,
    })),
    models: {
      clusters: {
        k: model.k,
        features: model.features,
        dropped: model.dropped,
        choice: model.choice,
        sampleSize: model.sampleSize,
      },
      ...predictive,
    },
    groups,
    ...(validation.predictive?.clvDistribution
      ? { clvDistribution: validation.predictive.clvDistribution }
      : {}),
    validation: { checks: validation.checks, population: validation.population },
    ...(validation.rfm ? { rfm: validation.rfm } : {}),
    featureDictionary: dictionary,
    audiences: audiences?.results ?? [],
    erasure: {
      requests: firstWithRequests?.requests ?? { suppress: 0, erase: 0 },
      remembered: firstWithRequests?.remembered ?? 0,
      places: erasureReports.flatMap((r) => r?.places ?? []),
    },
    outputs: {
      report: file('report.html'),
      runJson: file('run.json'),
      featureDictionary: file('feature-dictionary.json'),
      segmentCards: file('segment-cards.json'),
      segmentsCsv: `${exportsPrefix}segments.csv`,
      membershipsCsv: `${exportsPrefix}memberships.csv`,
      exports: exportsPrefix,
    },
    config,
    previousRunId: validation.previousRunId ?? null,
    ...(validation.metrics ? { metrics: validation.metrics } : {}),
    ...(validation.retired ? { retired: validation.retired } : {}),
    ...(validation.lift ? { lift: validation.lift } : {}),
    ...(validation.retirement ? { retirement: validation.retirement } : {}),
    ...(validation.cards ? { cards: validation.cards } : {}),
    ...(validation.history ? { history: validation.history } : {}),
  };
}
