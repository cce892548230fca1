// Ingest fanned out over byte ranges: the plan reads each file's head once (layout, header, mapping, date
// formats, decimal separator) and cuts large plain-text files at record boundaries; each range is then
// validated and partitioned on its own (a Distributed Map item); the merge adds the ranges up per file
// into the report a whole-file read gives: same counts, same issues on the same lines.
import type { DatasetConfig } from '../config/schema.js';
import { settingsForFile } from '../config/schema.js';
import type { Issue } from './errors.js';
import { type PartWriter, ShardPartitioner } from './partition.js';
import type { TableLayout } from './read/index.js';
import { scanSplitPoints } from './split.js';
import {
  applyErrorRate,
  emptyFileReport,
  emptyOutcomes,
  type FileDecisions,
  type FileHead,
  type FileReport,
  fileWarnings,
  type IngestReport,
  type IngestSource,
  ingestOne,
  MAX_ISSUES_KEPT,
  newTallies,
  type OutcomeStats,
  type SharedState,
  shardCountFor,
} from './stage.js';

/**
 * Bytes per range by default. Measured (test/bench/ingest-ranges.ts, 2× AMD EPYC, Node 20): a range
 * validates and partitions 22 MiB/s of transactions CSV (242,000 rows/s) on one core, so 256 MiB is
 * about 12 s of work here and, with part uploads and a slower Lambda vCPU, well under a minute: far
 * from the worker's 5-minute timeout, while a 100 GB drop stays at about 400 ranges (and each shard
 * reads about 400 parts per record type). docs/scale.md has the figures.
 */
export const DEFAULT_RANGE_BYTES = 256 * 1024 * 1024;
/**
 * Most ranges in one plan: the IngestRanges map's item list (`{"index":n}` each) stays below 80 KiB of
 * the 256 KiB state limit. Past it, ranges grow instead (5,000 × 256 MiB is 1.25 TiB).
 */
export const MAX_RANGES = 5_000;
/** No cut before this offset: the header (and an Excel "sep=" line) stays whole in the first range. */
const FIRST_CUT_AT = 64 * 1024;

export interface PlanSource extends IngestSource {
  /** the object's key and version, as the range workers read them */
  key: string;
  versionId?: string;
}

export interface PlannedFile {
  file: string;
  key: string;
  versionId?: string;
  size: number;
  /** the text layout the ranges read with (split files) */
  layout?: TableLayout;
  names?: string[];
  /** null when the head could not settle them: the one range reads the file as a whole */
  decisions: FileDecisions | null;
  /** why the file is one range although it is larger than a range (gzip, Parquet, UTF-16, …) */
  whole?: string;
  /** its ranges: plan.ranges[firstRange … firstRange + rangeCount − 1] */
  firstRange: number;
  rangeCount: number;
}

export interface PlannedRange {
  index: number;
  /** index into plan.files (files in name order, the order a whole-snapshot read takes) */
  file: number;
  start: number;
  end: number;
  /** physical line the range's first record starts on */
  line: number;
  /** the file is cut: read bytes [start, end) with the planned layout */
  split: boolean;
}

export interface IngestPlan {
  shardCount: number;
  rangeBytes: number;
  totalBytes: number;
  files: PlannedFile[];
  ranges: PlannedRange[];
  /** files the plan could not use at all (their head holds a file-level error) */
  rejected: FileReport[];
}

/** What one range adds to the run: its file report (counts, issues, tallies) and its records. */
export interface RangeReport {
  range: number;
  file: number;
  report: FileReport;
  records: Record<string, number>;
  minEventMs: number | null;
  maxEventMs: number | null;
  outcomes: OutcomeStats;
}

function sharedState(
  config: DatasetConfig,
  partitioner: ShardPartitioner,
  now: number,
  fileIndex: number,
): SharedState {
  return {
    propensity: config.propensity,
    outcomes: emptyOutcomes(),
    now,
    duplicates: null,
    fingerprints: config.duplicateRows === 'reject',
    fileIndex,
    partitioner,
  };
}

