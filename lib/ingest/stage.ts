// The Ingest stage: reads every dropped file of a dataset snapshot, maps its columns, validates
// each row, and partitions accepted rows by customer into shards. Every row is accounted for
// (read = accepted + rejected, per file); rejected rows carry file, line, column and a reason.
import type { DatasetConfig, FileSettings } from '../config/schema.js';
import { settingsForFile } from '../config/schema.js';
import { InputFileError, type Issue } from './errors.js';
import { type ColumnMapping, type FieldName, mapColumns } from './mapping.js';
import { type IdentityRow, type PartWriter, ShardPartitioner, type TransactionRow } from './partition.js';
import { readTable } from './read/index.js';
import { inferDateFormat, makeDateParser, parseAmount } from './values.js';

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
  rows: { read: number; accepted: number; rejected: number };
  /** rejected rows by reason code */
  rejectedByCode: Record<string, number>;
  /** the first issues in full (file, line, column, value, expected, fix) */
  issues: Issue[];
  /** a file-level problem: the file could not be used at all */
  fileError?: Issue;
  warnings: string[];
  quarantined: boolean;
}

export interface IngestReport {
  files: FileReport[];
  rows: { read: number; accepted: number; rejected: number };
  shardCount: number;
  /** latest purchase/event time seen (epoch ms), the default as-of */
  maxEventMs: number | null;
  minEventMs: number | null;
  quarantined: string[];
}

const MAX_ISSUES_KEPT = 200;
const DATE_SAMPLE_ROWS = 2_000;
const DAY_MS = 86_400_000;

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
    this.name = 'InputRejectedError';
  }
}

/** Shards for a snapshot: one per ~32 MiB of input, at least one (configurable). */
export function shardCountFor(totalBytes: number, configured: number): number {
  if (configured > 0) return configured;
  return Math.max(1, Math.min(1000, Math.ceil(totalBytes / (32 * 1024 * 1024))));
}

export async function ingestSources(
  sources: readonly IngestSource[],
  config: DatasetConfig,
  write: PartWriter,
  options: { now?: number } = {},
): Promise<IngestReport> {
  const totalBytes = sources.reduce((s, f) => s + f.size, 0);
  const shardCount = shardCountFor(totalBytes, config.shards);
  const partitioner = new ShardPartitioner(shardCount, write);
  const report: IngestReport = {
    files: [],
    rows: { read: 0, accepted: 0, rejected: 0 },
    shardCount,
    maxEventMs: null,
    minEventMs: null,
    quarantined: [],
  };
  const now = options.now ?? Date.now();
  for (const source of [...sources].sort((a, b) => a.file.localeCompare(b.file))) {
    const fileReport = await ingestOne(source, settingsForFile(config, source.file), partitioner, now);
    if (!fileReport.quarantined && fileReport.rows.read > 0) {
      const rate = fileReport.rows.rejected / fileReport.rows.read;
      if (rate > config.maxRowErrorRate) {
        fileReport.quarantined = true;
        fileReport.fileError = {
          file: source.file,
          code: 'too-many-bad-rows',
          message: `${fileReport.rows.rejected} of ${fileReport.rows.read} rows (${(rate * 100).toFixed(1)} %) were rejected, above the allowed ${(config.maxRowErrorRate * 100).toFixed(1)} %`,
          expected: 'a file whose rows mostly match the mapped columns',
          fix: 'fix the rows listed in this report, or check the column mapping and date format in the dataset config; raise maxRowErrorRate only if these rows really should be skipped',
        };
      }
    }
    report.files.push(fileReport);
    report.rows.read += fileReport.rows.read;
    report.rows.accepted += fileReport.rows.accepted;
    report.rows.rejected += fileReport.rows.rejected;
    if (fileReport.quarantined) report.quarantined.push(source.file);
  }
  await partitioner.close();
  const times = partitioner.eventRange;
  report.maxEventMs = times.max;
  report.minEventMs = times.min;
  return report;
}

interface RowContext {
  file: string;
  mapping: ColumnMapping;
  header: readonly string[];
}

