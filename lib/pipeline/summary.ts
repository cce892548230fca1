// The run summary: what a run read, found and published, in one JSON document (run.json, the
// CLI's --json output, the report's data). Field names are a contract: later checks read them.
import type { DatasetConfig } from '../config/schema.js';
import type { FeatureDefinition } from '../features/dictionary.js';
import type { Issue } from '../ingest/errors.js';
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
  };
  validation: { checks: Check[]; population: Record<string, number> };
  featureDictionary: FeatureDefinition[];
  audiences: { destination: string; segment: string; key: string; members: number }[];
  outputs: Record<string, string>;
  config: DatasetConfig;
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
    },
    validation: { checks: validation.checks, population: validation.population },
    featureDictionary: dictionary,
    audiences: audiences?.results ?? [],
    outputs: {
      report: file('report.html'),
      runJson: file('run.json'),
      featureDictionary: file('feature-dictionary.json'),
      segmentsCsv: `${exportsPrefix}segments.csv`,
      membershipsCsv: `${exportsPrefix}memberships.csv`,
      exports: exportsPrefix,
    },
    config,
  };
}
