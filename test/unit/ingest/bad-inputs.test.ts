// The bad-input catalogue: every way an export can be wrong that the reader, the value parsers and the
// column mapping catch, each with its stable code and the exact message a marketer will read.

import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { InputFileError, type Issue } from '../../../lib/ingest/errors.js';
import { mapColumns } from '../../../lib/ingest/mapping.js';
import { amountIssue, formulaIssue, inferDateFormat } from '../../../lib/ingest/values.js';
import { bytesOf, caught, read } from './helpers.js';

const parquet = new Uint8Array(
  parquetWriteBuffer({ columnData: [{ name: 'id', data: ['1', '2'], type: 'STRING' }] }),
);

interface FileCase {
  name: string;
  act: () => unknown;
  code: string;
  message: string;
  line?: number;
  fix?: string;
}

const fileCases: FileCase[] = [
  { name: 'empty file', act: () => read(''), code: 'empty-file', message: 'The file is empty (0 bytes).' },
  {
    name: 'blank lines only',
    act: () => read('\n \n\t\n'),
    code: 'empty-file',
    message: 'The file has no records, only blank lines.',
  },
  {
    name: 'header only',
    act: () => read('customer_id,total\r\n'),
    code: 'header-only',
    message: 'The file has a header (customer_id, total) but no rows.',
  },
  {
    name: 'wrong delimiter configured',
    act: () => read('customer_id;date;total\n1;2;3\n', { delimiter: ',' }),
    code: 'wrong-delimiter',
    message:
      "Only one column was found with the delimiter ',' (comma), but the header looks separated by ';' (semicolon) (3 columns).",
    line: 1,
    fix: "set delimiter to ';' (semicolon) in the dataset config, or remove the delimiter setting so it is detected",
  },
  {
    name: 'unterminated quote (line where it opens)',
    act: () => read('id,note\n1,ok\n2,"open\n3,x\n'),
    code: 'unterminated-quote',
    message:
      'A quoted field opens here and is never closed, so the rest of the file would be read as one value.',
    line: 3,
  },
  {
    name: 'invalid UTF-8 after valid UTF-8',
    act: () => read(new Uint8Array([...bytesOf('id,name\n1,café\n2,'), 0xe9, 0x0a])),
    code: 'invalid-utf8',
    message:
      'The file is read as UTF-8 but has bytes that are not valid UTF-8 (E9 0A): it mixes encodings or was cut.',
    line: 3,
  },
  {
    name: 'invalid UTF-8 deep in the file (past the sniffed sample)',
    act: () =>
      read(new Uint8Array([...bytesOf(`id,name\n${'1,café\n'.repeat(20_000)}`), 0xff, 0x0a]), {}, 4096),
    code: 'invalid-utf8',
    message:
      'The file is read as UTF-8 but has bytes that are not valid UTF-8 (FF 0A): it mixes encodings or was cut.',
    line: 20_002,
  },
  {
    name: 'binary file',
    act: () => read(new Uint8Array([0, 1, 2, 3, 0, 0, 5, 6, 7, 8])),
    code: 'binary-file',
    message: 'This file is not a text export: it contains binary bytes (zero bytes or control characters).',
  },
  {
    name: 'Excel workbook dropped instead of CSV',
    act: () =>
      read(new Uint8Array([0x50, 0x4b, 3, 4, 20, 0, 6, 0, 8, 0, 0, 0, 33]), { file: 'customers.xlsx' }),
    code: 'binary-file',
    message: 'This file is not a text export: it looks like a zip archive or an Excel workbook (.xlsx).',
    fix: 'open it in Excel or Google Sheets and save or download it as CSV (UTF-8), then upload that file',
  },
  {
    name: 'truncated gzip',
    act: () => read(gzipSync(Buffer.from('id,total\n1,2\n')).subarray(0, 15)),
    code: 'corrupt-gzip',
    message: 'The file starts like gzip but cannot be decompressed (unexpected end of file).',
  },
  {
    name: 'corrupt gzip body',
    act: () => read(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])),
    code: 'corrupt-gzip',
    message: 'The file starts like gzip but cannot be decompressed (invalid block type).',
  },
  {
    name: 'truncated Parquet (cut upload)',
    act: () => read(parquet.subarray(0, parquet.length - 10), { file: 'orders.parquet' }),
    code: 'truncated-parquet',
    message: "This Parquet file is incomplete or damaged (no 'PAR1' footer at the end).",
  },
  {
    name: 'Parquet with a missing middle',
    act: () =>
      read(new Uint8Array([...parquet.subarray(0, 30), ...parquet.subarray(parquet.length - 8)]), {
        file: 'o.parquet',
      }),
    code: 'truncated-parquet',
    message:
      'This Parquet file is incomplete or damaged (footer unreadable: parquet metadata length 98 exceeds available buffer 30).',
  },
  {
    name: 'named .parquet but is text',
    act: () => read('id\n1\n', { file: 'orders.parquet' }),
    code: 'not-parquet',
    message: "The file is named or configured as Parquet but does not start with the Parquet 'PAR1' marker.",
  },
  {
    name: 'JSON array instead of JSON Lines',
    act: () => read('[{"id":1}]', { file: 'orders.json' }),
    code: 'json-array',
    message: 'This is a JSON array (one big [ ... ] value), not JSON Lines.',
  },
  {
    name: 'ambiguous day/month dates',
    act: () =>
      inferDateFormat(['01/02/2024', '03/04/2024 10:00'], { column: 'InvoiceDate', file: 'orders.csv' }),
    code: 'ambiguous-dates',
    message:
      "Every date in the column has day and month both 12 or under, so the order cannot be told from the data. '01/02/2024' could be February 1 (day first) or January 2 (month first).",
    fix: 'set "dayFirst": true (D/M/YYYY, e.g. 31/12/2024) or "dayFirst": false (M/D/YYYY, e.g. 12/31/2024) for column \'InvoiceDate\' in the dataset config',
  },
  {
    name: 'day-first and month-first dates mixed',
    act: () => inferDateFormat(['13/02/2024', '03/14/2024'], { column: 'InvoiceDate', file: 'orders.csv' }),
    code: 'mixed-date-formats',
    message: "The column has both day-first dates ('13/02/2024') and month-first dates ('03/14/2024').",
  },
  {
    name: 'dates contradict the configured order',
    act: () => inferDateFormat(['13/02/2024'], { dayFirst: false, column: 'd', file: 'orders.csv' }),
    code: 'date-order-conflict',
    message:
      "The dataset config says dayFirst: false, but the data has '13/02/2024', which can only be read the other way.",
  },
  {
    name: 'unrecognised dates',
    act: () => inferDateFormat(['yesterday', 'last week'], { column: 'InvoiceDate', file: 'orders.csv' }),
    code: 'unrecognised-date',
    message:
      "The dates in this column are in a format that is not recognised (e.g. 'yesterday', 'last week').",
  },
  {
    name: 'missing required column',
    act: () => mapColumns(['Customer ID', 'Total'], { kind: 'transactions', file: 'orders.csv' }),
    code: 'missing-column',
    message: "This transactions file has no date/time column. Headers seen: 'Customer ID', 'Total'.",
    fix: 'rename the column, or map it in the dataset config ("mapping": {"timestamp": "<your header>"})',
  },
  {
    name: 'unit price without quantity',
    act: () => mapColumns(['Customer ID', 'Date', 'UnitPrice'], { kind: 'transactions', file: 'orders.csv' }),
    code: 'missing-column',
    message:
      "This transactions file has no quantity column (amount is computed as unit price × quantity). Headers seen: 'Customer ID', 'Date', 'UnitPrice'.",
  },
  {
    name: 'unknown columns only',
    act: () => mapColumns(['foo', 'bar'], { kind: 'transactions', file: 'orders.csv' }),
    code: 'no-known-columns',
    message: "None of the columns is recognised: 'foo', 'bar'.",
  },
  {
    name: 'kind cannot be told',
    act: () => mapColumns(['foo', 'bar'], { file: 'drop.csv' }),
    code: 'unknown-kind',
    message: "Cannot tell what this file holds from its headers: 'foo', 'bar'.",
  },
  {
    name: 'config maps a column that is not there',
    act: () =>
      mapColumns(['Customer ID', 'Date', 'Total'], { overrides: { amount: 'Revenue' }, file: 'orders.csv' }),
    code: 'mapped-column-missing',
    message:
      "The dataset config maps amount to column 'Revenue', but the file has no such column. Headers seen: 'Customer ID', 'Date', 'Total'.",
  },
  {
    name: 'config maps a sensitive column',
    act: () =>
      mapColumns(['Customer ID', 'Date', 'Total', 'Religion'], {
        overrides: { category: 'Religion' },
        file: 'orders.csv',
      }),
    code: 'sensitive-column-mapped',
    message:
      "The dataset config maps category to 'Religion', which looks like religion data and is never used.",
  },
];