export interface PlanOptions {
  rangeBytes?: number;
  now?: number;
  /** files read at once while planning (each head read, then the split scan) */
  concurrency?: number;
}

/**
 * Plans the ranges of a snapshot. A file is cut only when a cut cannot change how it parses: plain
 * (not gzip) CSV/TSV/JSON Lines, one-byte line breaks layout, valid UTF-8 or a one-byte encoding
 * throughout, no quote left open, and at least the head sample (2,000 rows) before the end.
 */
export async function planIngest(
  sources: readonly PlanSource[],
  config: DatasetConfig,
  options: PlanOptions = {},
): Promise<IngestPlan> {
  const now = options.now ?? Date.now();
  const sorted = [...sources].sort((a, b) => a.file.localeCompare(b.file));
  const totalBytes = sorted.reduce((s, f) => s + f.size, 0);
  // every file is at least one range: the cuts share what is left of MAX_RANGES
  const rangeBytes = Math.max(
    1,
    options.rangeBytes ?? DEFAULT_RANGE_BYTES,
    Math.ceil(totalBytes / Math.max(1, MAX_RANGES - sorted.length)),
  );
  const heads: FileHead[] = new Array(sorted.length);
  const cuts: { start: number; end: number; line: number }[][] = new Array(sorted.length);
  const whole: (string | undefined)[] = new Array(sorted.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < sorted.length; i = next++) {
      const source = sorted[i];
      const head: FileHead = { report: undefined as unknown as FileReport, decisions: null, complete: false };
      const partitioner = new ShardPartitioner(1, async () => {});
      await ingestOne(
        source,
        settingsForFile(config, source.file),
        sharedState(config, partitioner, now, i),
        { kind: 'plan' },
        head,
      );
      heads[i] = head;
      const reason = wholeReason(head, source.size, rangeBytes);
      if (reason !== undefined) {
        if (reason !== SMALL) whole[i] = reason;
        continue;
      }
      const layout = head.layout!;
      const scan = await scanSplitPoints(await source.open(), {
        format: layout.format === 'jsonl' ? 'jsonl' : 'delimited',
        delimiter: layout.delimiter?.charCodeAt(0),
        rangeBytes,
        firstCutAt: FIRST_CUT_AT,
        validateUtf8: layout.encoding === 'utf-8',
      });
      if (!scan.validUtf8)
        whole[i] = 'not valid UTF-8 throughout (the reader decides its encoding as it goes)';
      else if (!scan.lineFeeds) whole[i] = 'line breaks are lone carriage returns';
      else if (scan.endsInQuote) whole[i] = 'a quoted field is never closed';
      else if (scan.bytes !== source.size) whole[i] = 'the file changed size while it was scanned';
      else cuts[i] = scan.ranges;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));

  const plan: IngestPlan = {
    shardCount: shardCountFor(totalBytes, config.shards),
    rangeBytes,
    totalBytes,
    files: [],
    ranges: [],
    rejected: [],
  };
  sorted.forEach((source, i) => {
    const head = heads[i];
    if (head.report.quarantined) plan.rejected.push(head.report);
    const pieces = cuts[i] ?? [{ start: 0, end: source.size, line: 1 }];
    const split = cuts[i] !== undefined && pieces.length > 1;
    plan.files.push({
      file: source.file,
      key: source.key,
      ...(source.versionId === undefined ? {} : { versionId: source.versionId }),
      size: source.size,
      ...(split && head.layout ? { layout: head.layout } : {}),
      ...(split && head.names ? { names: head.names } : {}),
      decisions: head.decisions,
      ...(whole[i] ? { whole: whole[i] } : {}),
      firstRange: plan.ranges.length,
      rangeCount: pieces.length,
    });
    for (const p of pieces)
      plan.ranges.push({
        index: plan.ranges.length,
        file: i,
        start: p.start,
        end: p.end,
        line: p.line,
        split,
      });
  });
  return plan;
}

const SMALL = 'small';

