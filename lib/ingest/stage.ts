// The Ingest stage: reads every dropped file of a dataset snapshot, maps its columns, validates each
// row, and partitions accepted rows by customer into shards (transactions, identities, CRM attributes,
// outcomes, seeds, audit-only columns; suppressions at run level). Every row is accounted for (read =
// accepted + rejected, per file); every rejected or flagged row carries file, line, column and a fix.
import type { DatasetConfig, FileSettings } from '../config/schema.js';
import { settingsForFile } from '../config/schema.js';
import { hashIdentity, sha256Hex } from '../publish/identity.js';
import { INPUT_REJECTED_ERROR } from '../util/error-names.js';
import { fmix32, fnv1aFrom, hashPart, hashPartSpan, mixNumber, shardOf } from '../util/hash.js';
import { InputFileError, type Issue, makeIssue } from './errors.js';
import {
  type ColumnMapping,
  detectKindFromFileName,
  type FieldName,
  type InputKind,
  labelColumnIndex,
  mapColumns,
} from './mapping.js';
import {
  type IdentityRow,
  type PartWriter,
  RUN_LEVEL,
  ShardPartitioner,
  SpanInterner,
  type TransactionRow,
} from './partition.js';
import { type Encoding, readTable, type TableFormat, type TableLayout } from './read/index.js';
import { emptyTransaction, makeTransactionParser } from './read/typed.js';
import {
  type DateFormat,
  formulaIssue,
  inferDateFormat,
  inferDecimalSeparator,
  isoSpanMs,
  isReturnStatus,
  isTrimmed,
  looksLikeFormula,
  makeDateParser,
  parseAmount,
  plainSpanValue,
} from './values.js';

export interface IngestSource {
  /** file name within the dataset, e.g. "orders/2026-11.csv" */
  file: string;
  size: number;
  open(): Promise<AsyncIterable<Uint8Array>>;
}

export interface FileReport {
  file: string;
  kind: string | null;
  format?: string;
  encoding?: string;
  rows: { read: number; accepted: number; rejected: number };
  /** rejected rows by reason code */
  rejectedByCode: Record<string, number>;
  /** the first rejected rows in full (file, line, column, value, expected, fix) */
  issues: Issue[];
  /** accepted rows that carry a warning (formula-like cell, conflicting CRM duplicate), by code */
  flaggedByCode: Record<string, number>;
  /** the first flagged rows in full */
  flagged: Issue[];
  /** a file-level problem: the file could not be used at all */
  fileError?: Issue;
  warnings: string[];
  quarantined: boolean;
  /** one range of a split file: the counts its summary warnings are worded from once merged */
  tallies?: FileTallies;
  /** the order id column exact duplicates are checked on in BuildFeatures (ranged ingest) */
  duplicateColumn?: string;
  /** a customers file's id column, checked for conflicting rows in BuildFeatures (ranged ingest) */
  customerColumn?: string;
}

export interface IngestReport {
  files: FileReport[];
  rows: { read: number; accepted: number; rejected: number };
  shardCount: number;
  /** latest purchase/event time seen (epoch ms), the default as-of */
  maxEventMs: number | null;
  minEventMs: number | null;
  quarantined: string[];
  /** records written per type (transactions, identities, customers, outcomes, seeds, suppressions, audit) */
  records: Record<string, number>;
  /** supplied labels (outcomes files and label columns of customers files), when there are any */
  outcomes?: OutcomeStats;
  /** the shards' exact-duplicate counts are included (set by Fit after BuildFeatures) */
  duplicatesChecked?: boolean;
}

/** What the supplied labels hold: Fit takes the features' cut from the dates, the report the counts. */
export interface OutcomeStats {
  /** labelled rows written (an outcomes file row, or a customers row with a usable label) */
  rows: number;
  positives: number;
  /** rows with an outcome date, and the range of those dates (epoch ms) */
  dated: number;
  earliestMs: number | null;
  latestMs: number | null;
  /** customers rows whose label was empty or not a recognised value: scored, never trained on */
  unlabelled: number;
  /** where the labels came from, e.g. `crm.csv: column "Churn" (positive: Yes), found by its name` */
  sources: string[];
  /** the labels in short, e.g. `Churn = Yes` or `converted` (an outcomes file's column) */
  labels: string[];
}

export const MAX_ISSUES_KEPT = 200;
const DATE_SAMPLE_ROWS = 2_000;
const DAY_MS = 86_400_000;
const EARLIEST_MS = Date.UTC(1990, 0, 1);
/** Codes that are not errors in the data: they are reported but do not count toward maxRowErrorRate. */
const NOT_AN_ERROR = new Set(['duplicate-row']);

export class InputRejectedError extends Error {
  constructor(readonly report: IngestReport) {
    const bad = report.files.filter((f) => f.quarantined);
    super(
      `${bad.length} of ${report.files.length} file(s) could not be used: ${bad
        .map(
          (f) =>
            `${f.file} (${f.fileError?.message ?? `${f.rows.rejected} of ${f.rows.read} rows rejected`})`,
        )
        .join('; ')}. Nothing was published. See rejected/<dataset>/<file>.errors.json for each file.`,
    );
    this.name = INPUT_REJECTED_ERROR;
  }
}

/** The snapshot holds no usable transactions: there is nothing to segment on. */
export class NoTransactionsError extends Error {
  constructor(readonly report: IngestReport) {
    super(
      `none of the ${report.files.length} file(s) holds accepted transactions or customers (${report.files
        .map((f) => `${f.file}: ${f.kind ?? 'unknown'}`)
        .join(
          ', ',
        )}). Segments are built from purchases, events or CRM attributes: add a transactions or customers export, or set "kind": "transactions" for it in the dataset config. Nothing was published.`,
    );
    this.name = 'NoTransactionsError';
  }
}

/** Shards for a snapshot: one per ~32 MiB of input, at least one (configurable). */
export function shardCountFor(totalBytes: number, configured: number): number {
  if (configured > 0) return configured;
  return Math.max(1, Math.min(1000, Math.ceil(totalBytes / (32 * 1024 * 1024))));
}

export interface IngestOptions {
  now?: number;
  /** partitioner tuning, for tests and the benchmark */
  rowsPerPart?: number;
  bufferedRowBudget?: number;
}

export async function ingestSources(
  sources: readonly IngestSource[],
  config: DatasetConfig,
  write: PartWriter,
  options: IngestOptions = {},
): Promise<IngestReport> {
  const totalBytes = sources.reduce((s, f) => s + f.size, 0);
  const shardCount = shardCountFor(totalBytes, config.shards);
  const partitioner = new ShardPartitioner(shardCount, write, {
    rowsPerPart: options.rowsPerPart,
    bufferedRowBudget: options.bufferedRowBudget,
  });
  const report: IngestReport = {
    files: [],
    rows: { read: 0, accepted: 0, rejected: 0 },
    shardCount,
    maxEventMs: null,
    minEventMs: null,
    quarantined: [],
    records: {},
  };
  const shared: SharedState = {
    propensity: config.propensity,
    outcomes: emptyOutcomes(),
    now: options.now ?? Date.now(),
    duplicates: config.duplicateRows === 'reject' ? new FingerprintSet(1 << 22) : null,
    partitioner,
  };
  for (const source of [...sources].sort((a, b) => a.file.localeCompare(b.file))) {
    const fileReport = await ingestOne(source, settingsForFile(config, source.file), shared);
    applyErrorRate(fileReport, config.maxRowErrorRate);
    report.files.push(fileReport);
    report.rows.read += fileReport.rows.read;
    report.rows.accepted += fileReport.rows.accepted;
    report.rows.rejected += fileReport.rows.rejected;
    if (fileReport.quarantined) report.quarantined.push(source.file);
  }
  const stats = await partitioner.close();
  report.records = { ...stats };
  const times = partitioner.eventRange;
  report.maxEventMs = times.max;
  report.minEventMs = times.min;
  if (shared.outcomes.rows > 0 || shared.outcomes.sources.length > 0) report.outcomes = shared.outcomes;
  return report;
}

