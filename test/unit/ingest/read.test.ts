import { createReadStream, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { mapColumns } from '../../../lib/ingest/mapping.js';
import { readTable } from '../../../lib/ingest/read/index.js';
import { inferDateFormat, makeDateParser, parseAmount } from '../../../lib/ingest/values.js';
import { createRandom } from '../../../lib/util/random.js';
import { bytesOf, chunked, findCdnow, read } from './helpers.js';

const TABLE = [
  ['customer_id', 'invoice_date', 'total'],
  ['c1', '2024-01-02', '10.50'],
  ['c2', '2024-01-03', '7'],
];

function utf16(text: string, endian: 'le' | 'be'): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  out.set(endian === 'le' ? [0xff, 0xfe] : [0xfe, 0xff]);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[2 + 2 * i] = endian === 'le' ? c & 0xff : c >> 8;
    out[3 + 2 * i] = endian === 'le' ? c >> 8 : c & 0xff;
  }
  return out;
}

describe('readTable: delimited text', () => {
  for (const [name, delimiter] of [
    ['comma', ','],
    ['semicolon', ';'],
    ['tab', '\t'],
    ['pipe', '|'],
  ] as const) {
    it(`sniffs the ${name} delimiter`, async () => {
      // Prepare
      const text = `${TABLE.map((r) => r.join(delimiter)).join('\n')}\n`;
      // Act
      const { header, rows, info } = await read(text, { file: 'orders.txt' });
      // Assess
      expect(info.delimiter).toBe(delimiter);
      expect(header).toEqual(TABLE[0]);
      expect(rows).toEqual(TABLE.slice(1));
      expect(info.rowsRead).toBe(2);
    });
  }

  it('reads quoted fields with embedded delimiters, doubled quotes and newlines, numbering the start line', async () => {
    // Prepare
    const text = 'id,note,total\r\n1,"a, b",3\r\n2,"say ""hi""\r\nsecond line\nthird",4\r\n3,plain,5\r\n';
    // Act
    const { rows, lines } = await read(text, {}, 3);
    // Assess
    expect(rows).toEqual([
      ['1', 'a, b', '3'],
      ['2', 'say "hi"\r\nsecond line\nthird', '4'],
      ['3', 'plain', '5'],
    ]);
    expect(lines).toEqual([2, 3, 6]);
  });

  it('handles CRLF, a missing final newline, blank lines and trailing empty fields', async () => {
    const { rows, lines, issues } = await read('a,b\r\n1,2\r\n\r\n3,4,\r\n5,6', { file: 'x.csv' });
    expect(rows).toEqual([
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ]);
    expect(lines).toEqual([2, 4, 5]);
    expect(issues).toEqual([]);
  });

  it("honours Excel's sep= line and skips it", async () => {
    const { header, rows, lines, info } = await read('sep=;\r\nid;total\r\n1;2,5\r\n');
    expect(info.delimiter).toBe(';');
    expect(header).toEqual(['id', 'total']);
    expect(rows).toEqual([['1', '2,5']]);
    expect(lines).toEqual([3]);
  });

  it('reads classic Mac files whose lines end with a lone CR', async () => {
    const { rows, lines } = await read('a,b\r1,"x\ry"\r3,4\r', {}, 4);
    expect(rows).toEqual([
      ['1', 'x\ry'],
      ['3', '4'],
    ]);
    expect(lines).toEqual([2, 4]);
  });

  it('keeps a lone CR inside a value of an LF file, and strips CR before LF', async () => {
    const { rows } = await read('a,b\n1,x\ry\r\n3,\r\n', {}, 3);
    expect(rows).toEqual([
      ['1', 'x\ry'],
      ['3', ''],
    ]);
  });

  it('reads TSV by extension and by format option', async () => {
    const text = 'a\tb\n1\t2,5\n';
    const byExt = await read(text, { file: 'x.tsv' });
    const byOption = await read(text, { file: 'x.dat', format: 'tsv' });
    expect(byExt.rows).toEqual([['1', '2,5']]);
    expect(byExt.info.format).toBe('tsv');
    expect(byOption.rows).toEqual([['1', '2,5']]);
  });

  it('uses a configured delimiter and header=false with given column names', async () => {
    const { header, rows } = await read('1;2\n3;4\n', { delimiter: ';', header: false, columns: ['x', 'y'] });
    expect(header).toEqual(['x', 'y']);
    expect(rows).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('names empty and duplicate header cells', async () => {
    const { header } = await read(' id ,,id\n1,2,3\n');
    expect(header).toEqual(['id', 'column2', 'id_2']);
  });

  it('reads a one-column file (a seed list) with comma as the default delimiter', async () => {
    const { rows, info } = await read('email\na@example.com\nb@example.com\n', { file: 'seeds.csv' });
    expect(rows).toEqual([['a@example.com'], ['b@example.com']]);
    expect(info.delimiter).toBe(',');
  });
});

describe('readTable: encodings', () => {
  it('strips a UTF-8 BOM', async () => {
    const { header, info } = await read(new Uint8Array([0xef, 0xbb, 0xbf, ...bytesOf('id,name\n1,Zoë\n')]));
    expect(header).toEqual(['id', 'name']);
    expect(info).toMatchObject({ encoding: 'utf-8', bom: true });
  });

  it('reads UTF-16 LE and BE with BOM, including CRLF', async () => {
    const text = 'id;name\r\n1;Zoë €\r\n';
    for (const endian of ['le', 'be'] as const) {
      const { rows, info } = await read(utf16(text, endian), {}, 5);
      expect(rows).toEqual([['1', 'Zoë €']]);
      expect(info).toMatchObject({ encoding: `utf-16${endian}`, bom: true, delimiter: ';' });
    }
  });

  it('detects Windows-1252 (€ 0x80, é 0xE9)', async () => {
    const bytes = new Uint8Array([
      ...bytesOf('id,city,price\n1,Orl'),
      0xe9,
      ...bytesOf('ans,'),
      0x80,
      ...bytesOf('5\n'),
    ]);
    const { rows, info } = await read(bytes);
    expect(rows).toEqual([['1', 'Orléans', '€5']]);
    expect(info.encoding).toBe('windows-1252');
  });

  it('honours a configured latin1 encoding', async () => {
    const bytes = new Uint8Array([...bytesOf('id,city\n1,M'), 0xfc, ...bytesOf('nchen\n')]);
    const { rows, info } = await read(bytes, { encoding: 'latin1' });
    expect(rows).toEqual([['1', 'München']]);
    expect(info.encoding).toBe('latin1');
  });

  it('keeps UTF-8 multibyte characters split across chunks', async () => {
    const { rows } = await read('id,name\n1,日本語 café\n', {}, 1);
    expect(rows).toEqual([['1', '日本語 café']]);
  });
});

describe('readTable: JSON Lines and Parquet', () => {
  it('reads JSON Lines with nested objects, numbers, booleans and nulls', async () => {
    const text =
      '{"customer":{"id":"c1"},"total":12.5,"vip":true,"note":null}\n\n{"customer":{"id":"c2"},"total":3}\n';
    const { header, rows, lines, info } = await read(text, { file: 'events.jsonl' });
    expect(header).toEqual(['customer.id', 'total', 'vip', 'note']);
    expect(rows).toEqual([
      ['c1', '12.5', 'true', ''],
      ['c2', '3', '', ''],
    ]);
    expect(lines).toEqual([1, 3]);
    expect(info.format).toBe('jsonl');
  });

  it('keeps every digit of 64-bit integer ids', async () => {
    const text =
      '{"customer_id": 12345678901234567890, "n": [9007199254740993, 1], "total": 1.5, "s": "1234567890123456789"}\n';
    const { rows } = await read(text, { file: 'e.jsonl' });
    expect(rows).toEqual([['12345678901234567890', '["9007199254740993",1]', '1.5', '1234567890123456789']]);
    const inString = await read('{"note": "x: 12345678901234567,y"}\n', { file: 'e.jsonl' });
    expect(inString.rows).toEqual([['x: 12345678901234567,y']]);
  });

  it('detects JSON Lines from content when the name says nothing', async () => {
    const { info, rows } = await read('{"id":"1"}\n{"id":"2"}\n', { file: 'drop.txt' });
    expect(info.format).toBe('jsonl');
    expect(rows).toEqual([['1'], ['2']]);
  });

  it('reads Parquet with strings, integers, doubles and timestamps', async () => {
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'customer_id', data: ['c1', 'c2', null], type: 'STRING' },
        { name: 'quantity', data: [1, -2, 3], type: 'INT32' },
        { name: 'total', data: [9.5, -1.25, 0], type: 'DOUBLE' },
        {
          name: 'at',
          data: [new Date('2024-01-02T03:04:05Z'), new Date(0), new Date(86_400_000)],
          type: 'TIMESTAMP',
        },
      ],
    });
    const { header, rows, lines, info } = await read(
      new Uint8Array(buffer),
      { file: 'orders.parquet' },
      1000,
    );
    expect(header).toEqual(['customer_id', 'quantity', 'total', 'at']);
    expect(rows).toEqual([
      ['c1', '1', '9.5', '2024-01-02T03:04:05.000Z'],
      ['c2', '-2', '-1.25', '1970-01-01T00:00:00.000Z'],
      ['', '3', '0', '1970-01-02T00:00:00.000Z'],
    ]);
    expect(lines).toEqual([1, 2, 3]);
    expect(info).toMatchObject({ format: 'parquet', rowsRead: 3 });
  });
});