async function ingestOne(
  source: IngestSource,
  settings: FileSettings | undefined,
  partitioner: ShardPartitioner,
  now: number,
): Promise<FileReport> {
  const report: FileReport = {
    file: source.file,
    kind: settings?.kind ?? null,
    rows: { read: 0, accepted: 0, rejected: 0 },
    rejectedByCode: {},
    issues: [],
    warnings: [],
    quarantined: false,
  };
  const reject = (issue: Issue): void => {
    report.rows.rejected++;
    report.rejectedByCode[issue.code] = (report.rejectedByCode[issue.code] ?? 0) + 1;
    if (report.issues.length < MAX_ISSUES_KEPT) report.issues.push(issue);
  };

  let ctx: RowContext | null = null;
  let handleRow: ((fields: readonly string[], line: number) => void) | null = null;
  // rows held back until the date format is inferred from a sample of the file
  let pendingRows: { fields: string[]; line: number }[] | null = [];

  const decide = (): void => {
    if (!ctx || handleRow) return;
    handleRow = makeRowHandler(ctx, settings, pendingRows ?? [], partitioner, reject, now, report);
    const held = pendingRows ?? [];
    pendingRows = null;
    for (const r of held) handleRow(r.fields, r.line);
  };

  try {
    const info = await readTable(
      await source.open(),
      {
        file: source.file,
        format: settings?.format,
        delimiter: settings?.delimiter,
        encoding: settings?.encoding,
        header: settings?.header,
        columns: settings?.columns,
      },
      {
        header(names) {
          const mapping = mapColumns(names, {
            kind: settings?.kind,
            overrides: settings?.mapping as Partial<Record<FieldName, string>> | undefined,
            file: source.file,
          });
          report.kind = mapping.kind;
          for (const s of mapping.sensitive) {
            report.warnings.push(
              `column "${s.name}" looks like sensitive data (${s.category}); it is dropped and never used as a feature`,
            );
          }
          ctx = { file: source.file, mapping, header: names };
        },
        row(fields, line) {
          if (handleRow) {
            handleRow(fields, line);
            return;
          }
          pendingRows!.push({ fields: [...fields], line });
          if (pendingRows!.length >= DATE_SAMPLE_ROWS) decide();
        },
        issue(issue) {
          reject(issue);
        },
      },
    );
    decide();
    report.format = info.format;
    report.rows.read = info.rowsRead;
    if (info.rowsRead === 0) {
      report.quarantined = true;
      report.fileError = {
        file: source.file,
        code: 'no-rows',
        message: 'the file has no data rows',
        expected: 'a header line followed by at least one row',
        fix: 'export the data again; check the export did not stop early',
      };
    }
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    report.quarantined = true;
    report.fileError = error.issue;
  }
  if (!report.quarantined && report.rows.read !== report.rows.accepted + report.rows.rejected) {
    // the accounting invariant is part of the product's promise: never ship a silent drop
    throw new Error(
      `row accounting mismatch in ${source.file}: read ${report.rows.read}, accepted ${report.rows.accepted}, rejected ${report.rows.rejected}`,
    );
  }
  return report;
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

const RETURN_STATUS = /cancel|refund|return|void/i;
const PURCHASE_EVENT = /^(|purchase|order|sale|transaction|charge|payment)$/i;

function makeRowHandler(
  ctx: RowContext,
  settings: FileSettings | undefined,
  sample: readonly { fields: string[] }[],
  partitioner: ShardPartitioner,
  reject: (issue: Issue) => void,
  now: number,
  report: FileReport,
): (fields: readonly string[], line: number) => void {
  const { mapping, file, header } = ctx;
  const f = mapping.fields;
  const col = (name: FieldName): number => f[name] ?? -1;
  const get = (fields: readonly string[], index: number): string =>
    index >= 0 ? (fields[index] ?? '').trim() : '';
  const idCol = col('customerId');
  const emailCol = col('email');
  const phoneCol = col('phone');
  const countryCol = col('country');

  const issue = (
    line: number,
    column: number,
    code: string,
    message: string,
    value: string,
    expected: string,
    fix: string,
  ): Issue => ({
    file,
    line,
    column: column >= 0 ? header[column] : undefined,
    value: value.length > 60 ? `${value.slice(0, 57)}...` : value,
    code,
    message,
    expected,
    fix,
  });

  const addIdentity = (fields: readonly string[], customerId: string): void => {
    partitioner.addIdentity({
      customerId,
      email: get(fields, emailCol),
      phone: get(fields, phoneCol),
      country: get(fields, countryCol),
      consentEmail: consentFlag(f.consentEmail !== undefined ? fields[f.consentEmail] : undefined),
      consentSms: consentFlag(f.consentSms !== undefined ? fields[f.consentSms] : undefined),
      consentAds: consentFlag(f.consentAds !== undefined ? fields[f.consentAds] : undefined),
    } satisfies IdentityRow);
  };

  if (mapping.kind === 'customers') {
    return (fields, line) => {
      const customerId = get(fields, idCol);
      if (!customerId) {
        reject(
          issue(
            line,
            idCol,
            'missing-customer-id',
            'the customer id is empty',
            '',
            'a customer id on every row',
            'fill in the id or remove the row',
          ),
        );
        return;
      }
      addIdentity(fields, customerId);
      report.rows.accepted++;
    };
  }

  if (mapping.kind !== 'transactions') {
    report.warnings.push(
      `${mapping.kind} files are recognised but this version does not use them yet; their rows are counted and not used`,
    );
    return () => {
      report.rows.accepted++;
    };
  }

  const tsCol = col('timestamp');
  const dateSamples: string[] = [];
  for (const r of sample) {
    const v = get(r.fields, tsCol);
    if (v) dateSamples.push(v);
  }
  const format = inferDateFormat(dateSamples, { dayFirst: settings?.dayFirst, column: header[tsCol], file });
  const parseDate = makeDateParser(format.format, { timeZone: settings?.timeZone ?? 'UTC' });
  const amountCol = col('amount');
  const priceCol = col('unitPrice');
  const qtyCol = col('quantity');
  const orderCol = col('orderId');
  const statusCol = col('status');
  const eventCol = col('eventType');
  const discountCol = col('discount');
  const decimal = settings?.decimal ?? 'auto';
  const latestAllowed = now + DAY_MS;
  const earliestAllowed = Date.UTC(1990, 0, 1);
  const hasIdentity = emailCol >= 0 || phoneCol >= 0;
  const seenIdentity = hasIdentity ? new Set<string>() : null;

  return (fields, line) => {
    const customerId = get(fields, idCol);
    if (!customerId) {
      reject(
        issue(
          line,
          idCol,
          'missing-customer-id',
          'the customer id is empty',
          '',
          'a customer id on every row',
          'fill in the id, or remove rows of guest checkouts without one',
        ),
      );
      return;
    }
    const tsText = get(fields, tsCol);
    const ts = parseDate(tsText);
    if (Number.isNaN(ts)) {
      reject(
        issue(
          line,
          tsCol,
          'invalid-date',
          'the date could not be read',
          tsText,
          `a date in the file's format (${format.format})`,
          'correct the date, or set files[].dateFormat/dayFirst in the dataset config',
        ),
      );
      return;
    }
    if (ts > latestAllowed || ts < earliestAllowed) {
      reject(
        issue(
          line,
          tsCol,
          ts > latestAllowed ? 'date-in-future' : 'date-out-of-range',
          ts > latestAllowed ? 'the date is in the future' : 'the date is before 1990',
          tsText,
          'a date between 1990 and today',
          'check the date column and the time zone of the export',
        ),
      );
      return;
    }
    const eventType = get(fields, eventCol);
    const isPurchase = PURCHASE_EVENT.test(eventType);
    let amount = 0;
    let quantity = Number.NaN;
    if (qtyCol >= 0) {
      const q = get(fields, qtyCol);
      quantity = q === '' ? Number.NaN : parseAmount(q, { decimal });
    }
    if (amountCol >= 0) {
      const text = get(fields, amountCol);
      amount = text === '' && !isPurchase ? 0 : parseAmount(text, { decimal });
      if (!Number.isFinite(amount)) {
        reject(
          issue(
            line,
            amountCol,
            'invalid-amount',
            'the amount is not a number',
            text,
            'a number such as 12.50, 1,234.00 or 12,50',
            'correct the amount, or map another column as amount in the dataset config',
          ),
        );
        return;
      }
    } else if (priceCol >= 0) {
      const text = get(fields, priceCol);
      const price = parseAmount(text, { decimal });
      if (!Number.isFinite(price) || !Number.isFinite(quantity)) {
        const bad = Number.isFinite(price) ? qtyCol : priceCol;
        reject(
          issue(
            line,
            bad,
            'invalid-amount',
            'the unit price or quantity is not a number',
            get(fields, bad),
            'numbers in both the unit price and the quantity columns',
            'correct the values or map an amount column',
          ),
        );
        return;
      }
      amount = price * quantity;
    }
    const status = get(fields, statusCol);
    const isReturn = amount < 0 || quantity < 0 || (status !== '' && RETURN_STATUS.test(status)) ? 1 : 0;
    const discountText = get(fields, discountCol);
    const discount = discountText === '' ? Number.NaN : Math.abs(parseAmount(discountText, { decimal }));
    partitioner.addTransaction({
      customerId,
      orderId: get(fields, orderCol),
      category: get(fields, col('category')),
      channel: get(fields, col('channel')),
      eventType: isPurchase ? '' : eventType.toLowerCase(),
      timestampMs: ts,
      amount: Math.abs(amount),
      quantity: Number.isNaN(quantity) ? Number.NaN : Math.abs(quantity),
      discount,
      isReturn,
    } satisfies TransactionRow);
    if (seenIdentity && !seenIdentity.has(customerId)) {
      seenIdentity.add(customerId);
      addIdentity(fields, customerId);
    }
    report.rows.accepted++;
  };
}