/** Quarantines a whole file whose share of bad rows is above maxRowErrorRate. */
export function applyErrorRate(fileReport: FileReport, maxRowErrorRate: number): void {
  if (fileReport.quarantined || fileReport.rows.read === 0) return;
  let errors = 0;
  for (const [code, n] of Object.entries(fileReport.rejectedByCode)) if (!NOT_AN_ERROR.has(code)) errors += n;
  const rate = errors / fileReport.rows.read;
  if (rate <= maxRowErrorRate) return;
  fileReport.quarantined = true;
  fileReport.fileError = {
    file: fileReport.file,
    code: 'too-many-bad-rows',
    message: `${errors} of ${fileReport.rows.read} rows (${(rate * 100).toFixed(1)} %) were rejected, above the allowed ${(maxRowErrorRate * 100).toFixed(1)} %; the file is not used and nothing is published.`,
    expected: `at most ${(maxRowErrorRate * 100).toFixed(1)} % bad rows`,
    fix: 'fix the rows listed in this report, or check the column mapping and date format in the dataset config; raise maxRowErrorRate only if these rows really should be skipped',
  };
}

export interface SharedState {
  /** label column settings for customers files (absent in callers that predate them) */
  propensity?: DatasetConfig['propensity'];
  outcomes: OutcomeStats;
  now: number;
  /** fingerprints of accepted transactions, over all files of the snapshot (overlapping exports) */
  duplicates: FingerprintSet | null;
  /** a range: write each transaction's fingerprint for BuildFeatures' duplicate check instead */
  fingerprints?: boolean;
  /** the file's index in the snapshot (name order), for the rows' origin */
  fileIndex?: number;
  partitioner: ShardPartitioner;
}

type RowHandler = (fields: readonly string[], line: number) => void;
/** A row as spans of the decoded text (TableVisitor.spans): true once taken, false to go the general way. */
type SpanRowHandler = (text: string, starts: Int32Array, ends: Int32Array, line: number) => boolean;

/** What a row handler needs besides the row: where to put results and how to report. */
interface FileContext {
  file: string;
  kind: InputKind;
  mapping: ColumnMapping;
  header: readonly string[];
  settings: FileSettings | undefined;
  shared: SharedState;
  report: FileReport;
  reject(issue: Issue): void;
  flag(issue: Issue): void;
  accept(): void;
  /** audit-only columns kept for this file (indexes into the header) */
  audit: { name: string; index: number }[];
  /** counts behind the file's summary warnings (summed over a split file's ranges before wording) */
  tallies: FileTallies;
  /** date formats and decimal separator: inferred from the head sample, or given by the plan */
  decisions: FileDecisions;
  /** decisions come from the plan: nothing is inferred from this read's own rows */
  preset: boolean;
  /** a customers file's label column (and outcome date column): outcomes, never attributes */
  label?: LabelColumn;
  /** the fast path for rows given as spans, set by a row handler that has one */
  spanRow?: SpanRowHandler;
}

interface LabelColumn {
  index: number;
  dateIndex?: number;
  /** lower-cased values meaning positive / negative; negative null = any other non-empty value */
  positive: Set<string>;
  negative: Set<string> | null;
}

/** How ingestOne reads a file: all of it, only its head for the plan, or one planned range. */
export type FileMode =
  | { kind: 'whole' }
  | { kind: 'plan' }
  | {
      kind: 'range';
      /** the plan's decisions; null when the plan could not settle them (the range is the whole file) */
      decisions: FileDecisions | null;
      /** set for a split file: the range's layout, header and first line */
      read?: {
        format: TableFormat;
        delimiter?: string;
        encoding: Encoding;
        names: readonly string[];
        firstLine: number;
        first: boolean;
      };
    };

/** What the head of a file settles, so every range of it parses exactly as a whole-file read would. */
export interface FileDecisions {
  /** date format per column index (inferred from the head sample) */
  dates: Record<number, DateFormat>;
  /** decimal separator of the amount column */
  decimal?: '.' | ',' | 'auto';
}

/** Counts behind a file's summary warnings: summed over ranges, then worded once (fileWarnings). */
export interface FileTallies {
  unlabelled: number;
  unlabelledExamples: string[];
  badLabelDates: number;
  labelColumn?: string;
  labelDateColumn?: string;
  conflicts: number;
  conflictLines: string[];
  /** the order id column exact duplicates are checked on (in BuildFeatures) */
  duplicateColumn?: string;
  /** the customer id column of a customers file checked for conflicting rows in BuildFeatures */
  customerColumn?: string;
  /** JSON Lines keys first seen after the header was fixed */
  ignoredKeys: string[];
}

export function newTallies(): FileTallies {
  return {
    unlabelled: 0,
    unlabelledExamples: [],
    badLabelDates: 0,
    conflicts: 0,
    conflictLines: [],
    ignoredKeys: [],
  };
}

/** The head of a file as the plan read it: layout, header and decisions, or the file-level error. */
export interface FileHead {
  report: FileReport;
  layout?: TableLayout;
  names?: string[];
  decisions: FileDecisions | null;
  /** the head read reached the end of the file */
  complete: boolean;
}

/** Thrown from the row visitor once the plan has what it needs from a file's head. */
const HEAD_READ = Symbol('head read');

/** One file, or its head for the plan, or one planned range of it (lib/ingest/ranges.ts). */
/** Label counts before any row: a whole-snapshot read, a range and a merge each start from these. */
export const emptyOutcomes = (): OutcomeStats => ({
  rows: 0,
  positives: 0,
  dated: 0,
  earliestMs: null,
  latestMs: null,
  unlabelled: 0,
  sources: [],
  labels: [],
});

/** A file's report before any row: what a file never read (or read in parts, then summed) starts from. */
export function emptyFileReport(file: string, kind: string | null): FileReport {
  return {
    file,
    kind,
    rows: { read: 0, accepted: 0, rejected: 0 },
    rejectedByCode: {},
    issues: [],
    flaggedByCode: {},
    flagged: [],
    warnings: [],
    quarantined: false,
  };
}

