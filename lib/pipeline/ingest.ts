// Ingest stage, fanned out: Plan freezes the config and cuts the dropped files into byte ranges
// (lib/ingest/ranges.ts); each range is validated and partitioned into shards by its own worker (a
// Distributed Map item); Merge adds the ranges up into ingest.json and the per-file error reports, and
// stops the run when a file is quarantined, before anything is published.
import { type DatasetConfig, parseConfig } from '../config/schema.js';
import {
  addConflictFiles,
  addDuplicateFiles,
  type ConflictFile,
  type DuplicateCheck,
  type DuplicateFile,
  dropDuplicateRows,
} from '../ingest/duplicates.js';
import { makeIssue } from '../ingest/errors.js';
import { RUN_LEVEL } from '../ingest/partition.js';
import {
  DEFAULT_RANGE_BYTES,
  type IngestPlan,
  ingestRange,
  mergeRanges,
  planIngest,
  type RangeReport,
} from '../ingest/ranges.js';
import {
  emptyFileReport,
  type IngestReport,
  InputRejectedError,
  MAX_ISSUES_KEPT,
  NoTransactionsError,
} from '../ingest/stage.js';
import { type BlobStore, getJson, getJsonIfExists, putJson } from '../storage/blob.js';
import type { Columns } from '../storage/columnar.js';
import { keys, parseIncomingKey } from '../storage/keys.js';
import { loadRunConfig, readParts, runFile, shardFile } from './run-files.js';
import { loadRunObjects } from './snapshot.js';
import type { IngestOutput, RangeTask, RunInput, RunRef } from './types.js';

/** What Plan hands the IngestRanges map: small references only, whatever the input's size. */
export interface IngestPlanOutput {
  shardCount: number;
  rangeCount: number;
  ranges: { index: number }[];
}

export interface IngestOptions {
  now?: number;
  /** bytes per range (default DEFAULT_RANGE_BYTES; the function's RANGE_BYTES setting) */
  rangeBytes?: number;
}

const PLAN = 'ingest-plan.json';
const rangeReportFile = (index: number): string => `ingest-ranges/${String(index).padStart(5, '0')}.json`;
/** one shard's exact-duplicate check, written by BuildFeatures, merged by Fit */
export const DUPLICATES_FILE = 'duplicates.json';

/** Plan: freeze the config, read each file's head, cut large files into ranges. */
export async function planRun(
  store: BlobStore,
  input: RunInput,
  options: IngestOptions = {},
): Promise<IngestPlanOutput> {
  const raw = await getJsonIfExists<unknown>(store, keys.config(input.dataset));
  const config = parseConfig(raw, `s3 ${keys.config(input.dataset)}`);
  await putJson(store, runFile(input, 'config.json'), config);
  const sources = (await loadRunObjects(store, input)).map((o) => ({
    file: parseIncomingKey(o.key)?.file ?? o.key,
    key: o.key,
    ...(o.versionId === undefined ? {} : { versionId: o.versionId }),
    size: o.size,
    open: () => store.stream(o.key, o.versionId),
  }));
  const plan = await planIngest(sources, config, {
    rangeBytes: options.rangeBytes ?? DEFAULT_RANGE_BYTES,
    now: options.now,
  });
  if (plan.rejected.length) {
    // a file unusable from its first lines stops the run here, before any range is read
    // the other files are listed unread (no rows), so the message counts the whole snapshot
    const files = plan.files.map(
      (f) => plan.rejected.find((r) => r.file === f.file) ?? emptyFileReport(f.file, null),
    );
    const report: IngestReport = {
      files,
      rows: { read: 0, accepted: 0, rejected: 0 },
      shardCount: plan.shardCount,
      maxEventMs: null,
      minEventMs: null,
      quarantined: plan.rejected.map((f) => f.file),
      records: {},
    };
    await writeReports(store, input, report);
    throw new InputRejectedError(report);
  }
  await putJson(store, runFile(input, PLAN), plan);
  return {
    shardCount: plan.shardCount,
    rangeCount: plan.ranges.length,
    ranges: plan.ranges.map((r) => ({ index: r.index })),
  };
}