describe('readTable: Parquet row groups and types', () => {
  it('reads every row group in order, numbering rows from 1, bigints exact', async () => {
    // Prepare: 5 rows in row groups of 2.
    const buffer = parquetWriteBuffer({
      rowGroupSize: 2,
      columnData: [
        { name: 'id', data: ['a', 'b', 'c', 'd', 'e'], type: 'STRING' },
        { name: 'n', data: [1n, 2n, 9007199254740993n, 4n, 5n], type: 'INT64' },
        { name: 'ok', data: [true, false, true, null, false], type: 'BOOLEAN' },
      ],
    });
    // Act
    const { rows, lines, info } = await read(new Uint8Array(buffer), { file: 'x.parquet' }, 100);
    // Assess
    expect(rows.map((r) => r.join('|'))).toEqual([
      'a|1|true',
      'b|2|false',
      'c|9007199254740993|true',
      'd|4|',
      'e|5|false',
    ]);
    expect(lines).toEqual([1, 2, 3, 4, 5]);
    expect(info.rowsRead).toBe(5);
  });

  it('detects Parquet by its magic number whatever the file is called', async () => {
    const buffer = parquetWriteBuffer({ columnData: [{ name: 'id', data: ['a'], type: 'STRING' }] });
    const { info, rows } = await read(new Uint8Array(buffer), { file: 'drop.bin' }, 100);
    expect(info.format).toBe('parquet');
    expect(rows).toEqual([['a']]);
  });
});