export async function ingestOne(
  source: IngestSource,
  settings: FileSettings | undefined,
  shared: SharedState,
  mode: FileMode = { kind: 'whole' },
  head?: FileHead,
): Promise<FileReport> {
  const report = emptyFileReport(source.file, settings?.kind ?? null);
  const tallies = newTallies();
  const decisions: FileDecisions =
    mode.kind === 'range' && mode.decisions !== null
      ? {
          dates: { ...mode.decisions.dates },
          ...(mode.decisions.decimal ? { decimal: mode.decisions.decimal } : {}),
        }
      : { dates: {} };
  const reject = (issue: Issue): void => {
    report.rows.rejected++;
    report.rejectedByCode[issue.code] = (report.rejectedByCode[issue.code] ?? 0) + 1;
    if (report.issues.length < MAX_ISSUES_KEPT) report.issues.push(issue);
  };
  const flag = (issue: Issue): void => {
    report.flaggedByCode[issue.code] = (report.flaggedByCode[issue.code] ?? 0) + 1;
    if (report.flagged.length < MAX_ISSUES_KEPT) report.flagged.push(issue);
  };
  const accept = (): void => {
    report.rows.accepted++;
  };

  let ctx: FileContext | null = null;
  let handleRow: RowHandler | null = null;
  let spanRow: SpanRowHandler | null = null;
  // rows held back until date format and decimal separator are inferred from a sample of the file
  let pendingRows: { fields: string[]; line: number }[] | null = [];
  const planning = mode.kind === 'plan';

  const decide = (): void => {
    if (!ctx || handleRow) return;
    const held = pendingRows ?? [];
    pendingRows = null;
    handleRow = makeRowHandler(ctx, held);
    if (!planning && fastPathEnabled) spanRow = ctx.spanRow ?? null;
    // the plan only wants the decisions; the rows are read again by the ranges
    if (!planning) for (const r of held) handleRow(r.fields, r.line);
  };

  // backpressure: wait for part uploads between input chunks, so a slow store never lets parts pile up
  const open = async (): Promise<AsyncIterable<Uint8Array>> => {
    const chunks = await source.open();
    return (async function* () {
      for await (const chunk of chunks) {
        await shared.partitioner.drain();
        yield chunk;
      }
    })();
  };

  const read = mode.kind === 'range' ? mode.read : undefined;
  let complete = false;
  try {
    const info = await readTable(
      await open(),
      {
        file: source.file,
        format: read?.format ?? settings?.format,
        delimiter: read?.delimiter ?? settings?.delimiter,
        encoding: read?.encoding ?? settings?.encoding,
        header: settings?.header,
        columns: settings?.columns,
        allowEmpty: settings?.allowEmpty,
        ...(read ? { range: { names: read.names, firstLine: read.firstLine, first: read.first } } : {}),
      },
      {
        layout(layout) {
          if (head) head.layout = layout;
        },
        header(names) {
          if (head) head.names = [...names];
          const mapping = mapColumns(names, {
            kind: settings?.kind ?? kindNamedByFile(source.file),
            overrides: settings?.mapping as Partial<Record<FieldName, string>> | undefined,
            notSensitive: settings?.notSensitive,
            file: source.file,
          });
          report.kind = mapping.kind;
          const audit = governColumns(mapping, names, settings, report);
          const label =
            mapping.kind === 'customers' ? labelColumn(mapping, names, shared, report) : undefined;
          ctx = {
            file: source.file,
            kind: mapping.kind,
            mapping,
            header: names,
            settings,
            shared,
            report,
            reject,
            flag,
            accept,
            audit,
            tallies,
            decisions,
            preset: mode.kind === 'range' && mode.decisions !== null,
            ...(label ? { label } : {}),
          };
          // the plan's decisions stand for the whole file: no rows are held back to infer them
          if (ctx.preset) decide();
          // only the columns used are materialised: long unused text columns cost no strings
          const used = new Set<number>(Object.values(mapping.fields));
          if (mapping.kind === 'customers') for (const a of mapping.attributes) used.add(a.index);
          for (const a of audit) used.add(a.index);
          if (label) used.add(label.index);
          if (label?.dateIndex !== undefined) used.add(label.dateIndex);
          return [...used].sort((a, b) => a - b);
        },
        row(fields, line) {
          if (handleRow) {
            handleRow(fields, line);
            return;
          }
          pendingRows!.push({ fields: [...fields], line });
          if (pendingRows!.length >= DATE_SAMPLE_ROWS) {
            decide();
            if (planning) throw HEAD_READ;
          }
        },
        spans(text, starts, ends, line) {
          return spanRow?.(text, starts, ends, line) === true;
        },
        issue(issue) {
          reject(issue);
        },
      },
    );
    complete = true;
    decide();
    report.format = info.format;
    report.encoding = info.encoding;
    report.rows.read = info.rowsRead;
    if (info.ignoredKeys?.length) tallies.ignoredKeys.push(...info.ignoredKeys);
  } catch (error) {
    if (error === HEAD_READ) {
      // the plan stops here: the ranges read the rest
    } else {
      if (!(error instanceof InputFileError)) throw error;
      report.quarantined = true;
      report.fileError = error.issue;
    }
  }
  if (head) {
    head.report = report;
    head.complete = complete;
    head.decisions = report.quarantined ? null : decisions;
    return report;
  }
  if (!report.quarantined && report.rows.read !== report.rows.accepted + report.rows.rejected) {
    // the accounting invariant is part of the product's promise: never ship a silent drop
    throw new Error(
      `row accounting mismatch in ${source.file}: read ${report.rows.read}, accepted ${report.rows.accepted}, rejected ${report.rows.rejected}`,
    );
  }
  if (mode.kind === 'range') report.tallies = tallies;
  else report.warnings.push(...fileWarnings(tallies, report.flaggedByCode));
  return report;
}

/** The summary warnings of a whole file, from its counts (after its ranges are merged). */
export function fileWarnings(t: FileTallies, flaggedByCode: Record<string, number>): string[] {
  const out: string[] = [];
  if (t.unlabelled > 0)
    out.push(
      `${t.unlabelled} row(s) have an empty or unrecognised "${t.labelColumn}" label${
        t.unlabelledExamples.length ? ` (e.g. ${t.unlabelledExamples.map((e) => `"${e}"`).join(', ')})` : ''
      }: those customers are scored but not used to train the supplied-outcome model`,
    );
  if (t.badLabelDates > 0)
    out.push(
      `${t.badLabelDates} row(s) have an outcome date in "${t.labelDateColumn}" that is not a valid date: their label is kept without a date`,
    );
  if (t.conflicts > 0)
    out.push(
      `${t.conflicts} customer(s) appear more than once with different attributes (${t.conflictLines.join(', ')}${t.conflicts > t.conflictLines.length ? ', …' : ''}); the last row of each is kept`,
    );
  if (t.ignoredKeys.length)
    out.push(`keys first seen after the first record are not read: ${t.ignoredKeys.slice(0, 10).join(', ')}`);
  if (flaggedByCode['formula-like-value'])
    out.push(
      `${flaggedByCode['formula-like-value']} cell(s) start like a spreadsheet formula; the rows are kept, the values stay text, and every export neutralises them`,
    );
  return out;
}

/**
 * A file named for a list (suppressions, seeds, outcomes) is that list even when its headers look like a
 * CRM export (email, phone, country): the name is the marketer's explicit word, headers only a guess.
 */
function kindNamedByFile(file: string): InputKind | undefined {
  const kind = detectKindFromFileName(file);
  return kind === 'suppressions' || kind === 'seeds' || kind === 'outcomes' ? kind : undefined;
}

/**
 * Governance at the door: sensitive columns never reach a feature. Those declared audit-only (with a
 * purpose and a legal basis) are kept apart in audit parts; the others are dropped with a warning.
 */
function governColumns(
  mapping: ColumnMapping,
  header: readonly string[],
  settings: FileSettings | undefined,
  report: FileReport,
): { name: string; index: number }[] {
  const declared = settings?.auditOnly ?? [];
  const audit: { name: string; index: number }[] = [];
  for (const d of declared) {
    const index = header.indexOf(d.column);
    if (index < 0) {
      report.warnings.push(`audit-only column "${d.column}" is declared in the config but not in the file`);
      continue;
    }
    audit.push({ name: d.column, index });
    report.warnings.push(
      `column "${d.column}" is kept for audit only (purpose: ${d.purpose}; legal basis: ${d.legalBasis}); it is never a feature and never published`,
    );
  }
  for (const s of mapping.sensitive) {
    if (audit.some((a) => a.index === s.index)) continue;
    report.warnings.push(
      `column "${s.name}" looks like sensitive data (${s.category}); it is dropped and never used as a feature. To keep it for an audit-only use, declare it in files[].auditOnly with a purpose and a legal basis`,
    );
  }
  // a declared audit-only column is never a CRM attribute either
  mapping.attributes = mapping.attributes.filter((a) => !audit.some((x) => x.index === a.index));
  return audit;
}

/**
 * The label column of a customers file (configured, mapped as `label`, or found by its name): it is
 * taken out of the attributes, so it never becomes a feature, and written as outcomes instead.
 */