describe('bad inputs: file level (InputFileError)', () => {
  it.each(fileCases)('$name → $code', async ({ act, code, message, line, fix }) => {
    // Act
    const error = await caught(act);
    // Assess
    expect(error).toBeInstanceOf(InputFileError);
    expect(error.name).toBe('InputFileError');
    expect(error.issue.code).toBe(code);
    expect(error.issue.message).toBe(message);
    expect(error.issue.fix).toBeTruthy();
    if (line !== undefined) expect(error.issue.line).toBe(line);
    if (fix !== undefined) expect(error.issue.fix).toBe(fix);
  });

  it('has at least 20 file-level cases', () => {
    expect(fileCases.length).toBeGreaterThanOrEqual(20);
  });
});

describe('bad inputs: row level (visitor.issue, the row is skipped and counted)', () => {
  it('ragged rows: too few and too many fields; trailing empty fields are tolerated', async () => {
    const { rows, issues, info } = await read('id,total\n1,2\n3\n4,5,6\n7,8,,\n');
    expect(rows).toEqual([
      ['1', '2'],
      ['7', '8'],
    ]);
    expect(info.rowsRead).toBe(4);
    expect(issues.map((i) => [i.code, i.line, i.message])).toEqual([
      ['ragged-row', 3, 'This row has 1 field but the header has 2.'],
      ['ragged-row', 4, 'This row has 3 fields but the header has 2.'],
    ]);
    expect(issues[1].fix).toBe(
      "put values that contain the delimiter ',' (comma) in double quotes, or remove the extra fields",
    );
  });

  it('extremely long field (over maxFieldBytes, default 64 KiB)', async () => {
    const long = 'x'.repeat(70_000);
    const { rows, issues } = await read(`id,note\n1,${long}\n2,ok\n`, {}, 8192);
    expect(rows).toEqual([['2', 'ok']]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      code: 'field-too-long',
      line: 2,
      column: 'note',
      message: 'A value is 70000 characters long, over the 65536-character limit.',
    });
    expect(issues[0].value!.length).toBeLessThanOrEqual(60);
  });

  it('invalid JSON lines and non-object lines', async () => {
    const { issues, rows, info } = await read('{"id":"1"}\nnot json\n[1]\n', { file: 'events.jsonl' });
    expect(rows).toEqual([['1']]);
    expect(info.rowsRead).toBe(3);
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['invalid-json', 2],
      ['invalid-json', 3],
    ]);
    expect(issues[1].message).toBe('This line holds a JSON value that is not an object.');
  });
});