describe('readTable: gzip of every format', () => {
  const csv = 'id,total\n1,2\n3,4\n';
  const expected = [
    ['1', '2'],
    ['3', '4'],
  ];
  it.each([
    ['csv', bytesOf(csv), {}],
    ['tsv', bytesOf(csv.replaceAll(',', '\t')), { file: 'x.tsv.gz' }],
    ['whitespace', bytesOf('id  total\n 1   2\n 3   4\n'), { file: 'x.txt.gz' }],
    ['jsonl', bytesOf('{"id":"1","total":"2"}\n{"id":"3","total":"4"}\n'), { file: 'x.jsonl.gz' }],
    ['utf-16', utf16(csv, 'le'), {}],
    [
      'parquet',
      new Uint8Array(
        parquetWriteBuffer({
          columnData: [
            { name: 'id', data: ['1', '3'], type: 'STRING' },
            { name: 'total', data: ['2', '4'], type: 'STRING' },
          ],
        }),
      ),
      { file: 'x.parquet.gz' },
    ],
  ])('%s', async (_name, bytes, options) => {
    const { header, rows, info } = await read(gzipSync(bytes), options);
    expect(header).toEqual(['id', 'total']);
    expect(rows).toEqual(expected);
    expect(info.gzip).toBe(true);
  });
});