function labelColumn(
  mapping: ColumnMapping,
  header: readonly string[],
  shared: SharedState,
  report: FileReport,
): LabelColumn | undefined {
  const p = shared.propensity;
  const configured = p?.label;
  const mapped = mapping.fields.label;
  const index = mapped ?? labelColumnIndex(header, configured?.column, p?.detectLabel ?? true);
  if (index >= 0 && p && !p.enabled) {
    // an outcome must not shape segments either: set aside, unused, while propensity is off
    mapping.attributes = mapping.attributes.filter((a) => a.index !== index);
    report.warnings.push(
      `column "${header[index]}" looks like an outcome label; propensity is disabled, so it is not used at all (not a feature either)`,
    );
    return undefined;
  }
  if (index < 0) {
    if (configured)
      report.warnings.push(
        `propensity.label.column "${configured.column}" is not a column of this customers file; no labels were read from it`,
      );
    return undefined;
  }
  let dateIndex: number | undefined;
  if (configured?.dateColumn) {
    const at = labelColumnIndex(header, configured.dateColumn, false);
    if (at >= 0) dateIndex = at;
    else
      report.warnings.push(
        `propensity.label.dateColumn "${configured.dateColumn}" is not a column of this customers file; the labels have no date`,
      );
  }
  // neither the label nor its date is ever an attribute (feature) or a mapped descriptive field
  mapping.attributes = mapping.attributes.filter((a) => a.index !== index && a.index !== dateIndex);
  for (const [field, at] of Object.entries(mapping.fields) as [FieldName, number][]) {
    if (field !== 'customerId' && field !== 'label' && (at === index || at === dateIndex))
      delete mapping.fields[field];
  }
  const lower = (values: readonly string[]) => new Set(values.map((v) => v.trim().toLowerCase()));
  const positive = configured?.positive ? lower(configured.positive) : LABEL_YES;
  const negative = configured?.negative ? lower(configured.negative) : configured?.positive ? null : LABEL_NO;
  const how = configured
    ? 'set in propensity.label'
    : mapped !== undefined
      ? 'mapped as label'
      : 'found by its name (set propensity.label to choose another column, or propensity.detectLabel: false to keep it as an attribute)';
  const shown = configured?.positive ? configured.positive.join(', ') : 'yes, true, 1 and the like';
  const source = `${report.file}: column "${header[index]}" (positive: ${shown})${
    dateIndex === undefined ? '' : `, dated by "${header[dateIndex]}"`
  }, ${how}`;
  shared.outcomes.sources.push(source);
  if (!shared.outcomes.labels.includes(header[index]))
    shared.outcomes.labels.push(
      configured?.positive ? `${header[index]} = ${configured.positive.join(' / ')}` : header[index],
    );
  report.warnings.push(
    `column "${header[index]}" is the propensity label (positive: ${shown}): it trains the supplied-outcome model and is never a feature; ${how}`,
  );
  return { index, ...(dateIndex === undefined ? {} : { dateIndex }), positive, negative };
}

/** Adds one labelled row to the run's outcome counts. */
function countOutcome(stats: OutcomeStats, label: number, ts: number): void {
  stats.rows++;
  stats.positives += label;
  if (Number.isNaN(ts)) return;
  stats.dated++;
  if (stats.earliestMs === null || ts < stats.earliestMs) stats.earliestMs = ts;
  if (stats.latestMs === null || ts > stats.latestMs) stats.latestMs = ts;
}

const CONSENT_YES = new Set([
  '1',
  'true',
  'yes',
  'y',
  'opted_in',
  'opted-in',
  'subscribed',
  'granted',
  'consented',
]);
const CONSENT_NO = new Set([
  '0',
  'false',
  'no',
  'n',
  'opted_out',
  'opted-out',
  'unsubscribed',
  'denied',
  'refused',
]);

function consentFlag(text: string | undefined): number {
  if (text === undefined) return 2;
  const t = text.trim().toLowerCase();
  if (CONSENT_YES.has(t)) return 1;
  if (CONSENT_NO.has(t)) return 0;
  return 2;
}

const LABEL_YES = new Set(['1', 'true', 'yes', 'y', 't', 'converted', 'positive', 'churned']);
const LABEL_NO = new Set(['0', 'false', 'no', 'n', 'f', 'negative']);
const ERASE = /eras|delet|forget|gdpr|rtbf|dsar/i;
const PURCHASE_EVENT = /^(|purchase|order|sale|transaction|charge|payment|refund|return)$/i;

function makeRowHandler(ctx: FileContext, sample: readonly { fields: string[] }[]): RowHandler {
  switch (ctx.kind) {
    case 'transactions':
      return transactionHandler(ctx, sample);
    case 'customers':
      return customerHandler(ctx, sample);
    case 'outcomes':
      return outcomeHandler(ctx, sample);
    case 'seeds':
      return seedHandler(ctx);
    case 'suppressions':
      return suppressionHandler(ctx, sample);
  }
}

/** Date format of a column: from the config, else inferred from the sample (throws when ambiguous). */
function dateFormatFor(
  ctx: FileContext,
  column: number | undefined,
  sample: readonly { fields: string[] }[],
): DateFormat {
  if (ctx.settings?.dateFormat) return ctx.settings.dateFormat;
  if (column === undefined) return 'iso';
  const decided = ctx.decisions.dates[column];
  if (ctx.preset && decided !== undefined) return decided;
  const values: string[] = [];
  for (const r of sample) {
    const v = (r.fields[column] ?? '').trim();
    if (v) values.push(v);
  }
  const format = inferDateFormat(values, {
    dayFirst: ctx.settings?.dayFirst,
    column: ctx.header[column],
    file: ctx.file,
  }).format;
  ctx.decisions.dates[column] = format;
  return format;
}

function dateRangeIssue(
  ctx: FileContext,
  ts: number,
  line: number,
  column: number,
  raw: string,
): Issue | null {
  const latest = ctx.shared.now + DAY_MS;
  if (ts <= latest && ts >= EARLIEST_MS) return null;
  const future = ts > latest;
  return makeIssue(
    future ? 'date-in-future' : 'date-out-of-range',
    future ? 'The date is in the future.' : 'The date is before 1990.',
    { file: ctx.file, line, column: ctx.header[column], value: raw },
    {
      expected: `a date between 1990-01-01 and ${new Date(ctx.shared.now).toISOString().slice(0, 10)}`,
      fix: 'check the date column, its format (dayFirst/dateFormat) and the time zone of the export',
    },
  );
}

/**
 * An optional date cell (a CRM signup date, an outcome date): NaN when the column is absent or the cell
 * empty, undefined once the row has been rejected for it (not a date, or out of range).
 */
function optionalDate(
  ctx: FileContext,
  parseDate: ReturnType<typeof makeDateParser> | null,
  fields: readonly string[],
  at: number | undefined,
  line: number,
  what: string,
): number | undefined {
  if (parseDate === null || at === undefined || fields[at].trim() === '') return Number.NaN;
  const ts = parseDate(fields[at]);
  const bad = Number.isNaN(ts)
    ? makeIssue(
        'invalid-date',
        `The ${what} date is not a valid date.`,
        { file: ctx.file, line, column: ctx.header[at], value: fields[at] },
        { expected: 'one date format per column', fix: 'correct or empty the date' },
      )
    : dateRangeIssue(ctx, ts, line, at, fields[at]);
  if (bad === null) return ts;
  ctx.reject(bad);
  return undefined;
}

/** Customer key of a row: the id column, else the lower-cased email (as the typed parser does). */
function keyReader(ctx: FileContext): (fields: readonly string[]) => string {
  const f = ctx.mapping.fields;
  if (f.customerId !== undefined) {
    const at = f.customerId;
    return (fields) => (fields[at] ?? '').trim();
  }
  if (f.email !== undefined) {
    const at = f.email;
    return (fields) => emailKey((fields[at] ?? '').trim());
  }
  return () => '';
}

/**
 * A customer known only by email gets a pseudonymous id derived from it, so the raw address never
 * becomes a customer id in shards, exports or memberships; the address itself stays in identities.
 */
export function emailKey(email: string): string {
  if (email === '') return '';
  return `em-${sha256Hex(email.toLowerCase()).slice(0, 24)}`;
}

function missingIdIssue(ctx: FileContext, line: number): Issue {
  const at = ctx.mapping.fields.customerId ?? ctx.mapping.fields.email;
  return makeIssue(
    'missing-customer-id',
    'The row has no customer id.',
    { file: ctx.file, line, column: at === undefined ? undefined : ctx.header[at] },
    { expected: 'a customer id on every row', fix: 'fill in the id, or remove the row from the export' },
  );
}

