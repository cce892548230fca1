// The bad-input catalogue, end to end: each case is a small dataset dropped into the local pipeline
// (the synthesized state machine on the embedded stand-ins). It asserts the run's status, the error
// code, a precise report (file, line, column, excerpt, expected, fix) in rejected/<dataset>/<file>.errors.json
// and in the run summary, that nothing is published for a quarantined run, and read = accepted + rejected.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, orderLine, TRANSACTIONS_HEADER } from '../../events/data/generate.js';
import type { LocalEnvironment } from '../../infra/local/environment.js';
import { type LocalRunResult, runLocal } from '../../infra/local/runner.js';
import type { Issue } from '../../lib/ingest/errors.js';
import { localEnvironment } from '../support/local.js';

let env: LocalEnvironment;
let dir: string;

beforeAll(async () => {
  env = await localEnvironment();
  dir = mkdtempSync(join(tmpdir(), 'bad-inputs-'));
}, 120_000);

afterAll(async () => {
  await env?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const fixture = (name: string): Buffer => readFileSync(join('events/bad-inputs', name));

/** A healthy transactions export: 60 customers of the planted archetypes, about 700 order lines. */
function baseOrders(customers = 60): { header: string; lines: string[] } {
  const lines: string[] = [];
  const pending: Parameters<typeof orderLine>[0][] = [];
  generate(
    { customers, seed: 11 },
    (o) => pending.push(o),
    (c) => {
      for (const o of pending.splice(0)) lines.push(orderLine(o, c.email));
    },
  );
  return { header: TRANSACTIONS_HEADER, lines };
}

const BASE = baseOrders();
const base = (extra: string[] = [], header = BASE.header): string =>
  header + BASE.lines.join('') + extra.map((l) => `${l}\n`).join('');
/** data line 1 is file line 2: the header is line 1 */
const nextLine = BASE.lines.length + 2;

interface Expectation {
  status: 'succeeded' | 'failed';
  /** the file whose errors.json must hold the issue */
  file?: string;
  code?: string;
  where?: 'file' | 'row' | 'flag';
  line?: number;
  column?: string;
  /** a substring of the value excerpt */
  value?: string;
  rejected?: number;
  errorName?: string | RegExp;
  /** a substring of the run error message */
  message?: string;
}

interface Case {
  name: string;
  files: Record<string, string | Uint8Array>;
  config?: Record<string, unknown>;
  expect: Expectation;
}

const CASES: Case[] = [
  {
    name: 'empty-file',
    files: { 'orders.csv': fixture('empty.csv') },
    expect: { status: 'failed', file: 'orders.csv', code: 'empty-file', where: 'file' },
  },
  {
    name: 'header-only',
    files: { 'orders.csv': BASE.header },
    expect: { status: 'failed', file: 'orders.csv', code: 'header-only', where: 'file' },
  },
  {
    name: 'unknown-columns-only',
    files: { 'export.csv': 'foo,bar,baz\n1,2,3\n4,5,6\n' },
    expect: { status: 'failed', file: 'export.csv', code: 'unknown-kind', where: 'file' },
  },
  {
    name: 'unknown-columns-named-orders',
    files: { 'orders.csv': 'foo,bar,baz\n1,2,3\n4,5,6\n' },
    expect: { status: 'failed', file: 'orders.csv', code: 'no-known-columns', where: 'file' },
  },
  {
    name: 'missing-required-column',
    files: { 'orders.csv': 'order_id,customer_id,created_at\n1,c1,2026-01-02\n' },
    expect: { status: 'failed', file: 'orders.csv', code: 'missing-column', where: 'file' },
  },
  {
    name: 'wrong-delimiter',
    files: { 'orders.csv': fixture('wrong-delimiter.csv') },
    config: { files: [{ match: '*.csv', delimiter: ',' }] },
    expect: { status: 'failed', file: 'orders.csv', code: 'wrong-delimiter', where: 'file' },
  },
  {
    name: 'unterminated-quote',
    files: { 'orders.csv': fixture('unterminated-quote.csv') },
    expect: { status: 'failed', file: 'orders.csv', code: 'unterminated-quote', where: 'file', line: 3 },
  },
  {
    name: 'ragged-rows-too-many',
    files: { 'orders.csv': fixture('ragged-rows.csv') },
    expect: { status: 'failed', file: 'orders.csv', code: 'too-many-bad-rows', where: 'file', rejected: 2 },
  },
  {
    name: 'ragged-rows-skipped',
    files: { 'orders.csv': base(['#9,C100001,c100001@example.com,2026-01-02T10:00:00Z,12.00']) },
    expect: {
      status: 'succeeded',
      file: 'orders.csv',
      code: 'ragged-row',
      where: 'row',
      line: nextLine,
      rejected: 1,
    },
  },
  {
    name: 'invalid-utf8',
    files: {
      'orders.csv': Buffer.concat([
        Buffer.from(base(['#9,C100001,Zoë,2026-01-02T10:00:00Z,12.00,0,home,web,paid'])),
        Buffer.from('#10,C100002,x'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(',2026-01-02T10:00:00Z,12.00,0,home,web,paid\n'),
      ]),
    },
    expect: { status: 'failed', file: 'orders.csv', code: 'invalid-utf8', where: 'file' },
  },
  {
    name: 'binary-file',
    files: {
      'orders.csv': Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
        Buffer.alloc(200, 0),
      ]),
    },
    expect: { status: 'failed', file: 'orders.csv', code: 'binary-file', where: 'file' },
  },
  {
    name: 'corrupt-gzip',
    files: { 'orders.csv.gz': fixture('truncated.csv.gz') },
    expect: { status: 'failed', file: 'orders.csv.gz', code: 'corrupt-gzip', where: 'file' },
  },
  {
    name: 'truncated-parquet',
    files: { 'orders.parquet': Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 7)]) },
    expect: { status: 'failed', file: 'orders.parquet', code: 'truncated-parquet', where: 'file' },
  },
  {
    name: 'non-numeric-amount',
    files: {
      'orders.csv': base(['#9,C100001,c100001@example.com,2026-01-02T10:00:00Z,abc,0,home,web,paid']),
    },
    expect: {
      status: 'succeeded',
      file: 'orders.csv',
      code: 'non-numeric-amount',
      where: 'row',
      line: nextLine,
      column: 'total',
      value: 'abc',
      rejected: 1,
    },
  },
  {
    name: 'nan-infinity',
    files: {
      'orders.csv': base([
        '#9,C100001,c100001@example.com,2026-01-02T10:00:00Z,NaN,0,home,web,paid',
        '#10,C100002,c100002@example.com,2026-01-02T10:00:00Z,Infinity,0,home,web,paid',
      ]),
    },
    expect: {
      status: 'succeeded',
      file: 'orders.csv',
      code: 'non-finite-amount',
      where: 'row',
      line: nextLine,
      column: 'total',
      value: 'NaN',
      rejected: 2,
    },
  },
  {
    name: 'date-out-of-range',
    files: {
      'orders.csv': base(['#9,C100001,c100001@example.com,1985-01-02T10:00:00Z,12.00,0,home,web,paid']),
    },
    expect: {
      status: 'succeeded',
      file: 'orders.csv',
      code: 'date-out-of-range',
      where: 'row',
      line: nextLine,
      column: 'created_at',
      value: '1985-01-02',
      rejected: 1,
    },
  },
  {
    name: 'date-in-future',
    files: {
      'orders.csv': base(['#9,C100001,c100001@example.com,2099-01-02T10:00:00Z,12.00,0,home,web,paid']),
    },
    expect: {
      status: 'succeeded',
      file: 'orders.csv',
      code: 'date-in-future',
      where: 'row',
      line: nextLine,
      column: 'created_at',
      value: '2099',
      rejected: 1,
    },
  },
  {
    name: 'invalid-date',
    files: { 'orders.csv': base(['#9,C100001,c100001@example.com,yesterday,12.00,0,home,web,paid']) },
    expect: {
      status: 'succeeded',
      file: 'orders.csv',
      code: 'invalid-date',
      where: 'row',
      line: nextLine,
      column: 'created_at',
      value: 'yesterday',
      rejected: 1,
    },
  },
  {
    name: 'missing-customer-id',
    files: { 'orders.csv': base(['#9,,,2026-01-02T10:00:00Z,12.00,0,home,web,paid']) },
    expect: {
      status: 'succeeded',
      file: 'orders.csv',
      code: 'missing-customer-id',
      where: 'row',
      line: nextLine,
      column: 'customer_id',
      rejected: 1,
    },
  },
  {
    name: 'duplicate-rows',
    files: { 'orders.csv': base([BASE.lines[0].trim(), BASE.lines[1].trim()]) },
    expect: {
      status: 'succeeded',
      file: 'orders.csv',
      code: 'duplicate-row',
      where: 'row',
      line: nextLine,
      column: 'order_id',
      value: '#',
      rejected: 2,
    },
  },
  {
    name: 'duplicate-rows-kept',
    files: { 'orders.csv': base([BASE.lines[0].trim()]) },
    config: { duplicateRows: 'keep' },
    expect: { status: 'succeeded', file: 'orders.csv', rejected: 0 },
  },
  {
    name: 'conflicting-customers',
    files: {
      'orders.csv': base(),
      'customers.csv':
        'customer_id,email,country,loyalty_tier\nC100001,c100001@example.com,US,gold\nC100002,c100002@example.com,GB,silver\nC100001,c100001@example.com,US,bronze\n',
    },
    expect: {
      status: 'succeeded',
      file: 'customers.csv',
      code: 'conflicting-customer',
      where: 'flag',
      line: 4,
      column: 'customer_id',
      rejected: 0,
    },
  },
  {
    name: 'extremely-long-field',
    files: {
      'orders.csv': base([
        `#9,C100001,c100001@example.com,2026-01-02T10:00:00Z,12.00,0,${'x'.repeat(70_000)},web,paid`,
      ]),
    },
    expect: {
      status: 'succeeded',
      file: 'orders.csv',
      code: 'field-too-long',
      where: 'row',
      line: nextLine,
      rejected: 1,
    },
  },
  {
    name: 'one-customer-only',
    files: {
      'orders.csv': `${BASE.header}#1,C1,,2026-01-02T10:00:00Z,12.00,0,home,web,paid\n#2,C1,,2026-02-02T10:00:00Z,30.00,0,home,web,paid\n`,
    },
    expect: { status: 'failed', errorName: 'NotEnoughCustomersError', message: 'only 1 customer' },
  },
  {
    name: 'fewer-customers-than-segments',
    files: {
      'orders.csv': `${BASE.header}${[1, 2, 3, 4].map((i) => `#${i},C${i},,2026-0${i}-02T10:00:00Z,${i * 10}.00,0,home,web,paid\n`).join('')}`,
    },
    expect: { status: 'failed', errorName: 'NotEnoughCustomersError', message: 'segments' },
  },
  {
    name: 'all-customers-identical',
    files: {
      'orders.csv': `${BASE.header}${Array.from({ length: 20 }, (_, i) => `#${i},C${i},,2026-01-02T10:00:00Z,10.00,0,home,web,paid\n`).join('')}`,
    },
    expect: {
      status: 'failed',
      errorName: /IdenticalCustomersError|NoClusterFeaturesError/,
      message: 'same value',
    },
  },
  {
    name: 'formula-cell',
    files: {
      'orders.csv': base([
        "#9,C100001,c100001@example.com,2026-01-02T10:00:00Z,12.00,0,=cmd|' /C calc'!A0,web,paid",
      ]),
    },
    expect: {
      status: 'succeeded',
      file: 'orders.csv',
      code: 'formula-like-value',
      where: 'flag',
      line: nextLine,
      column: 'category',
      value: '=cmd',
      rejected: 0,
    },
  },
  {
    name: 'too-many-bad-amounts',
    files: { 'orders.csv': fixture('bad-values.csv') },
    expect: { status: 'failed', file: 'orders.csv', code: 'too-many-bad-rows', where: 'file', rejected: 2 },
  },
  {
    name: 'error-rate-raised',
    files: {
      'orders.csv': base(
        Array.from(
          { length: 60 },
          (_, i) => `#9${i},C100001,c100001@example.com,2026-01-02T10:00:00Z,n/a,0,home,web,paid`,
        ),
      ),
    },
    config: { maxRowErrorRate: 0.2 },
    expect: {
      status: 'succeeded',
      file: 'orders.csv',
      code: 'non-numeric-amount',
      where: 'row',
      rejected: 60,
    },
  },
  {
    name: 'ambiguous-dates',
    files: { 'orders.csv': fixture('ambiguous-dates.csv') },
    expect: {
      status: 'failed',
      file: 'orders.csv',
      code: 'ambiguous-dates',
      where: 'file',
      column: 'invoice_date',
    },
  },
  {
    name: 'mapped-column-missing',
    files: { 'orders.csv': base() },
    config: { files: [{ match: 'orders.csv', mapping: { amount: 'Grand Total' } }] },
    expect: {
      status: 'failed',
      file: 'orders.csv',
      code: 'mapped-column-missing',
      where: 'file',
      column: 'Grand Total',
    },
  },
  {
    name: 'no-transactions-or-customers',
    files: { 'outcomes.csv': 'customer_id,converted\nC1,1\nC2,0\n' },
    expect: { status: 'failed', errorName: 'NoTransactionsError', message: 'transactions' },
  },
  {
    name: 'sensitive-column',
    files: {
      'orders.csv': base(),
      'customers.csv': fixture('sensitive-columns.csv'),
    },
    expect: { status: 'succeeded', file: 'customers.csv', rejected: 0 },
  },
  {
    name: 'invalid-outcome-label',
    files: {
      'orders.csv': base(),
      'outcomes.csv': 'customer_id,converted\nC100001,1\nC100002,0\nC100003,maybe\n',
    },
    config: { maxRowErrorRate: 0.5 },
    expect: {
      status: 'succeeded',
      file: 'outcomes.csv',
      code: 'invalid-label',
      where: 'row',
      line: 4,
      column: 'converted',
      value: 'maybe',
      rejected: 1,
    },
  },
  {
    name: 'suppression-without-identifier',
    files: {
      'orders.csv': base(),
      'suppressions.csv': 'email,reason\nc100001@example.com,unsubscribed\nnot-an-email,erasure request\n',
    },
    config: { maxRowErrorRate: 0.5 },
    expect: {
      status: 'succeeded',
      file: 'suppressions.csv',
      code: 'missing-identifier',
      where: 'row',
      line: 3,
      rejected: 1,
    },
  },
  {
    name: 'windows-1252',
    files: {
      'orders.csv': base(),
      'customers.csv': Buffer.from('customer_id,city\nC100001,Orl\xe9ans\n', 'latin1'),
    },
    expect: { status: 'succeeded', file: 'customers.csv', rejected: 0 },
  },
  {
    name: 'gzip-and-returns',
    files: {
      'orders.csv.gz': gzipSync(
        base(['#9,C100001,c100001@example.com,2026-01-09T10:00:00Z,-12.00,0,home,web,refunded']),
      ),
    },
    expect: { status: 'succeeded', file: 'orders.csv.gz', rejected: 0 },
  },
];