describe('readTable: CDNOW whitespace-aligned file', () => {
  const path = findCdnow();
  it.skipIf(path === null)('reads all 6,919 purchases with configured column names', async () => {
    // Prepare
    const rows: string[][] = [];
    let total = 0;
    // Act
    const info = await readTable(
      createReadStream(path!),
      {
        file: 'CDNOW_sample.txt',
        format: 'whitespace',
        header: false,
        columns: ['panelId', 'customerId', 'date', 'quantity', 'amount'],
      },
      {
        header: () => {},
        row: (fields) => {
          if (rows.length < 2) rows.push([...fields]);
          total += Number(fields[4]);
        },
        issue: (issue) => {
          throw new Error(issue.message);
        },
      },
    );
    // Assess
    expect(info).toMatchObject({ format: 'whitespace', rowsRead: 6919, gzip: false });
    expect(rows).toEqual([
      ['00004', '0001', '19970101', '2', '29.33'],
      ['00004', '0001', '19970118', '2', '29.73'],
    ]);
    const expectedTotal = readFileSync(path!, 'utf8')
      .split('\n')
      .filter((l) => l.trim().length > 0)
      .reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[4]), 0);
    expect(total).toBeCloseTo(expectedTotal, 6);
  });

  it.skipIf(path === null)('maps, dates and amounts the CDNOW columns end to end', async () => {
    // Prepare
    const columns = ['panelId', 'customerId', 'date', 'quantity', 'amount'];
    const dates: string[] = [];
    let amount = 0;
    let rows = 0;
    // Act
    await readTable(
      createReadStream(path!),
      { file: 'CDNOW_sample.txt', format: 'whitespace', header: false, columns },
      {
        header: () => {},
        row: (fields) => {
          if (dates.length < 100) dates.push(fields[2]);
          amount += parseAmount(fields[4]);
          rows++;
        },
        issue: () => {},
      },
    );
    const mapping = mapColumns(columns, { file: 'CDNOW_sample.txt' });
    const { format } = inferDateFormat(dates, { column: 'date', file: 'CDNOW_sample.txt' });
    // Assess
    expect(mapping.kind).toBe('transactions');
    expect(mapping.fields).toMatchObject({ customerId: 1, timestamp: 2, quantity: 3, amount: 4 });
    expect(format).toBe('yyyymmdd');
    expect(makeDateParser(format)(dates[0])).toBe(Date.UTC(1997, 0, 1));
    expect(rows).toBe(6919);
    expect(Number.isFinite(amount)).toBe(true);
  });

  it.skipIf(path === null)(
    'detects the whitespace layout of the gzipped file without a format setting',
    async () => {
      const { info, rows } = await read(
        gzipSync(readFileSync(path!)),
        { file: 'CDNOW_sample.txt.gz', header: false },
        65536,
      );
      expect(info).toMatchObject({ format: 'whitespace', rowsRead: 6919, gzip: true });
      expect(rows[6918]).toHaveLength(5);
    },
  );
});

describe('readTable: column selection', () => {
  it('materialises only the columns the visitor asks for; quoting, line numbers and raggedness unchanged', async () => {
    // Prepare
    const text = 'id,note,total,extra\n1,"a\nb",3,x\n\n   \n2,plain,4,y\n3,short\n';
    const rows: string[][] = [];
    const lines: number[] = [];
    const codes: string[] = [];
    // Act
    const info = await readTable(
      chunked(bytesOf(text), 3),
      { file: 'x.csv' },
      {
        header: () => [1, 2],
        row: (fields, line) => {
          rows.push([...fields]);
          lines.push(line);
        },
        issue: (issue) => {
          codes.push(`${issue.code}@${issue.line}`);
        },
      },
    );
    // Assess
    expect(rows).toEqual([
      ['', 'a\nb', '3', ''],
      ['', 'plain', '4', ''],
    ]);
    expect(lines).toEqual([2, 6]);
    expect(codes).toEqual(['ragged-row@7']);
    expect(info.rowsRead).toBe(3);
  });
});