function transactionHandler(ctx: FileContext, sample: readonly { fields: string[] }[]): RowHandler {
  const { mapping, settings, shared, file, header } = ctx;
  const f = mapping.fields;
  const amountColumn = f.amount ?? f.unitPrice;
  let decimal = settings?.decimal ?? 'auto';
  if (decimal === 'auto' && amountColumn !== undefined) {
    decimal =
      ctx.preset && ctx.decisions.decimal !== undefined
        ? ctx.decisions.decimal
        : inferDecimalSeparator(
            sample.map((r) => r.fields[amountColumn] ?? ''),
            { column: header[amountColumn], file },
          );
    ctx.decisions.decimal = decimal;
  }
  const dateFormat = dateFormatFor(ctx, f.timestamp, sample);
  const timeZone = settings?.timeZone ?? 'UTC';
  const parse = makeTransactionParser(mapping, {
    file,
    dateFormat,
    timeZone,
    decimal,
    header,
    onFormula: ctx.flag,
  });
  const values = emptyTransaction();
  const row: TransactionRow = {
    customerId: '',
    orderId: '',
    category: '',
    channel: '',
    eventType: '',
    timestampMs: 0,
    amount: 0,
    quantity: 0,
    discount: 0,
    isReturn: 0,
    duplicateKey: 0,
    origin: 0,
  };
  // Exact repeats are only recognisable with an order id: two identical purchases on one day without
  // one (CDNOW) are two purchases. Product and quantity join the key so order lines stay distinct.
  const dedupe = shared.duplicates !== null && f.orderId !== undefined ? shared.duplicates : null;
  // a range cannot see the other ranges' rows: it only fingerprints, and BuildFeatures, where all of a
  // customer's rows meet, keeps the first occurrence (lib/ingest/duplicates.ts)
  const fingerprint = shared.fingerprints === true && f.orderId !== undefined;
  if (fingerprint) ctx.tallies.duplicateColumn = header[f.orderId!];
  const originBase = (shared.fileIndex ?? 0) * 2 ** 32;
  const identities = identityWriter(ctx);
  const byEmail = f.customerId === undefined;
  const eventAt = f.eventType;
  const amountAt = f.amount;
  let shadow: string[] | null = null;
  const audit = auditWriter(ctx);
  if (!byEmail && audit === null && amountAt !== undefined && decimal !== ',' && f.timestamp !== undefined)
    ctx.spanRow = transactionSpanRow(ctx, {
      parseDate: makeDateParser(dateFormat, { timeZone }),
      iso: dateFormat === 'iso',
      utc: timeZone === 'UTC' || timeZone === 'Etc/UTC',
      decimal,
      row,
      dedupe,
      fingerprint,
      originBase,
      identities,
    });

  return (fields, line) => {
    let input = fields;
    // Non-purchase events (page views, sign-ins) carry no amount: read them as 0 rather than reject.
    if (eventAt !== undefined && amountAt !== undefined && fields[amountAt].trim() === '') {
      if (!PURCHASE_EVENT.test(fields[eventAt].trim())) {
        shadow ??= [];
        shadow.length = 0;
        for (let i = 0; i < fields.length; i++) shadow.push(fields[i]);
        shadow[amountAt] = '0';
        input = shadow;
      }
    }
    const issue = parse(input, line, values);
    if (issue !== null) {
      ctx.reject(issue);
      return;
    }
    if (byEmail) values.customerId = emailKey(values.customerId);
    const range = dateRangeIssue(ctx, values.timestampMs, line, f.timestamp!, fields[f.timestamp!]);
    if (range !== null) {
      ctx.reject(range);
      return;
    }
    row.duplicateKey = 0;
    if (dedupe !== null || fingerprint) {
      // Hashed field by field: building the key as text cost a fifth of the stage (number formatting)
      let a = hashPart(values.customerId, 0x811c9dc5);
      let b = hashPart(values.customerId, 0x5bd1e995);
      a = hashPart(values.orderId, mixNumber(a, values.timestampMs));
      b = hashPart(values.orderId, mixNumber(b, values.timestampMs));
      a = mixNumber(hashPart(values.productId, mixNumber(a, values.amount)), values.quantity);
      b = mixNumber(hashPart(values.productId, mixNumber(b, values.amount)), values.quantity);
      if (fingerprint) {
        row.duplicateKey = duplicateKey(fmix32(a), fmix32(b));
        row.origin = originBase + line;
      } else if (!dedupe!.addHashes(fmix32(a), fmix32(b))) {
        ctx.reject(
          makeIssue(
            'duplicate-row',
            'The row repeats an earlier row (same customer, time, amount, order and product); the repeat is not counted twice.',
            {
              file,
              line,
              column: f.orderId === undefined ? undefined : header[f.orderId],
              value: values.orderId,
            },
            {
              expected: 'each order line once',
              fix: 'remove the repeated rows or overlapping exports; set "duplicateRows": "keep" in the dataset config if repeats are real',
            },
          ),
        );
        return;
      }
    }
    const eventType = values.eventType;
    row.customerId = values.customerId;
    row.orderId = values.orderId;
    row.category = values.category;
    row.channel = values.channel;
    row.eventType = PURCHASE_EVENT.test(eventType) ? '' : eventType.toLowerCase();
    row.timestampMs = values.timestampMs;
    row.amount = Math.abs(values.amount);
    row.quantity = Number.isNaN(values.quantity) ? Number.NaN : Math.abs(values.quantity);
    row.discount = f.discount === undefined ? Number.NaN : Math.abs(values.discount);
    row.isReturn = values.isReturn ? 1 : 0;
    shared.partitioner.addTransaction(row);
    identities?.(fields, values.customerId);
    audit?.(fields, values.customerId);
    ctx.accept();
  };
}

/**
 * The transaction handler's fast path, for rows given as spans (unquoted delimited rows): the usual row
 * (an id, a plain date, plain numbers, text without surrounding blanks or formula signs, no repeat) is
 * typed straight from the text, with one string for the order id and shared copies of the categorical
 * values. Any other row is declined before anything is changed, and the general handler reads it, so
 * results, issues and flags are the general path's by construction (test/unit/ingest/span-path.test.ts).
 */
