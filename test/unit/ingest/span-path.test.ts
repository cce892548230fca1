// The span fast path of delimited transaction rows (fields typed straight from the decoded text) against
// the general path (every field a string): on varied inputs — quoted fields, CRLF, a byte-order mark,
// empty cells, bad amounts and dates, other date shapes, formula-like and padded values, returns, exact
// repeats, ragged rows, non-ASCII text, a non-UTC zone, a decimal comma — both must give the same shard
// parts, the same counts and the same issues and flags, read whole and read in many ranges.
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/config/schema.js';
import { ingestRange, mergeRanges, type PlanSource, planIngest } from '../../../lib/ingest/ranges.js';
import { fastPathRows, ingestSources, setFastPath } from '../../../lib/ingest/stage.js';
import { isoSpanMs, makeDateParser, parseAmount, plainSpanValue } from '../../../lib/ingest/values.js';
import { decodeColumns } from '../../../lib/storage/columnar.js';
import { createRandom } from '../../../lib/util/random.js';

const NOW = Date.UTC(2026, 10, 22);

function source(file: string, bytes: Uint8Array): PlanSource & { bytes: Uint8Array } {
  return { file, key: `incoming/shop/${file}`, size: bytes.length, bytes, open: async () => chunks(bytes) };
}

async function* chunks(bytes: Uint8Array, size = 997): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, Math.min(bytes.length, i + size));
}

/** Every part decoded, in write order, as JSON text (NaN and -0 kept apart). */
function recorder() {
  const parts: string[] = [];
  const write = async (shard: number, name: string, part: number, bytes: Uint8Array): Promise<void> => {
    const { columns, rows } = decodeColumns(bytes);
    const plain = Object.fromEntries(
      Object.entries(columns).map(([k, v]) => [
        k,
        Array.from(v as ArrayLike<string | number>, (x) =>
          typeof x === 'number' ? (Object.is(x, -0) ? '-0' : Number.isNaN(x) ? 'NaN' : x) : x,
        ),
      ]),
    );
    parts.push(JSON.stringify({ shard, name, part, rows, columns: plain }));
  };
  return { parts, write };
}

async function wholeRead(file: string, bytes: Uint8Array, rawConfig: unknown) {
  const config = parseConfig(rawConfig);
  const { parts, write } = recorder();
  const report = await ingestSources([source(file, bytes)], config, write, { now: NOW, rowsPerPart: 700 });
  return { parts, report };
}

async function rangedRead(file: string, bytes: Uint8Array, rawConfig: unknown) {
  const config = parseConfig(rawConfig);
  const src = source(file, bytes);
  const plan = await planIngest([src], config, { rangeBytes: 20_000, now: NOW });
  const { parts, write } = recorder();
  const reports = [];
  for (const range of plan.ranges)
    reports.push(
      await ingestRange(
        plan,
        range.index,
        async () => chunks(bytes.subarray(range.start, range.end), 1013),
        config,
        write,
        { now: NOW, rowsPerPart: 700 },
      ),
    );
  return { ranges: plan.ranges.length, parts, report: mergeRanges(plan, reports, config) };
}

const HEADER = [
  'order_id',
  'customer_id',
  'email',
  'created_at',
  'total',
  'discount_amount',
  'quantity',
  'product_id',
  'category',
  'channel',
  'financial_status',
];