describe('bad inputs: values (issues the ingest stage reports per row)', () => {
  const where = { file: 'orders.csv', line: 7, column: 'Total' };
  it.each([
    ['abc', 'non-numeric-amount', 'The amount is not a number.'],
    ['12..5', 'non-numeric-amount', 'The amount is not a number.'],
    ['NaN', 'non-finite-amount', "The amount 'NaN' is not a finite number."],
    ['Infinity', 'non-finite-amount', "The amount 'Infinity' is not a finite number."],
    ['-inf', 'non-finite-amount', "The amount '-inf' is not a finite number."],
    ['', 'missing-amount', 'The amount is empty.'],
  ])('amount %j → %s', (text, code, message) => {
    const issue = amountIssue(text, where) as Issue;
    expect(issue).toMatchObject({ code, message, file: 'orders.csv', line: 7, column: 'Total' });
  });

  it('accepts good amounts without an issue', () => {
    expect(amountIssue('1.234,50 €', where)).toBeNull();
  });

  it('formula-looking cell', () => {
    const issue = formulaIssue("=cmd|' /C calc'!A0", {
      file: 'customers.csv',
      line: 4,
      column: 'Note',
    }) as Issue;
    expect(issue).toMatchObject({
      code: 'formula-like-value',
      message:
        'The value starts like a spreadsheet formula; it is kept as text and must never be opened as a formula.',
      value: "=cmd|' /C calc'!A0",
    });
    expect(formulaIssue('-12.50', where)).toBeNull();
    expect(formulaIssue('+33 6 12 34 56 78', where)).toBeNull();
    expect(formulaIssue('@SUM(A1:A9)', where)?.code).toBe('formula-like-value');
    expect(formulaIssue('-2+3+cmd|x', where)?.code).toBe('formula-like-value');
  });

  it('sensitive columns are detected by name and never mapped', () => {
    const mapping = mapColumns(
      [
        'Customer ID',
        'Religion',
        'Email Address',
        'lat',
        'Total',
        'InvoiceDate',
        'first_name',
        'Health Condition',
        'Kids in household',
        'segment',
      ],
      { file: 'orders.csv' },
    );
    expect(mapping.sensitive).toEqual([
      { name: 'Religion', index: 1, category: 'religion' },
      { name: 'lat', index: 3, category: 'preciseLocation' },
      { name: 'Health Condition', index: 7, category: 'health' },
      { name: 'Kids in household', index: 8, category: 'childrensData' },
    ]);
    expect(mapping.attributes).toEqual([{ name: 'segment', index: 9 }]);
    expect(mapping.ignored).toEqual([
      { name: 'first_name', reason: 'personal name: an identifier, never a feature' },
    ]);
  });
});