function writeInputs(c: Case): { path: string; name: string }[] {
  const root = join(dir, c.name);
  mkdirSync(root, { recursive: true });
  return Object.entries(c.files).map(([name, content]) => {
    const path = join(root, name);
    writeFileSync(path, content);
    return { path, name };
  });
}

async function errorsJson(dataset: string, file: string) {
  const bytes = await env.store.getIfExists(`rejected/${dataset}/${file}.errors.json`);
  if (!bytes) return undefined;
  return JSON.parse(new TextDecoder().decode(bytes)) as {
    rows: { read: number; accepted: number; rejected: number };
    quarantined: boolean;
    fileError?: Issue;
    issues: Issue[];
    flagged: Issue[];
    warnings: string[];
  };
}

function assertPrecise(issue: Issue, e: Expectation): void {
  expect(issue.file).toBe(e.file);
  expect(issue.message.length).toBeGreaterThan(10);
  expect(issue.fix, `fix of ${issue.code}`).toBeTruthy();
  if (e.where !== 'file' || e.code === 'too-many-bad-rows')
    expect(issue.expected, `expected of ${issue.code}`).toBeTruthy();
  if (e.line !== undefined) expect(issue.line).toBe(e.line);
  if (e.column !== undefined) expect(issue.column).toBe(e.column);
  if (e.value !== undefined) expect(issue.value).toContain(e.value);
}