/** A transactions export where most rows are ordinary and one in three carries some oddity. */
function exportText(
  seed: number,
  rows: number,
  options: { crlf?: boolean; bom?: boolean; openEnd?: boolean } = {},
): Uint8Array {
  const random = createRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[random.int(xs.length)];
  const eol = options.crlf ? '\r\n' : '\n';
  const lines = [HEADER.join(',')];
  let customer = 1000;
  let previous: string | null = null;
  for (let i = 0; i < rows; i++) {
    if (random.next() < 0.3) customer = 1000 + random.int(400);
    const day = 1 + random.int(28);
    const cells = [
      `#${5000 + i}`,
      `C${customer}`,
      `c${customer}@example.com`,
      `2024-0${1 + random.int(9)}-${String(day).padStart(2, '0')}T0${random.int(10)}:1${random.int(10)}:2${random.int(10)}Z`,
      `${random.int(30000) / 100}`,
      random.next() < 0.5 ? '0.00' : '',
      `${1 + random.int(4)}`,
      `P${random.int(50)}`,
      pick(['home', 'beauty', 'apparel', 'toys']),
      pick(['app', 'web', 'store']),
      pick(['paid', 'paid', 'paid', 'refunded', 'Paid']),
    ];
    if (random.next() < 0.35) {
      const odd = random.int(30);
      const at = (name: string) => HEADER.indexOf(name);
      switch (odd) {
        case 0:
          cells[at('channel')] = '"web, mobile"';
          break;
        case 1:
          cells[at('category')] = '"home ""deco"""';
          break;
        case 2:
          cells[at('customer_id')] = '';
          break;
        case 3:
          cells[at('customer_id')] = ` C${customer} `;
          break;
        case 4:
          cells[at('total')] = pick(['abc', '', 'NaN', 'Infinity']);
          break;
        case 5:
          cells[at('total')] = pick(['"1,234.50"', '$12', '(12.00)', '12.50 EUR', ' 7.5 ', '-3.20', '1e3']);
          break;
        case 6:
          cells[at('created_at')] = pick([
            '2024-13-01',
            '2024-02-30',
            'not a date',
            '',
            '2024-02-29T24:00:00Z',
          ]);
          break;
        case 7:
          cells[at('created_at')] = pick([
            '2024-11-29',
            '2024-11-29 06:29:25',
            '2024-11-29T06:29:25+02:00',
            '2024-11-29T06:29:25.123Z',
            '2024-11-29t06:29:25z',
            ' 2024-11-29T06:29:25Z',
          ]);
          break;
        case 8:
          cells[at('created_at')] = pick(['2030-01-01T00:00:00Z', '1985-06-01T00:00:00Z']);
          break;
        case 9:
          cells[at('order_id')] = pick(['=cmd|calc', '@SUM(A1)', '+33 6 12', '-5', '=', 'C536379']);
          break;
        case 10:
          cells[at('category')] = pick([' home', 'home ', '\u00a0home', 'café', 'décor ']);
          break;
        case 11:
          cells[at('quantity')] = pick(['', 'x', '-1', '2.5', '0']);
          break;
        case 12:
          cells[at('discount_amount')] = pick(['abc', ' ', '1,5', '-2']);
          break;
        case 13:
          cells.push('');
          break;
        case 14:
          cells.push('extra');
          break;
        case 15:
          cells.pop();
          break;
        case 16:
          if (previous !== null) {
            lines.push(previous); // an exact repeat
            continue;
          }
          break;
        case 17:
          cells[at('product_id')] = pick(['"multi\nline"', 'P 1', '=HYPERLINK("x")']);
          break;
        case 18:
          cells[at('financial_status')] = pick(['Refunded', ' cancelled', 'voided', '']);
          break;
        case 19:
          lines.push('');
          break;
        case 20:
          cells[at('customer_id')] = pick(['=1+1', '+C1', '-C1', '@me']);
          break;
        default:
          break;
      }
    }
    const line = cells.join(',');
    lines.push(line);
    previous = line;
  }
  // the last line may end in a delimiter (an empty last field) with no line break after it
  if (options.openEnd) lines.push(`#9${rows},C1,c1@example.com,2024-05-05T10:00:00Z,5,,1,P1,home,app,`);
  const text = `${options.bom ? '\ufeff' : ''}${lines.join(eol)}${options.openEnd ? '' : eol}`;
  return new TextEncoder().encode(text);
}

afterEach(() => setFastPath(true));

async function bothWays<T>(read: () => Promise<T>): Promise<{ fast: T; general: T; taken: number }> {
  setFastPath(true);
  const before = fastPathRows();
  const fast = await read();
  const taken = fastPathRows() - before;
  setFastPath(false);
  const general = await read();
  setFastPath(true);
  return { fast, general, taken };
}