function transactionSpanRow(
  ctx: FileContext,
  o: {
    parseDate: (text: string) => number;
    iso: boolean;
    utc: boolean;
    decimal: '.' | ',' | 'auto';
    row: TransactionRow;
    dedupe: FingerprintSet | null;
    fingerprint: boolean;
    originBase: number;
    identities: IdentityWriter | null;
  },
): SpanRowHandler {
  const f = ctx.mapping.fields;
  const { parseDate, iso, utc, row, dedupe, fingerprint, originBase, identities } = o;
  const amountOptions = { decimal: o.decimal };
  const idAt = f.customerId!;
  const tsAt = f.timestamp!;
  const amountAt = f.amount!;
  const quantityAt = f.quantity ?? -1;
  const discountAt = f.discount ?? -1;
  const orderAt = f.orderId ?? -1;
  const productAt = f.productId ?? -1;
  const categoryAt = f.category ?? -1;
  const channelAt = f.channel ?? -1;
  const eventAt = f.eventType ?? -1;
  const statusAt = f.status ?? -1;
  const latest = ctx.shared.now + DAY_MS;
  const categories = new SpanInterner();
  const channels = new SpanInterner();
  const events = new SpanInterner();
  const statuses = new SpanInterner();
  const eventTypes = new Map<string, string>();
  const returnStatuses = new Map<string, boolean>();
  // the identity writer reads these columns; the others stay '' as the general path hands them
  const identityColumns = [f.email, f.phone, f.country, f.consentEmail, f.consentSms, f.consentAds].filter(
    (at): at is number => at !== undefined,
  );
  const materialised: string[] = new Array(ctx.header.length).fill('');
  let lastId = '';
  // memos of the last value seen (customer hash, status, event type)
  let hashedId: string | null = null;
  let idHashA = 0;
  let idHashB = 0;
  let lastStatus: string | null = null;
  let lastReturned = false;
  let lastEvent: string | null = null;
  let lastStored = '';
  const counts = ctx.report.rows;
  /** rows accepted + rejected once the last fast row was taken */
  let settled = -1;

  /** A plain number (or any amount the general parser reads) at column k; NaN otherwise. */
  const amountAtColumn = (text: string, k: number, starts: Int32Array, ends: Int32Array): number => {
    const s = starts[k];
    const e = ends[k];
    const v = plainSpanValue(text, s, e);
    if (!Number.isNaN(v) || e === s) return v;
    return parseAmount(text.slice(s, e), amountOptions);
  };
  /** The field at k needs no trim and cannot be read as a formula (an absent column passes). */
  const plain = (text: string, k: number, starts: Int32Array, ends: Int32Array): boolean => {
    if (k < 0) return true;
    const s = starts[k];
    const e = ends[k];
    if (e === s) return true;
    const c = text.charCodeAt(s);
    if (c === 61 || c === 64 || c === 43 || c === 45 || isTrimmed(c)) return false;
    return !isTrimmed(text.charCodeAt(e - 1));
  };

  const textColumns = Int32Array.from(
    [orderAt, productAt, categoryAt, channelAt, eventAt, statusAt].filter((k) => k >= 0),
  );

  return function spanRow(text, starts, ends, line) {
    const idStart = starts[idAt];
    const idEnd = ends[idAt];
    if (idEnd === idStart || !plain(text, idAt, starts, ends)) return false;
    let ts = iso ? isoSpanMs(text, starts[tsAt], ends[tsAt], utc) : Number.NaN;
    if (Number.isNaN(ts)) {
      ts = parseDate(text.slice(starts[tsAt], ends[tsAt]));
      if (Number.isNaN(ts)) return false;
    }
    if (ts > latest || ts < EARLIEST_MS) return false;
    let quantity = Number.NaN;
    if (quantityAt >= 0) {
      quantity = amountAtColumn(text, quantityAt, starts, ends);
      if (Number.isNaN(quantity)) return false;
    }
    let amount = amountAtColumn(text, amountAt, starts, ends);
    if (Number.isNaN(amount)) return false;
    let discount = 0;
    if (discountAt >= 0 && ends[discountAt] > starts[discountAt]) {
      discount = amountAtColumn(text, discountAt, starts, ends);
      if (Number.isNaN(discount)) return false;
    }
    // the text columns, checked in one loop (no call per column)
    for (let j = 0; j < textColumns.length; j++) {
      const k = textColumns[j];
      const s = starts[k];
      const e = ends[k];
      if (e === s) continue;
      const c = text.charCodeAt(s);
      if (c === 61 || c === 64 || c === 43 || c === 45 || isTrimmed(c) || isTrimmed(text.charCodeAt(e - 1)))
        return false;
    }
    // the order id stays a span: it is hashed, checked and buffered from the text
    const orderStart = orderAt < 0 ? 0 : starts[orderAt];
    const orderEnd = orderAt < 0 ? 0 : ends[orderAt];
    // shared copies: the same value is the same string, so the memos below compare pointers
    const status = statusAt < 0 ? '' : statuses.get(text, starts[statusAt], ends[statusAt]);
    if (status !== lastStatus) {
      let known = returnStatuses.get(status);
      if (known === undefined) {
        known = isReturnStatus(status);
        returnStatuses.set(status, known);
      }
      lastStatus = status;
      lastReturned = known;
    }
    const returned = lastReturned;
    const isReturn =
      quantity < 0 ||
      amount < 0 ||
      // isCancelledOrderId on the span: 'C536379' marks a cancellation
      (orderEnd - orderStart > 1 &&
        (text.charCodeAt(orderStart) | 32) === 99 &&
        text.charCodeAt(orderStart + 1) >= 48 &&
        text.charCodeAt(orderStart + 1) <= 57) ||
      returned;
    if (isReturn && amount > 0) amount = -amount;
    // one string per customer run: rows of a customer usually come together
    let customerId = lastId;
    let same = idEnd - idStart === lastId.length;
    for (let i = 0; same && i < lastId.length; i++)
      same = lastId.charCodeAt(i) === text.charCodeAt(idStart + i);
    if (!same) customerId = text.slice(idStart, idEnd);
    row.duplicateKey = 0;
    if (dedupe !== null || fingerprint) {
      const ps = productAt < 0 ? 0 : starts[productAt];
      const pe = productAt < 0 ? 0 : ends[productAt];
      if (customerId !== hashedId) {
        hashedId = customerId;
        idHashA = hashPart(customerId, 0x811c9dc5);
        idHashB = hashPart(customerId, 0x5bd1e995);
      }
      let a = idHashA;
      let b = idHashB;
      a = hashPartSpan(text, orderStart, orderEnd, mixNumber(a, ts));
      b = hashPartSpan(text, orderStart, orderEnd, mixNumber(b, ts));
      a = mixNumber(hashPartSpan(text, ps, pe, mixNumber(a, amount)), quantity);
      b = mixNumber(hashPartSpan(text, ps, pe, mixNumber(b, amount)), quantity);
      if (fingerprint) {
        row.duplicateKey = duplicateKey(fmix32(a), fmix32(b));
        row.origin = originBase + line;
      } else if (!dedupe!.addHashes(fmix32(a), fmix32(b))) return false; // the general path rejects it
    }
    lastId = customerId;
    const eventType = eventAt < 0 ? '' : events.get(text, starts[eventAt], ends[eventAt]);
    if (eventType !== lastEvent) {
      let known = eventTypes.get(eventType);
      if (known === undefined) {
        known = PURCHASE_EVENT.test(eventType) ? '' : eventType.toLowerCase();
        eventTypes.set(eventType, known);
      }
      lastEvent = eventType;
      lastStored = known;
    }
    const stored = lastStored;
    row.customerId = customerId;
    row.orderId = '';
    row.category = categoryAt < 0 ? '' : categories.get(text, starts[categoryAt], ends[categoryAt]);
    row.channel = channelAt < 0 ? '' : channels.get(text, starts[channelAt], ends[channelAt]);
    row.eventType = stored;
    row.timestampMs = ts;
    row.amount = Math.abs(amount);
    row.quantity = Number.isNaN(quantity) ? Number.NaN : Math.abs(quantity);
    row.discount = discountAt < 0 ? Number.NaN : Math.abs(discount);
    row.isReturn = isReturn ? 1 : 0;
    ctx.shared.partitioner.addTransaction(row, text, orderStart, orderEnd);
    // the previous row read was this customer's, taken here: its identity is known (written or cached)
    const counted = counts.accepted + counts.rejected;
    if (identities !== null && !(same && counted === settled) && !identities.known(customerId)) {
      for (const k of identityColumns) materialised[k] = text.slice(starts[k], ends[k]);
      identities(materialised, customerId);
    }
    ctx.accept();
    settled = counted + 1;
    fastPathTaken++;
    return true;
  };
}

type IdentityWriter = ((fields: readonly string[], customerId: string) => void) & {
  /** the customer's identity row was written recently (transactions files): writing it again is skipped */
  known(customerId: string): boolean;
};

/**
 * Identities (email, phone, country, consent) for activation, written when the file has any of them.
 * A small direct-mapped cache skips repeats of recent customers; later stages merge repeats anyway,
 * so the cache only saves bytes and never has to hold every customer.
 */
