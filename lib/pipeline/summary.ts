// The run summary: what a run read, found and published, in one JSON document (run.json, the
// CLI's --json output, the report's data). Field names are a contract: later checks read them.
import type { DatasetConfig } from '../config/schema.js';
import type { FeatureDefinition } from '../features/dictionary.js';
import type { IngestReport } from '../ingest/stage.js';
import type { SegmentationModel } from '../models/segmentation.js';
import type { Check } from '../segments/validate.js';
import { type BlobStore, getJson, getJsonIfExists } from '../storage/blob.js';
import { keys } from '../storage/keys.js';
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
  };
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
    },
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