/** Why a file is read as one range, or undefined when it can be cut. */
function wholeReason(head: FileHead, size: number, rangeBytes: number): string | undefined {
  if (head.report.quarantined || head.decisions === null) return 'a file-level problem';
  if (head.complete || size <= rangeBytes) return SMALL;
  const layout = head.layout;
  if (!layout) return 'Parquet is read whole';
  if (layout.gzip) return 'gzip cannot be cut';
  if (layout.format === 'whitespace') return 'whitespace-aligned text is read whole';
  if (layout.encoding !== 'utf-8' && layout.encoding !== 'windows-1252' && layout.encoding !== 'latin1')
    return `${layout.encoding} is read whole`;
  if (layout.format !== 'jsonl' && (layout.delimiter ?? ',').charCodeAt(0) > 0x7f)
    return 'the delimiter is not an ASCII character';
  return undefined;
}

export interface RangeOptions {
  now?: number;
  rowsPerPart?: number;
  bufferedRowBudget?: number;
}

/**
 * Validates and partitions one planned range. `open` streams the range's bytes (the whole object for a
 * file that is one range); `write` receives parts whose names the caller makes unique per range.
 */
export async function ingestRange(
  plan: IngestPlan,
  index: number,
  open: () => Promise<AsyncIterable<Uint8Array>>,
  config: DatasetConfig,
  write: PartWriter,
  options: RangeOptions = {},
): Promise<RangeReport> {
  const range = plan.ranges[index];
  if (!range) throw new Error(`range ${index} is not in the plan (${plan.ranges.length} ranges)`);
  const file = plan.files[range.file];
  const partitioner = new ShardPartitioner(plan.shardCount, write, {
    rowsPerPart: options.rowsPerPart,
    bufferedRowBudget: options.bufferedRowBudget,
  });
  const shared = sharedState(config, partitioner, options.now ?? Date.now(), range.file);
  const layout = file.layout;
  const report = await ingestOne(
    { file: file.file, size: range.end - range.start, open },
    settingsForFile(config, file.file),
    shared,
    {
      kind: 'range',
      decisions: file.decisions,
      ...(range.split && layout
        ? {
            read: {
              format: layout.format,
              ...(layout.delimiter === undefined ? {} : { delimiter: layout.delimiter }),
              encoding: layout.encoding,
              names: file.names ?? [],
              firstLine: range.line,
              first: range.start === 0,
            },
          }
        : {}),
    },
  );
  const records = { ...(await partitioner.close()) };
  return {
    range: index,
    file: range.file,
    report,
    records,
    minEventMs: partitioner.eventRange.min,
    maxEventMs: partitioner.eventRange.max,
    outcomes: shared.outcomes,
  };
}

const byLine = (a: Issue, b: Issue): number => (a.line ?? 0) - (b.line ?? 0);