/** One range: read its bytes (a ranged GET), validate, partition; parts and report named by range. */
export async function ingestRangeTask(
  store: BlobStore,
  task: RangeTask,
  options: { now?: number } = {},
): Promise<RangeReport> {
  const [plan, config] = await Promise.all([
    getJson<IngestPlan>(store, runFile(task, PLAN)),
    loadRunConfig(store, task),
  ]);
  const index = task.range.index;
  const range = plan.ranges[index];
  if (!range) throw new Error(`range ${index} is not in the plan of run ${task.runId}`);
  const file = plan.files[range.file];
  const open = () =>
    range.split
      ? store.streamRange(file.key, range.start, range.end, file.versionId)
      : store.stream(file.key, file.versionId);
  const tag = String(index).padStart(5, '0');
  const report = await ingestRange(
    plan,
    index,
    open,
    config,
    (shard, name, part, bytes) => {
      // range then part number, one run of digits: unique per range, sorted in file order, and still
      // matching the `${name}-NNNN` pattern readers list parts by
      const key = `${name}-${tag}${String(part).padStart(4, '0')}.bin`;
      return store.put(shard === RUN_LEVEL ? runFile(task, key) : shardFile(task, shard, key), bytes);
    },
    options,
  );
  await putJson(store, runFile(task, rangeReportFile(index)), report);
  return report;
}

/** Merge: the ranges' reports into ingest.json and the per-file error reports; stops a bad snapshot. */
export async function mergeIngest(
  store: BlobStore,
  input: RunRef,
  options: { now?: number } = {},
): Promise<IngestOutput> {
  const [plan, config] = await Promise.all([
    getJson<IngestPlan>(store, runFile(input, PLAN)),
    loadRunConfig(store, input),
  ]);
  const reports = await mapLimited(plan.ranges, 16, (r) =>
    getJson<RangeReport>(store, runFile(input, rangeReportFile(r.index))),
  );
  const report = mergeRanges(plan, reports, config);
  await writeReports(store, input, report);
  if (report.quarantined.length) throw new InputRejectedError(report);
  // a customers-only dataset segments on CRM attributes (as of the config's date, else now)
  if (report.maxEventMs === null && !report.records.customers) throw new NoTransactionsError(report);
  return outputOf(report, config, options.now);
}

/** The whole stage in one process (plan, every range, merge): the benchmark and tests. */
export async function ingest(
  store: BlobStore,
  input: RunInput,
  options: IngestOptions = {},
): Promise<IngestOutput> {
  const planned = await planRun(store, input, options);
  for (const r of planned.ranges) await ingestRangeTask(store, { ...input, range: r }, options);
  return mergeIngest(store, input, options);
}

function outputOf(report: IngestReport, config: DatasetConfig, now?: number): IngestOutput {
  const asOfMs = config.asOf
    ? Date.parse(config.asOf)
    : report.maxEventMs !== null
      ? report.maxEventMs + 1
      : (now ?? Date.now());
  return {
    shardCount: report.shardCount,
    shards: Array.from({ length: report.shardCount }, (_, index) => ({ index })),
    asOfMs,
    rows: report.rows,
  };
}

async function writeReports(store: BlobStore, input: RunRef, report: IngestReport): Promise<void> {
  await putJson(store, runFile(input, 'ingest.json'), report);
  for (const f of report.files) {
    if (f.issues.length || f.fileError || f.flagged.length || f.warnings.length)
      await putJson(store, keys.rejected(input.dataset, `${f.file}.errors.json`), errorReport(input, f));
  }
}

function errorReport(input: RunRef, f: IngestReport['files'][number]) {
  return {
    runId: input.runId,
    file: f.file,
    rows: f.rows,
    quarantined: f.quarantined,
    fileError: f.fileError,
    rejectedByCode: f.rejectedByCode,
    issues: f.issues,
    flaggedByCode: f.flaggedByCode,
    flagged: f.flagged,
    warnings: f.warnings,
  };
}

/**
 * Exact duplicates and conflicting CRM rows, found per shard by BuildFeatures, counted back into
 * ingest.json and the files' error reports (Fit calls this once every shard is done): a repeat moves
 * from accepted to rejected under `duplicate-row`, so read = accepted + rejected still holds per file;
 * a conflict is flagged (the row stays accepted) with both lines, as a whole-file read flagged it.
 */