describe('span fast path', () => {
  // fast: whether the fast path applies to the file at all (a decimal comma keeps it off)
  const cases: { name: string; bytes: Uint8Array; config: unknown; fast: boolean }[] = [
    { name: 'LF', bytes: exportText(1, 3000), config: {}, fast: true },
    {
      name: 'CRLF with a byte-order mark',
      bytes: exportText(2, 3000, { crlf: true, bom: true }),
      config: {},
      fast: true,
    },
    {
      name: 'repeats kept, no line break at the end',
      bytes: exportText(3, 3000, { openEnd: true }),
      config: { duplicateRows: 'keep' },
      fast: true,
    },
    {
      name: 'a non-UTC zone',
      bytes: exportText(4, 3000),
      config: { files: [{ match: '*', timeZone: 'Europe/Paris' }] },
      fast: true,
    },
    {
      name: 'a decimal comma',
      bytes: exportText(5, 3000),
      config: { files: [{ match: '*', decimal: ',' }] },
      fast: false,
    },
  ];

  for (const c of cases) {
    it(`gives the general path's parts and report, read whole (${c.name})`, async () => {
      // Prepare / Act
      const { fast, general, taken } = await bothWays(() => wholeRead('orders.csv', c.bytes, c.config));

      // Assess: the fast path took most rows after the 2,000 held back to infer the date format (or
      // none, where it does not apply), with the same result
      if (c.fast) expect(taken).toBeGreaterThan((general.report.rows.read - 2000) / 2);
      else expect(taken).toBe(0);
      expect(fast.report).toEqual(general.report);
      expect(fast.parts).toEqual(general.parts);
      expect(general.report.rows.accepted).toBeGreaterThan(0);
      expect(general.report.rows.rejected).toBeGreaterThan(0);
    });

    it(`gives the general path's parts and report, read in ranges (${c.name})`, async () => {
      // Prepare / Act
      const { fast, general, taken } = await bothWays(() => rangedRead('orders.csv', c.bytes, c.config));

      // Assess
      expect(fast.ranges).toBeGreaterThan(3);
      if (c.fast) expect(taken).toBeGreaterThan(general.report.rows.read / 2);
      expect(fast.report).toEqual(general.report);
      expect(fast.parts).toEqual(general.parts);
    });
  }

  it('takes the ordinary rows and leaves the odd ones to the general path', async () => {
    // Prepare: an export with every kind of oddity on about a third of its rows
    const bytes = exportText(6, 3000);

    // Act
    const { fast, general, taken } = await bothWays(() => rangedRead('orders.csv', bytes, {}));

    // Assess: the ordinary rows went the fast way, the odd ones (about a third) the general way
    expect(fast.parts).toEqual(general.parts);
    expect(fast.report).toEqual(general.report);
    expect(fast.report.rows.rejected).toBeGreaterThan(100);
    expect(fast.report.files[0].flaggedByCode['formula-like-value']).toBeGreaterThan(10);
    expect(taken).toBeGreaterThan(0.5 * general.report.rows.read);
    expect(taken).toBeLessThan(0.9 * general.report.rows.read);
  });
});

describe('span readers', () => {
  it('read an ISO date as the iso parser does, or give way (NaN) to it', () => {
    // Prepare: valid and broken dates of the fast shapes and others, inside a longer text
    const random = createRandom(7);
    const iso = makeDateParser('iso');
    const alphabet = '0123456789-:TtZz +.';
    const samples = ['2024-02-29', '2023-02-29', '2024-12-31T23:59:59Z', '0099-01-01', '2024-11-29 06:29:25'];
    for (let i = 0; i < 20_000; i++) {
      const base = `${1900 + random.int(200)}-${String(random.int(14)).padStart(2, '0')}-${String(random.int(33)).padStart(2, '0')}T${String(random.int(26)).padStart(2, '0')}:${String(random.int(62)).padStart(2, '0')}:${String(random.int(62)).padStart(2, '0')}Z`;
      const chars = [...base.slice(0, [10, 19, 20][random.int(3)])];
      if (random.next() < 0.3) chars[random.int(chars.length)] = alphabet[random.int(alphabet.length)];
      samples.push(chars.join(''));
    }
    for (const sample of samples) {
      const text = `x,${sample},y`;
      for (const utc of [true, false]) {
        // Act
        const fast = isoSpanMs(text, 2, 2 + sample.length, utc);

        // Assess: the same value whenever it answers; it answers for every valid UTC date of its shapes
        if (!Number.isNaN(fast)) expect(fast).toBe(iso(sample));
        else if (
          utc &&
          !Number.isNaN(iso(sample)) &&
          /^\d{4}-\d\d-\d\d([Tt ]\d\d:\d\d:\d\d[Zz]?)?$/.test(sample)
        )
          expect.unreachable(`declined ${sample}`);
      }
    }
  });

  it('read a plain number as parseAmount does, or give way (NaN) to it', () => {
    const random = createRandom(8);
    const alphabet = '0123456789.-,+ e';
    for (let i = 0; i < 20_000; i++) {
      // Prepare
      const length = 1 + random.int(19);
      let sample = '';
      for (let k = 0; k < length; k++)
        sample += alphabet[random.int(random.next() < 0.8 ? 11 : alphabet.length)];
      const text = `a,${sample},b`;

      // Act
      const fast = plainSpanValue(text, 2, 2 + sample.length);

      // Assess
      if (!Number.isNaN(fast)) expect(Object.is(fast, parseAmount(sample))).toBe(true);
    }
  });
});