function identityWriter(ctx: FileContext): IdentityWriter | null {
  const f = ctx.mapping.fields;
  const has =
    f.email !== undefined ||
    f.phone !== undefined ||
    f.consentEmail !== undefined ||
    f.consentSms !== undefined ||
    f.consentAds !== undefined;
  if (!has) return null;
  const recent = new Int32Array(1 << 16);
  const row: IdentityRow = {
    customerId: '',
    email: '',
    phone: '',
    country: '',
    consentEmail: 2,
    consentSms: 2,
    consentAds: 2,
  };
  const text = (fields: readonly string[], at: number | undefined): string =>
    at === undefined ? '' : (fields[at] ?? '').trim();
  const cached = ctx.kind === 'transactions';
  const known = (customerId: string): boolean => {
    if (!cached) return false;
    const h = hash32(customerId, 0x9747b28c) | 1;
    return recent[h & (recent.length - 1)] === h;
  };
  const write = (fields: readonly string[], customerId: string): void => {
    if (cached) {
      const h = hash32(customerId, 0x9747b28c) | 1;
      const slot = h & (recent.length - 1);
      if (recent[slot] === h) return;
      recent[slot] = h;
    }
    row.customerId = customerId;
    row.email = text(fields, f.email);
    row.phone = text(fields, f.phone);
    row.country = text(fields, f.country);
    row.consentEmail = consentFlag(f.consentEmail === undefined ? undefined : fields[f.consentEmail]);
    row.consentSms = consentFlag(f.consentSms === undefined ? undefined : fields[f.consentSms]);
    row.consentAds = consentFlag(f.consentAds === undefined ? undefined : fields[f.consentAds]);
    ctx.shared.partitioner.addIdentity(row);
  };
  return Object.assign(write, { known });
}

/** Audit-only columns of this file, written apart from anything a model reads. */
function auditWriter(ctx: FileContext): ((fields: readonly string[], customerId: string) => void) | null {
  if (ctx.audit.length === 0) return null;
  ctx.shared.partitioner.defineRecord('audit', ['customerId', ...ctx.audit.map((a) => a.name)], []);
  const strings: string[] = new Array(ctx.audit.length + 1).fill('');
  return (fields, customerId) => {
    strings[0] = customerId;
    for (let j = 0; j < ctx.audit.length; j++) strings[j + 1] = (fields[ctx.audit[j].index] ?? '').trim();
    ctx.shared.partitioner.addRecord('audit', strings, []);
  };
}

/** CRM customers above this many distinct ids are no longer checked for conflicting duplicates. */
const MAX_TRACKED_CUSTOMERS = 2_000_000;

function customerHandler(ctx: FileContext, sample: readonly { fields: string[] }[]): RowHandler {
  const { mapping, file, header, shared } = ctx;
  const f = mapping.fields;
  const readKey = keyReader(ctx);
  const signupAt = f.signupDate;
  const parseDate =
    signupAt === undefined
      ? null
      : makeDateParser(dateFormatFor(ctx, signupAt, sample), { timeZone: ctx.settings?.timeZone ?? 'UTC' });
  // attribute columns: mapped descriptive fields plus unrecognised non-sensitive columns
  const columns: { name: string; index: number }[] = [];
  for (const field of ['country', 'status', 'channel'] as const) {
    const at = f[field];
    if (at !== undefined) columns.push({ name: field, index: at });
  }
  for (const a of mapping.attributes) columns.push({ name: a.name, index: a.index });
  shared.partitioner.defineRecord(
    'customers',
    ['customerId', ...columns.map((c) => c.name)],
    [
      ['line', 'f64'],
      ['signupDateMs', 'f64'],
      // for the conflicting-duplicate check in BuildFeatures (ranged ingest): the file and a hash of
      // the row's attributes and identifiers
      ['file', 'f64'],
      ['attributesHash', 'f64'],
    ],
  );
  const identities = identityWriter(ctx);
  const audit = auditWriter(ctx);
  const labelled = labelWriter(ctx, sample);
  const strings: string[] = new Array(columns.length + 1).fill('');
  const numbers = [0, 0, shared.fileIndex ?? 0, 0];
  const seen = new Map<string, { line: number; hash: number }>();
  const tallies = ctx.tallies;
  // a range sees only its own rows: the shard, where one customer's rows meet, compares them instead
  const inShard = shared.fingerprints !== undefined;
  if (inShard && f.customerId !== undefined) tallies.customerColumn = header[f.customerId];

  const handler: RowHandler = (fields, line) => {
    const id = readKey(fields);
    if (id === '') {
      ctx.reject(missingIdIssue(ctx, line));
      return;
    }
    const signup = optionalDate(ctx, parseDate, fields, signupAt, line, 'signup');
    if (signup === undefined) return;
    strings[0] = id;
    let h = 0x2545f491;
    for (let j = 0; j < columns.length; j++) {
      const v = (fields[columns[j].index] ?? '').trim();
      if (looksLikeFormula(v)) ctx.flag(formulaIssue(v, { file, line, column: header[columns[j].index] })!);
      strings[j + 1] = v;
      h = hash32(v, h);
    }
    for (const at of [f.email, f.phone]) if (at !== undefined) h = hash32(fields[at].trim(), h);
    const before = inShard ? undefined : seen.get(id);
    if (before !== undefined) {
      if (before.hash !== h) {
        tallies.conflicts++;
        if (tallies.conflictLines.length < 10) tallies.conflictLines.push(`lines ${before.line} and ${line}`);
        // the id may be an email: report lines only, never the value
        ctx.flag(
          makeIssue(
            'conflicting-customer',
            `The customer also appears on line ${before.line} with different attributes; the later row (line ${line}) is kept.`,
            { file, line, column: f.customerId === undefined ? undefined : header[f.customerId] },
            {
              expected: 'one row per customer',
              fix: 'deduplicate the CRM export, or check which system of record is right',
            },
          ),
        );
      }
      before.line = line;
      before.hash = h;
    } else if (!inShard && seen.size < MAX_TRACKED_CUSTOMERS) {
      seen.set(id, { line, hash: h });
    }
    numbers[0] = line;
    numbers[1] = signup;
    numbers[3] = h;
    shared.partitioner.addRecord('customers', strings, numbers);
    identities?.(fields, id);
    audit?.(fields, id);
    labelled?.(fields, id, line);
    ctx.accept();
  };
  return handler;
}

/**
 * Writes a customers row's label as an outcome record. A row whose label is empty or not a known value
 * (or whose outcome date is unreadable) stays a customer (scored) but is not trained on: counted, reported.
 */
function labelWriter(
  ctx: FileContext,
  sample: readonly { fields: string[] }[],
): ((fields: readonly string[], id: string, line: number) => void) | null {
  const label = ctx.label;
  if (!label) return null;
  const { header, shared } = ctx;
  const dateAt = label.dateIndex;
  const parseDate =
    dateAt === undefined
      ? null
      : makeDateParser(dateFormatFor(ctx, dateAt, sample), { timeZone: ctx.settings?.timeZone ?? 'UTC' });
  const strings = [''];
  const numbers = [0, Number.NaN];
  const tallies = ctx.tallies;
  tallies.labelColumn = header[label.index];
  tallies.labelDateColumn = header[dateAt ?? 0];
  const examples = tallies.unlabelledExamples;
  return (fields, id, line) => {
    const raw = (fields[label.index] ?? '').trim();
    const t = raw.toLowerCase();
    const value = label.positive.has(t)
      ? 1
      : t === ''
        ? -1
        : label.negative === null
          ? 0
          : label.negative.has(t)
            ? 0
            : -1;
    if (value < 0) {
      tallies.unlabelled++;
      shared.outcomes.unlabelled++;
      if (raw !== '' && examples.length < 3 && !examples.includes(raw.slice(0, 20)))
        examples.push(raw.slice(0, 20));
      return;
    }
    let ts = Number.NaN;
    if (parseDate !== null && dateAt !== undefined && (fields[dateAt] ?? '').trim() !== '') {
      ts = parseDate(fields[dateAt]);
      if (Number.isNaN(ts) || dateRangeIssue(ctx, ts, line, dateAt, fields[dateAt]) !== null) {
        ts = Number.NaN;
        tallies.badLabelDates++;
      }
    }
    strings[0] = id;
    numbers[0] = value;
    numbers[1] = ts;
    shared.partitioner.addRecord('outcomes', strings, numbers);
    countOutcome(shared.outcomes, value, ts);
  };
}