/** A file's report from its ranges' reports (in range order): what reading it whole reports. */
export function mergeFileReports(file: string, reports: readonly FileReport[]): FileReport {
  const first = reports[0];
  const merged: FileReport = emptyFileReport(file, first?.kind ?? null);
  if (first?.format) merged.format = first.format;
  if (first?.encoding) merged.encoding = first.encoding;
  const tallies = newTallies();
  const warnings = new Set<string>();
  for (const r of reports) {
    merged.rows.read += r.rows.read;
    merged.rows.accepted += r.rows.accepted;
    merged.rows.rejected += r.rows.rejected;
    for (const [code, n] of Object.entries(r.rejectedByCode))
      merged.rejectedByCode[code] = (merged.rejectedByCode[code] ?? 0) + n;
    for (const [code, n] of Object.entries(r.flaggedByCode))
      merged.flaggedByCode[code] = (merged.flaggedByCode[code] ?? 0) + n;
    merged.issues.push(...r.issues);
    merged.flagged.push(...r.flagged);
    // the header's warnings (governance, label column) are the same in every range: once each
    for (const w of r.warnings) warnings.add(w);
    if (r.fileError && !merged.fileError) {
      merged.quarantined = true;
      merged.fileError = r.fileError;
    }
    if (r.quarantined) merged.quarantined = true;
    const t = r.tallies;
    if (t) {
      tallies.unlabelled += t.unlabelled;
      for (const e of t.unlabelledExamples)
        if (tallies.unlabelledExamples.length < 3 && !tallies.unlabelledExamples.includes(e))
          tallies.unlabelledExamples.push(e);
      tallies.badLabelDates += t.badLabelDates;
      tallies.labelColumn ??= t.labelColumn;
      tallies.labelDateColumn ??= t.labelDateColumn;
      tallies.conflicts += t.conflicts;
      for (const l of t.conflictLines) if (tallies.conflictLines.length < 10) tallies.conflictLines.push(l);
      tallies.duplicateColumn ??= t.duplicateColumn;
      tallies.customerColumn ??= t.customerColumn;
      for (const k of t.ignoredKeys) if (!tallies.ignoredKeys.includes(k)) tallies.ignoredKeys.push(k);
    }
  }
  // each range kept its first issues in line order: the file's first ones are among them
  merged.issues = merged.issues.sort(byLine).slice(0, MAX_ISSUES_KEPT);
  merged.flagged = merged.flagged.sort(byLine).slice(0, MAX_ISSUES_KEPT);
  merged.warnings = [...warnings, ...fileWarnings(tallies, merged.flaggedByCode)];
  if (tallies.duplicateColumn) merged.duplicateColumn = tallies.duplicateColumn;
  if (tallies.customerColumn) merged.customerColumn = tallies.customerColumn;
  return merged;
}

/** The snapshot's report from every range's report: per file, per run, then maxRowErrorRate per file. */
export function mergeRanges(
  plan: IngestPlan,
  ranges: readonly RangeReport[],
  config: DatasetConfig,
): IngestReport {
  const report: IngestReport = {
    files: [],
    rows: { read: 0, accepted: 0, rejected: 0 },
    shardCount: plan.shardCount,
    maxEventMs: null,
    minEventMs: null,
    quarantined: [],
    records: {},
  };
  const outcomes = emptyOutcomes();
  const sorted = [...ranges].sort((a, b) => a.range - b.range);
  for (const r of sorted) {
    for (const [name, n] of Object.entries(r.records)) report.records[name] = (report.records[name] ?? 0) + n;
    if (r.maxEventMs !== null && (report.maxEventMs === null || r.maxEventMs > report.maxEventMs))
      report.maxEventMs = r.maxEventMs;
    if (r.minEventMs !== null && (report.minEventMs === null || r.minEventMs < report.minEventMs))
      report.minEventMs = r.minEventMs;
    const o = r.outcomes;
    outcomes.rows += o.rows;
    outcomes.positives += o.positives;
    outcomes.dated += o.dated;
    outcomes.unlabelled += o.unlabelled;
    if (o.earliestMs !== null && (outcomes.earliestMs === null || o.earliestMs < outcomes.earliestMs))
      outcomes.earliestMs = o.earliestMs;
    if (o.latestMs !== null && (outcomes.latestMs === null || o.latestMs > outcomes.latestMs))
      outcomes.latestMs = o.latestMs;
    for (const s of o.sources) if (!outcomes.sources.includes(s)) outcomes.sources.push(s);
    for (const l of o.labels) if (!outcomes.labels.includes(l)) outcomes.labels.push(l);
  }
  plan.files.forEach((f, i) => {
    const mine = sorted.filter((r) => r.file === i);
    if (mine.length !== f.rangeCount)
      throw new Error(`ingest of ${f.file}: ${mine.length} of its ${f.rangeCount} range report(s) found`);
    const fileReport = mergeFileReports(
      f.file,
      mine.map((r) => r.report),
    );
    applyErrorRate(fileReport, config.maxRowErrorRate);
    report.files.push(fileReport);
    report.rows.read += fileReport.rows.read;
    report.rows.accepted += fileReport.rows.accepted;
    report.rows.rejected += fileReport.rows.rejected;
    if (fileReport.quarantined) report.quarantined.push(f.file);
  });
  if (outcomes.rows > 0 || outcomes.sources.length > 0) report.outcomes = outcomes;
  return report;
}
