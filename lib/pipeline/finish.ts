// The last states: Report (run.json, report.html, run history) on success, Quarantine on failure.
import { renderRunReport } from '../report/render.js';
import { type BlobStore, putJson } from '../storage/blob.js';
import { keys, parseIncomingKey } from '../storage/keys.js';
import type { DynamoSegmentStore } from '../storage/segment-store.js';
import { buildRunSummary } from './summary.js';
import type { RunInput, RunRef, StageDone } from './types.js';

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
    })),
  });
  return { dataset: ref.dataset, runId: ref.runId, stage: 'report', summaryKey, reportKey };
}

export interface StepFunctionsError {
  Error?: string;
  Cause?: string;
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
  input: RunInput & { error?: StepFunctionsError },
  options: { now?: () => Date } = {},
): Promise<StageDone & { reportKey: string; error: { name: string; message: string } }> {
  const error = describeFailure(input.error);
  const base = `rejected/${input.dataset}/${input.runId}/`;
  for (const o of input.objects) {
    const file = parseIncomingKey(o.key)?.file ?? o.key;
    await store.copy(o.key, `${base}${file}`, o.versionId);
  }
  const reportKey = `${base}run.errors.json`;
  await putJson(store, reportKey, {
    runId: input.runId,
    dataset: input.dataset,
    error,
    files: input.objects.map((o) => o.key),
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