describe('bad-input catalogue through the local pipeline', () => {
  it('has at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  // one after another: running them concurrently measured no faster on 2 cores (CPU-bound)
  it.each(CASES)(
    '$name',
    async (c) => {
      // Prepare
      const dataset = `bad-${c.name}`;
      const e = c.expect;
      // Act
      const result: LocalRunResult = await runLocal(env, writeInputs(c), {
        dataset,
        config: { segments: { minSize: 0, minShare: 0 }, ...c.config },
      });
      // Assess: status, and nothing published for a failed run
      expect(result.status, JSON.stringify(result.error)).toBe(e.status);
      if (e.status === 'failed') {
        expect(await env.store.list(`exports/${dataset}/`)).toEqual([]);
        const { DynamoSegmentStore } = await import('../../lib/storage/segment-store.js');
        const { createDocumentClient } = await import('../../lib/storage/clients.js');
        const segments = new DynamoSegmentStore(createDocumentClient(), {
          catalog: process.env.CATALOG_TABLE!,
          memberships: process.env.MEMBERSHIPS_TABLE!,
          runs: process.env.RUNS_TABLE!,
        });
        expect(await segments.customerSegments(dataset, 'C100001')).toEqual([]);
        expect(await segments.customerSegments(dataset, 'C1')).toEqual([]);
        if (e.errorName) expect(result.error?.name).toMatch(e.errorName);
        if (e.message) expect(result.error?.message).toContain(e.message);
        if (e.file) expect(result.error?.message).toContain(e.file);
      }
      if (e.file) {
        const report = await errorsJson(dataset, e.file);
        if (e.code) {
          expect(report, `rejected/${dataset}/${e.file}.errors.json`).toBeDefined();
          const pool =
            e.where === 'file' ? [report!.fileError!] : e.where === 'flag' ? report!.flagged : report!.issues;
          const issue = pool.find((i) => i?.code === e.code);
          expect(issue, `${e.code} in ${JSON.stringify(report)}`.slice(0, 2000)).toBeDefined();
          assertPrecise(issue!, e);
          expect(report!.rows.read).toBe(report!.rows.accepted + report!.rows.rejected);
          if (e.where === 'file') expect(report!.quarantined).toBe(true);
        }
        if (e.status === 'succeeded') {
          const entry = result.summary!.files.find((f) => f.file === e.file)!;
          expect(entry.rows.read).toBe(entry.rows.accepted + entry.rows.rejected);
          if (e.rejected !== undefined) expect(entry.rows.rejected).toBe(e.rejected);
          if (e.where === 'row') {
            const issue = entry.issues?.find((i) => i.code === e.code);
            expect(issue).toBeDefined();
            assertPrecise(issue!, e);
            expect(entry.rejectedByCode[e.code!]).toBe(e.rejected);
          }
          if (e.where === 'flag') expect(entry.flaggedByCode?.[e.code!]).toBeGreaterThan(0);
        } else if (e.rejected !== undefined && report) {
          expect(report.rows.rejected).toBe(e.rejected);
        }
      }
      if (result.summary) {
        for (const f of result.summary.files) expect(f.rows.read).toBe(f.rows.accepted + f.rows.rejected);
        expect(result.summary.rows.read).toBe(result.summary.rows.accepted + result.summary.rows.rejected);
      }
    },
    60_000,
  );
});