describe('readTable: streaming', () => {
  it('gives the same rows whatever the chunk size', async () => {
    const text = 'a,b\n"x\n""y""",1\r\nz,2\n';
    const reference = await read(text, {}, 1000);
    for (const size of [1, 2, 3, 5]) {
      const { rows, lines } = await read(text, {}, size);
      expect(rows).toEqual(reference.rows);
      expect(lines).toEqual(reference.lines);
    }
    void chunked;
  });

  it('gives the same rows and line numbers for a random corpus cut at every kind of boundary', async () => {
    // Prepare: quoted fields with delimiters, doubled quotes and line breaks, CRLF and LF, and 2-, 3- and
    // 4-byte UTF-8 characters, so chunk cuts land inside quotes, escapes, CRLF pairs and characters
    const random = createRandom(31);
    const pieces = ['a', 'Zoë', '€5', '東京', '😀', 'x,y', 'say ""hi""', 'two\nlines', 'r\r\nn', '12.50', ''];
    const expected: string[][] = [];
    let text = 'id,name,note\n';
    for (let r = 0; r < 120; r++) {
      const row: string[] = [];
      const cells: string[] = [];
      for (let c = 0; c < 3; c++) {
        const raw = pieces[random.int(pieces.length)] + pieces[random.int(pieces.length)];
        const quoted = /[",\r\n]/.test(raw) || random.next() < 0.2;
        cells.push(quoted ? `"${raw}"` : raw);
        row.push(raw.replaceAll('""', '"'));
      }
      // a row of three empty cells is still a row ("" quoted keeps it from looking blank)
      if (row.every((v) => v === '')) cells[0] = '""';
      expected.push(row);
      text += cells.join(',') + (random.next() < 0.5 ? '\r\n' : '\n');
    }
    const whole = await read(text, {}, 1 << 20);

    // Act
    const cuts = await Promise.all([1, 2, 3, 4, 5, 7, 64, 4093].map((size) => read(text, {}, size)));

    // Assess
    expect(whole.rows).toEqual(expected);
    for (const cut of cuts) {
      expect(cut.rows).toEqual(whole.rows);
      expect(cut.lines).toEqual(whole.lines);
      expect(cut.issues).toEqual([]);
    }
  });
});

describe('readTable: a reader that stops early', () => {
  /** A source that records whether it was closed, like an S3 body whose socket must be released. */
  function trackedSource(chunks: number, compress = false) {
    const state = { closed: false, served: 0 };
    const line = 'customer_id,order_date,amount\n';
    const body = `${line}${'C1,2026-01-02,10.00\n'.repeat(2000)}`;
    const bytes = compress ? gzipSync(Buffer.from(body.repeat(chunks))) : Buffer.from(body);
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        if (compress) {
          for (let at = 0; at < bytes.length; at += 4096) {
            state.served++;
            yield bytes.subarray(at, at + 4096);
          }
        } else {
          for (let i = 0; i < chunks; i++) {
            state.served++;
            yield i === 0 ? bytes : Buffer.from('C2,2026-01-03,11.00\n'.repeat(2000));
          }
        }
      } finally {
        state.closed = true;
      }
    }
    return { state, source: source() };
  }

  it.each([
    ['plain', false],
    ['gzip', true],
  ])(
    'closes a %s source it stops reading (the plan reads only a head; a file error stops a file)',
    async (_, gzip) => {
      // Prepare: a long file, and a visitor that stops at its first row
      const { state, source } = trackedSource(500, gzip);
      const stop = new Error('enough');
      // Act
      const read = readTable(
        source,
        { file: 'orders.csv' },
        {
          header: () => undefined,
          row: () => {
            throw stop;
          },
          issue: () => undefined,
        },
      );
      // Assess: the error is the caller's, the source is closed, and most of it was never pulled
      await expect(read).rejects.toBe(stop);
      expect(state.closed).toBe(true);
      expect(state.served).toBeLessThan(50);
    },
  );
});