export async function applyDuplicateChecks(store: BlobStore, ref: RunRef, shardCount: number): Promise<void> {
  const report = await getJsonIfExists<IngestReport>(store, runFile(ref, 'ingest.json'));
  // once per run: a retried Fit must not count the repeats twice
  if (!report || report.duplicatesChecked) return;
  const checks = await mapLimited(
    Array.from({ length: shardCount }, (_, i) => i),
    16,
    (i) =>
      getJsonIfExists<{ files: Record<string, DuplicateFile>; conflicts?: Record<string, ConflictFile> }>(
        store,
        shardFile(ref, i, DUPLICATES_FILE),
      ),
  );
  const files: Record<string, DuplicateFile> = {};
  const conflicts: Record<string, ConflictFile> = {};
  for (const c of checks) {
    if (!c) continue;
    addDuplicateFiles(files, c.files);
    addConflictFiles(conflicts, c.conflicts ?? {});
  }
  const changed = new Set<number>();
  for (const [index, c] of Object.entries(conflicts)) {
    const f = report.files[Number(index)];
    if (!f || c.count === 0) continue;
    changed.add(Number(index));
    f.flaggedByCode['conflicting-customer'] = (f.flaggedByCode['conflicting-customer'] ?? 0) + c.count;
    const flags = c.pairs.map(([before, line]) =>
      // the id may be an email: report lines only, never the value
      makeIssue(
        'conflicting-customer',
        `The customer also appears on line ${before} with different attributes; the later row (line ${line}) is kept.`,
        { file: f.file, line, column: f.customerColumn },
        {
          expected: 'one row per customer',
          fix: 'deduplicate the CRM export, or check which system of record is right',
        },
      ),
    );
    f.flagged = [...f.flagged, ...flags]
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
      .slice(0, MAX_ISSUES_KEPT);
    const shown = c.pairs.slice(0, 10).map(([before, line]) => `lines ${before} and ${line}`);
    f.warnings.push(
      `${c.count} customer(s) appear more than once with different attributes (${shown.join(', ')}${c.count > shown.length ? ', …' : ''}); the last row of each is kept`,
    );
  }
  let removed = 0;
  for (const [index, d] of Object.entries(files)) {
    const f = report.files[Number(index)];
    if (!f || d.count === 0) continue;
    removed += d.count;
    f.rows.accepted -= d.count;
    f.rows.rejected += d.count;
    f.rejectedByCode['duplicate-row'] = (f.rejectedByCode['duplicate-row'] ?? 0) + d.count;
    const repeats = d.lines.map((line, i) =>
      makeIssue(
        'duplicate-row',
        'The row repeats an earlier row (same customer, time, amount, order and product); the repeat is not counted twice.',
        { file: f.file, line, column: f.duplicateColumn, value: d.values[i] },
        {
          expected: 'each order line once',
          fix: 'remove the repeated rows or overlapping exports; set "duplicateRows": "keep" in the dataset config if repeats are real',
        },
      ),
    );
    f.issues = [...f.issues, ...repeats]
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
      .slice(0, MAX_ISSUES_KEPT);
    changed.add(Number(index));
  }
  for (const index of changed) {
    const f = report.files[index];
    await putJson(store, keys.rejected(ref.dataset, `${f.file}.errors.json`), errorReport(ref, f));
  }
  report.rows.accepted -= removed;
  report.rows.rejected += removed;
  if (removed > 0) report.records.transactions = (report.records.transactions ?? 0) - removed;
  report.duplicatesChecked = true;
  // written last: the error reports above are recomputed identically if this step is retried
  await putJson(store, runFile(ref, 'ingest.json'), report);
}

/**
 * A shard's transaction parts without exact repeats (duplicateRows: 'reject'): every reader of
 * transactions (features, lift) sees each order line once, the first occurrence in (file, line) order.
 */
export async function readTransactionParts(
  store: BlobStore,
  ref: RunRef,
  index: number,
): Promise<{ parts: Columns[]; duplicates: DuplicateCheck }> {
  const duplicates = dropDuplicateRows(await readParts(store, ref, index, 'transactions'));
  return { parts: duplicates.parts, duplicates };
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
