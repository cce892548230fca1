// The last states: Report (run.json, report.html, run history) on success, Quarantine on failure.
import type { SegmentationModel } from '../models/segmentation.js';
import type { DatasetState } from '../segments/state.js';
import { type BlobStore, getJson, getJsonIfExists, putJson } from '../storage/blob.js';
import { keys, parseIncomingKey } from '../storage/keys.js';
import type { DynamoSegmentStore } from '../storage/segment-store.js';
import { renderRunReport } from './report-model.js';
import { loadRunConfig, runFile } from './run-files.js';
import { loadRunObjects } from './snapshot.js';
import { buildRunSummary } from './summary.js';
import type { FailedRun, RunRef, StageDone, StepFunctionsError } from './types.js';
import type { ValidationResult } from './validate.js';

export async function report(
  store: BlobStore,
  segments: DynamoSegmentStore,
  ref: RunRef & { asOfMs: number },
  options: { startedAt?: string; now?: () => Date } = {},
): Promise<StageDone & { summaryKey: string; reportKey: string }> {
  const summary = await buildRunSummary(store, ref);
  const summaryKey = keys.runFile(ref.dataset, ref.runId, 'run.json');
  const reportKey = keys.runFile(ref.dataset, ref.runId, 'report.html');
  await putJson(store, summaryKey, summary);
  await store.put(reportKey, renderRunReport(summary), 'text/html; charset=utf-8');
  await segments.putRun(ref.dataset, ref.runId, {
    status: 'succeeded',
    finishedAt: (options.now?.() ?? new Date()).toISOString(),
    ...(options.startedAt ? { startedAt: options.startedAt } : {}),
    asOf: summary.asOf,
    rows: summary.rows,
    customers: summary.customers,
    segments: summary.segments.map((s) => ({
      id: s.id,
      name: s.name,
      size: s.size,
      share: s.share,
      status: s.status,
      ...segmentMetrics(s.checks),
    })),
    ...(summary.metrics ? { metrics: summary.metrics } : {}),
    ...(summary.previousRunId ? { previousRunId: summary.previousRunId } : {}),
    ...(summary.retired?.length ? { retired: summary.retired.map((r) => ({ id: r.id, name: r.name })) } : {}),
    ...(summary.lift?.length ? { lift: summary.lift } : {}),
  });
  if (summary.cards?.length) {
    await segments.attachCards(ref.dataset, summary.cards);
    await putJson(store, `${keys.exports(ref.dataset)}segment-cards.json`, summary.cards);
  }
  if (summary.retired?.length) await segments.retireSegments(ref.dataset, ref.runId, summary.retired);
  await writeDatasetState(store, { ...ref, asOfMs: ref.asOfMs });
  return { dataset: ref.dataset, runId: ref.runId, stage: 'report', summaryKey, reportKey };
}

/** The figures of a segment's checks worth charting over time, keyed by check name. */
function segmentMetrics(checks: readonly { name: string; value: number | string }[]): {
  metrics?: Record<string, number>;
} {
  const metrics = Object.fromEntries(
    checks.filter((c) => typeof c.value === 'number').map((c) => [c.name, c.value as number]),
  );
  return Object.keys(metrics).length ? { metrics } : {};
}

/**
 * Points the dataset at this run for the next one (see lib/segments/state.ts): copies the per-shard
 * scores out of the run scratch, writes state/<dataset>/latest.json, then deletes the state of the
 * run it replaces. Only called after everything else succeeded, so a failed run never becomes the
 * baseline.
 */
export async function writeDatasetState(
  store: BlobStore,
  ref: RunRef & { asOfMs: number },
): Promise<DatasetState> {
  const config = await loadRunConfig(store, ref);
  const [model, validation] = await Promise.all([
    getJson<SegmentationModel>(store, runFile(ref, 'model.json')),
    getJson<ValidationResult>(store, runFile(ref, 'segments.json')),
  ]);
  const before = await getJsonIfExists<DatasetState>(store, keys.state.latest(ref.dataset));
  const listed = await store.list(keys.run(ref.dataset, ref.runId));
  const scores = listed.filter((o) => /\/shards\/\d+\/scores\.bin$/.test(o.key));
  for (const o of scores) {
    const shard = Number(/\/shards\/(\d+)\//.exec(o.key)?.[1]);
    await store.copy(o.key, keys.state.scores(ref.dataset, ref.runId, shard));
  }
  const previousFirst = new Map(before?.segments.map((s) => [s.id, s.firstRunId]) ?? []);
  const maxId = Math.max(
    0,
    ...validation.segments.map((s) => Number(/^seg-(\d+)$/.exec(s.id)?.[1] ?? 0)),
    (before?.nextId ?? 1) - 1,
  );
  const state: DatasetState = {
    version: 1,
    dataset: ref.dataset,
    runId: ref.runId,
    asOfMs: ref.asOfMs,
    shardCount: scores.length,
    holdoutSalt: config.segments.holdoutSalt,
    holdoutShare: config.segments.holdoutShare,
    model: {
      features: model.features,
      mean: model.mean,
      std: model.std,
      centroids: model.centroids,
      k: model.k,
    },
    segments: validation.segments.map((s) => ({
      id: s.id,
      name: s.name,
      size: s.size,
      status: s.status,
      firstRunId: previousFirst.get(s.id) ?? ref.runId,
    })),
    nextId: maxId + 1,
    history: (validation.history ?? []).slice(-config.validation.historyRuns),
  };
  await putJson(store, keys.state.latest(ref.dataset), state);
  if (before && before.runId !== ref.runId) {
    const stale = await store.list(keys.state.runPrefix(ref.dataset, before.runId));
    if (stale.length) await store.delete(stale.map((o) => o.key));
  }
  return state;
}

/** Parses the Catch payload's Cause (a JSON string from Lambda, or plain text) into a message. */
export function describeFailure(error: StepFunctionsError | undefined): { name: string; message: string } {
  const name = error?.Error ?? 'UnknownError';
  const cause = error?.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string; errorType?: string };
    return { name: parsed.errorType ?? name, message: parsed.errorMessage ?? cause };
  } catch {
    return { name, message: cause || name };
  }
}

/**
 * Quarantine: copies the run's input files to rejected/<dataset>/<runId>/ with an error report,
 * and records the failed run. Nothing is published for a quarantined run.
 */
export async function quarantine(
  store: BlobStore,
  segments: DynamoSegmentStore,
  input: FailedRun,
  options: { now?: () => Date } = {},
): Promise<StageDone & { reportKey: string; error: { name: string; message: string } }> {
  const error = describeFailure(input.error);
  const base = keys.rejectedRun(input.dataset, input.runId);
  const objects = await loadRunObjects(store, input);
  for (const o of objects) {
    const file = parseIncomingKey(o.key)?.file ?? o.key;
    await store.copy(o.key, `${base}${file}`, o.versionId);
  }
  const reportKey = keys.runErrors(input.dataset, input.runId);
  await putJson(store, reportKey, {
    runId: input.runId,
    dataset: input.dataset,
    error,
    files: objects.map((o) => o.key),
    perFileReports: keys.rejected(input.dataset, '<file>.errors.json'),
    nothingPublished: true,
  });
  await segments.putRun(input.dataset, input.runId, {
    status: 'failed',
    finishedAt: (options.now?.() ?? new Date()).toISOString(),
    error,
  });
  return { dataset: input.dataset, runId: input.runId, stage: 'quarantine', reportKey, error };
}