function outcomeHandler(ctx: FileContext, sample: readonly { fields: string[] }[]): RowHandler {
  const { mapping, file, header, shared } = ctx;
  const f = mapping.fields;
  const readKey = keyReader(ctx);
  const labelAt = f.label!;
  const dateAt = f.timestamp;
  shared.outcomes.sources.push(
    `${file}: outcomes file, column "${header[labelAt]}"${dateAt === undefined ? '' : `, dated by "${header[dateAt]}"`}`,
  );
  if (!shared.outcomes.labels.includes(header[labelAt])) shared.outcomes.labels.push(header[labelAt]);
  const parseDate =
    dateAt === undefined
      ? null
      : makeDateParser(dateFormatFor(ctx, dateAt, sample), { timeZone: ctx.settings?.timeZone ?? 'UTC' });
  const strings = [''];
  const numbers = [0, Number.NaN];
  return (fields, line) => {
    const id = readKey(fields);
    if (id === '') {
      ctx.reject(missingIdIssue(ctx, line));
      return;
    }
    const raw = fields[labelAt].trim();
    const t = raw.toLowerCase();
    const label = LABEL_YES.has(t) ? 1 : LABEL_NO.has(t) ? 0 : -1;
    if (label < 0) {
      ctx.reject(
        makeIssue(
          'invalid-label',
          'The outcome label is not a yes/no value.',
          { file, line, column: header[labelAt], value: raw },
          { expected: '1 or 0 (also true/false, yes/no)', fix: 'correct the label or remove the row' },
        ),
      );
      return;
    }
    const ts = optionalDate(ctx, parseDate, fields, dateAt, line, 'outcome');
    if (ts === undefined) return;
    strings[0] = id;
    numbers[0] = label;
    numbers[1] = ts;
    shared.partitioner.addRecord('outcomes', strings, numbers);
    countOutcome(shared.outcomes, label, ts);
    ctx.accept();
  };
}

function seedHandler(ctx: FileContext): RowHandler {
  const f = ctx.mapping.fields;
  const strings = ['', '', ''];
  return (fields, line) => {
    const hashed = hashRow(ctx, fields);
    if (hashed === null) {
      ctx.reject(noIdentifierIssue(ctx, line));
      return;
    }
    strings[0] = f.customerId === undefined ? '' : fields[f.customerId].trim();
    strings[1] = hashed.emailSha256 ?? '';
    strings[2] = hashed.phoneSha256 ?? '';
    // sharded by the customer id; a seed known only by a hashed identifier goes by that hash
    ctx.shared.partitioner.addRecord(
      'seeds',
      strings,
      [],
      shardOfKey(strings[0] || strings[1] || strings[2], ctx.shared.partitioner.shardCount),
    );
    ctx.accept();
  };
}

function suppressionHandler(ctx: FileContext, sample: readonly { fields: string[] }[]): RowHandler {
  const { mapping, file, header } = ctx;
  const f = mapping.fields;
  const dateAt = f.timestamp;
  const parseDate =
    dateAt === undefined
      ? null
      : makeDateParser(dateFormatFor(ctx, dateAt, sample), { timeZone: ctx.settings?.timeZone ?? 'UTC' });
  const fileSaysErase = ERASE.test(file);
  const strings = ['', '', '', ''];
  const numbers = [Number.NaN];
  return (fields, line) => {
    const hashed = hashRow(ctx, fields);
    if (hashed === null) {
      ctx.reject(noIdentifierIssue(ctx, line));
      return;
    }
    let ts = Number.NaN;
    if (parseDate !== null && dateAt !== undefined && fields[dateAt].trim() !== '') {
      ts = parseDate(fields[dateAt]);
      if (Number.isNaN(ts)) {
        ctx.reject(
          makeIssue(
            'invalid-date',
            'The request date is not a valid date.',
            { file, line, column: header[dateAt], value: fields[dateAt] },
            { expected: 'one date format per column', fix: 'correct or empty the date' },
          ),
        );
        return;
      }
    }
    const type = f.suppressionType === undefined ? '' : fields[f.suppressionType];
    strings[0] = f.customerId === undefined ? '' : fields[f.customerId].trim();
    strings[1] = hashed.emailSha256 ?? '';
    strings[2] = hashed.phoneSha256 ?? '';
    strings[3] = ERASE.test(type) || (type.trim() === '' && fileSaysErase) ? 'erase' : 'suppress';
    numbers[0] = ts;
    // run level: a suppression named only by email belongs to no shard until it is matched
    ctx.shared.partitioner.addRecord('suppressions', strings, numbers, RUN_LEVEL);
    ctx.accept();
  };
}

/** Hashes the row's email/phone (raw values are never stored); null when the row names nobody. */
function hashRow(
  ctx: FileContext,
  fields: readonly string[],
): { emailSha256?: string; phoneSha256?: string } | null {
  const f = ctx.mapping.fields;
  const id = f.customerId === undefined ? '' : fields[f.customerId].trim();
  const email = f.email === undefined ? '' : fields[f.email].trim();
  const phone = f.phone === undefined ? '' : fields[f.phone].trim();
  const country = f.country === undefined ? '' : fields[f.country].trim();
  const hashed =
    email || phone ? hashIdentity({ customerId: id, email, phone, country }) : { customerId: id };
  if (id === '' && hashed.emailSha256 === undefined && hashed.phoneSha256 === undefined) return null;
  return hashed;
}

function noIdentifierIssue(ctx: FileContext, line: number): Issue {
  return makeIssue(
    'missing-identifier',
    'The row names no customer: no customer id, and no valid email or phone number.',
    { file: ctx.file, line },
    {
      expected: 'a customer id, an email address or a phone number (with country code) on every row',
      fix: 'fill in one identifier or remove the row',
    },
  );
}

/** A seed known only by a hashed identifier goes to that key's shard, by the customers' own rule. */
function shardOfKey(key: string, shardCount: number): number {
  return shardOf(key, shardCount);
}

/** FNV-1a of a string from a seed, unsigned. */
function hash32(text: string, seed: number): number {
  return fnv1aFrom(seed >>> 0, text) >>> 0;
}

/** The 53-bit fingerprint FingerprintSet stores, from two 32-bit hashes; never 0. */
export function duplicateKey(hashA: number, hashB: number): number {
  return (hashA >>> 0) * 2_097_152 + (hashB & 0x1fffff) + 1;
}

/**
 * A set of 53-bit fingerprints in one fixed Float64Array (open addressing): memory stays flat whatever
 * the input. When it is half full it starts over, so repeats are caught exactly within windows of
 * capacity/2 rows (2,097,152 by default) — overlapping exports and repeated pages, not repeats millions
 * of rows apart. False matches: about n²/2⁵⁴, under one in 4,000 for a full window.
 */
export class FingerprintSet {
  private readonly table: Float64Array;
  private size = 0;
  resets = 0;
  constructor(readonly capacity: number) {
    this.table = new Float64Array(capacity);
  }
  /** Adds the key; false when it was already there. */
  add(key: string): boolean {
    return this.addHashes(hash32(key, 0x811c9dc5), hash32(key, 0x5bd1e995));
  }
  /** Adds a key given as two independent 32-bit hashes of it; false when it was already there. */
  addHashes(hashA: number, hashB: number): boolean {
    const a = hashA >>> 0;
    const b = hashB & 0x1fffff;
    const fp = a * 2_097_152 + b + 1; // never 0, the empty slot
    const mask = this.capacity - 1;
    let slot = (a ^ (b << 11)) & mask;
    for (;;) {
      const v = this.table[slot];
      if (v === 0) break;
      if (v === fp) return false;
      slot = (slot + 1) & mask;
    }
    if (this.size >= this.capacity >>> 1) {
      this.table.fill(0);
      this.size = 0;
      this.resets++;
      slot = (a ^ (b << 11)) & mask;
    }
    this.table[slot] = fp;
    this.size++;
    return true;
  }
}

/** Whether delimited transaction rows may take the span fast path (off: every row goes the general way). */
let fastPathEnabled = true;
/** Rows taken by the span fast path in this process (the equivalence tests check it is exercised). */
let fastPathTaken = 0;
/** For the parse-kernel benchmark and the equivalence tests: compare the fast path with the general one. */
export function setFastPath(enabled: boolean): void {
  fastPathEnabled = enabled;
}
export function fastPathRows(): number {
  return fastPathTaken;
}
