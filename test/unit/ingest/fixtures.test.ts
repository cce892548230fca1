// Reads every file in events/bad-inputs/ and asserts the outcome its README promises.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mapColumns } from '../../../lib/ingest/mapping.js';
import type { ReadOptions } from '../../../lib/ingest/read/index.js';
import {
  amountIssue,
  formulaIssue,
  inferDateFormat,
  isReturn,
  parseAmount,
} from '../../../lib/ingest/values.js';
import { caught, read } from './helpers.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../events/bad-inputs');
const load = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));
const readFixture = (name: string, options: Partial<ReadOptions> = {}) =>
  read(load(name), { file: name, ...options }, 4096);

describe('events/bad-inputs fixtures', () => {
  it.each([
    ['empty.csv', {}, 'empty-file'],
    ['header-only.csv', {}, 'header-only'],
    ['wrong-delimiter.csv', { delimiter: ',' }, 'wrong-delimiter'],
    ['unterminated-quote.csv', {}, 'unterminated-quote'],
    ['truncated.csv.gz', {}, 'corrupt-gzip'],
  ] as const)('%s is rejected with %s', async (name, options, code) => {
    const error = await caught(() => readFixture(name, options));
    expect(error.issue.code).toBe(code);
    expect(error.issue.file).toBe(name);
  });

  it('wrong-delimiter.csv reads fine once the delimiter is sniffed', async () => {
    const { rows, info } = await readFixture('wrong-delimiter.csv');
    expect(info.delimiter).toBe(';');
    expect(rows.map((r) => parseAmount(r[2]))).toEqual([12.5, 7]);
  });

  it('ragged-rows.csv: two rows reported, two read, four counted', async () => {
    const { rows, issues, info } = await readFixture('ragged-rows.csv');
    expect(rows.map((r) => r[0])).toEqual(['c1', 'c4']);
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['ragged-row', 3],
      ['ragged-row', 4],
    ]);
    expect(info.rowsRead).toBe(4);
  });

  it('ambiguous-dates.csv: the date inference refuses to guess', async () => {
    const { header, rows } = await readFixture('ambiguous-dates.csv');
    const column = header.indexOf('invoice_date');
    const error = await caught(() =>
      inferDateFormat(
        rows.map((r) => r[column]),
        { column: 'invoice_date', file: 'ambiguous-dates.csv' },
      ),
    );
    expect(error.issue.code).toBe('ambiguous-dates');
    expect(error.issue.fix).toContain('"dayFirst": true');
  });

  it('bad-values.csv: formula, non-numeric and non-finite amounts reported per row', async () => {
    const { header, rows, lines } = await readFixture('bad-values.csv');
    const total = header.indexOf('total');
    const note = header.indexOf('note');
    const codes = rows.flatMap((r, i) => {
      const where = { file: 'bad-values.csv', line: lines[i] };
      return [
        formulaIssue(r[note], { ...where, column: 'note' }),
        amountIssue(r[total], { ...where, column: 'total' }),
      ]
        .filter((x) => x !== null)
        .map((x) => [x.code, x.line]);
    });
    expect(codes).toEqual([
      ['formula-like-value', 2],
      ['non-numeric-amount', 3],
      ['non-finite-amount', 4],
    ]);
  });

  it('sensitive-columns.csv: special-category columns are set aside', async () => {
    const { header } = await readFixture('sensitive-columns.csv');
    const mapping = mapColumns(header, { kind: 'customers', file: 'sensitive-columns.csv' });
    expect(mapping.sensitive.map((s) => [s.name, s.category])).toEqual([
      ['religion', 'religion'],
      ['health_condition', 'health'],
      ['latitude', 'preciseLocation'],
    ]);
    expect(mapping.attributes.map((a) => a.name)).toEqual(['loyalty_tier']);
  });

  it('windows-1252.csv is detected and decoded', async () => {
    const { rows, info } = await readFixture('windows-1252.csv');
    expect(info.encoding).toBe('windows-1252');
    expect(rows).toEqual([['1', 'Orléans', '€5']]);
  });

  it('online-retail-returns.csv: the C-prefixed invoice is kept as a return', async () => {
    const { header, rows } = await readFixture('online-retail-returns.csv');
    const mapping = mapColumns(header, { file: 'online-retail-returns.csv' });
    const { orderId, quantity } = mapping.fields as { orderId: number; quantity: number };
    const returns = rows.map((r) => isReturn({ orderId: r[orderId], quantity: Number(r[quantity]) }));
    expect(returns).toEqual([false, true, false]);
    // Its first days of December (12/1/2010) fit both orders: the config has to say which.
    const dates = rows.map((r) => r[mapping.fields.timestamp!]);
    expect((await caught(() => inferDateFormat(dates))).issue.code).toBe('ambiguous-dates');
    expect(inferDateFormat(dates, { dayFirst: false }).format).toBe('mdy');
  });
});
