// Ingest over byte ranges: a file cut into many small ranges must give what one range (a whole-file
// read) gives — the same shard contents, the same per-file counts, the same issues on the same lines —
// including quoted newlines, CRLF line breaks, JSON Lines, and a bad row in the last range.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/config/schema.js';
import { dropDuplicateRows } from '../../../lib/ingest/duplicates.js';
import { ingestRange, mergeRanges, type PlanSource, planIngest } from '../../../lib/ingest/ranges.js';
import { DelimitedTokenizer } from '../../../lib/ingest/read/tokenizer.js';
import { scanSplitPoints } from '../../../lib/ingest/split.js';
import { ingestSources } from '../../../lib/ingest/stage.js';
import { type Columns, decodeColumns } from '../../../lib/storage/columnar.js';
import { createRandom } from '../../../lib/util/random.js';

const NOW = Date.UTC(2026, 10, 22);

function source(file: string, text: string): PlanSource & { bytes: Uint8Array } {
  const bytes = new TextEncoder().encode(text);
  return {
    file,
    key: `incoming/shop/${file}`,
    size: bytes.length,
    bytes,
    open: async () => chunks(bytes),
  };
}

async function* chunks(bytes: Uint8Array, size = 4093): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, Math.min(bytes.length, i + size));
}

/** Plans, ingests every range, merges: the decoded parts per shard and record, and the report. */
async function ingestByRanges(
  sources: (PlanSource & { bytes: Uint8Array })[],
  rangeBytes: number,
  rawConfig: unknown = {},
) {
  const config = parseConfig(rawConfig);
  const plan = await planIngest(sources, config, { rangeBytes, now: NOW });
  const parts = new Map<string, Columns[]>();
  const reports = [];
  for (const range of plan.ranges) {
    const bytes = sources.find((s) => s.file === plan.files[range.file].file)!.bytes;
    reports.push(
      await ingestRange(
        plan,
        range.index,
        async () => chunks(bytes.subarray(range.start, range.end), 1000),
        config,
        async (shard, name, _part, encoded) => {
          const key = `${shard}/${name}`;
          parts.set(key, [...(parts.get(key) ?? []), decodeColumns(encoded).columns]);
        },
        { now: NOW },
      ),
    );
  }
  return { plan, parts, report: mergeRanges(plan, reports, config) };
}

/** A shard's rows as sorted text lines: a multiset, whatever the part boundaries. */
function rowsOf(parts: Map<string, Columns[]>, skip: readonly string[] = []): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, list] of parts) {
    const lines: string[] = [];
    for (const cols of list) {
      const names = Object.keys(cols).filter((n) => !skip.includes(n));
      const n = (cols[names[0]] as ArrayLike<unknown>).length;
      for (let i = 0; i < n; i++)
        lines.push(names.map((c) => String((cols[c] as ArrayLike<unknown>)[i])).join('|'));
    }
    out[key] = lines.sort();
  }
  return out;
}

const issuesOf = (files: { issues: { line?: number; column?: string; code: string }[] }[]) =>
  files.map((f) => f.issues.map((i) => `${i.line}:${i.column}:${i.code}`));

/** Orders CSV: CRLF line breaks, quoted categories holding newlines and quotes, one bad row near the end. */
function ordersCsv(rows: number): string {
  const lines = ['order_id,customer_id,created_at,amount,category'];
  for (let i = 0; i < rows; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    const amount = i === rows - 3 ? 'abc' : (10 + (i % 97) * 1.5).toFixed(2);
    const category = i % 7 === 0 ? `"multi\r\nline ""${i % 5}"""` : i % 11 === 0 ? '"a,b"' : `cat${i % 4}`;
    lines.push(`O${i},C${i % 257},2026-03-${day}T10:00:00Z,${amount},${category}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

describe('ingest over byte ranges', () => {
  it('gives the same shards, counts and issue lines as one range, with quoted newlines and CRLF', async () => {
    // Prepare
    const orders = source('orders.csv', ordersCsv(3000));
    // Act
    const one = await ingestByRanges([orders], 1 << 30);
    const many = await ingestByRanges([orders], 4096);
    // Assess
    expect(one.plan.ranges).toHaveLength(1);
    expect(many.plan.ranges.length).toBeGreaterThan(10);
    expect(rowsOf(many.parts)).toEqual(rowsOf(one.parts));
    expect(many.report.files.map((f) => f.rows)).toEqual(one.report.files.map((f) => f.rows));
    expect(many.report.rows).toEqual({ read: 3000, accepted: 2999, rejected: 1 });
    expect(issuesOf(many.report.files)).toEqual(issuesOf(one.report.files));
    expect(many.report.records).toMatchObject({ transactions: 2999 });
    expect({ min: many.report.minEventMs, max: many.report.maxEventMs }).toEqual({
      min: one.report.minEventMs,
      max: one.report.maxEventMs,
    });
  });

  it('reports a bad row in the last range on its true physical line, as a whole-file read does', async () => {
    // Prepare: rows 0…2999 take lines 2…; every 7th row holds one quoted line break, so lines drift
    const text = ordersCsv(3000);
    const orders = source('orders.csv', text);
    // Act
    const many = await ingestByRanges([orders], 4096);
    const whole = await ingestSources([orders], parseConfig({}), async () => {}, { now: NOW });
    // Assess: the line the tokenizer of a whole-file read reports, and the physical line in the text
    const bad = many.report.files[0].issues.find((i) => i.code === 'invalid-amount' || i.column === 'amount');
    const expectedLine = text.slice(0, text.indexOf('O2997,')).split(/\r\n|\n|\r/).length;
    expect(bad?.line).toBe(expectedLine);
    expect(whole.files[0].issues.map((i) => i.line)).toEqual([expectedLine]);
    const last = many.plan.ranges.at(-1)!;
    expect(last.line).toBeLessThan(expectedLine);
    expect(last.start).toBeLessThan(text.indexOf('O2997,'));
  });

  it('cuts JSON Lines too, and reads every range with the header of the first records', async () => {
    // Prepare
    const lines: string[] = [];
    for (let i = 0; i < 2500; i++)
      lines.push(
        JSON.stringify({
          order_id: `O${i}`,
          customer_id: `C${i % 101}`,
          created_at: `2026-02-${String(1 + (i % 27)).padStart(2, '0')}`,
          amount: i === 2400 ? 'x' : 5 + (i % 13),
          ...(i === 2450 ? { late_key: 1 } : {}),
        }),
      );
    const events = source('events.jsonl', `${lines.join('\n')}\n`);
    // Act
    const one = await ingestByRanges([events], 1 << 30);
    const many = await ingestByRanges([events], 2048);
    // Assess
    expect(many.plan.ranges.length).toBeGreaterThan(10);
    expect(rowsOf(many.parts)).toEqual(rowsOf(one.parts));
    expect(many.report.files[0].rows).toEqual(one.report.files[0].rows);
    expect(issuesOf(many.report.files)).toEqual(issuesOf(one.report.files));
    expect(many.report.files[0].issues[0].line).toBe(2401);
    expect(many.report.files[0].warnings).toEqual(one.report.files[0].warnings);
  });

  it('keeps gzip, small files and files with an unclosed quote as one range each', async () => {
    // Prepare
    const unclosed = source('late.csv', `${ordersCsv(2500)}O9,C1,2026-03-01T10:00:00Z,5,"open\n`);
    const small = source('small.csv', ordersCsv(10));
    // Act
    const plan = await planIngest([unclosed, small], parseConfig({}), { rangeBytes: 4096, now: NOW });
    // Assess
    expect(plan.files.map((f) => [f.file, f.rangeCount, f.whole])).toEqual([
      ['late.csv', 1, 'a quoted field is never closed'],
      ['small.csv', 1, undefined],
    ]);
  });

  it('quarantines a file on its whole error rate, not on one range', async () => {
    // Prepare: 60 bad amounts in 3,000 rows (2 %), all in the last rows: one range alone would be over 5 %
    const text = ordersCsv(3000).replace(/(O29[4-9]\d,C\d+,[^,]+,)[^,]+/g, '$1bad');
    const orders = source('orders.csv', text);
    // Act
    const ok = await ingestByRanges([orders], 4096);
    const strict = await ingestByRanges([orders], 4096, { maxRowErrorRate: 0.01 });
    // Assess
    expect(ok.report.files[0].rows.rejected).toBe(60);
    expect(ok.report.quarantined).toEqual([]);
    expect(strict.report.quarantined).toEqual(['orders.csv']);
    expect(strict.report.files[0].fileError?.message).toContain('60 of 3000 rows (2.0 %)');
  });

  it('keeps the first of exact duplicates across ranges and across files, counted once per file', async () => {
    // Prepare: b.csv repeats rows 100–109 of a.csv; a.csv repeats its own row 5 at its end (another range)
    const a = ordersCsv(2500)
      .trimEnd()
      .split(/\r\n(?=O)/); // records, some holding a quoted CRLF
    const aText = `${[...a, a[6]].join('\r\n')}\r\n`;
    const bText = `${[a[0], ...a.slice(101, 111), 'O77777,C1,2026-03-02T10:00:00Z,5,x'].join('\r\n')}\r\n`;
    // Act
    const ranged = await ingestByRanges([source('a.csv', aText), source('b.csv', bText)], 4096);
    const all = [...ranged.parts.entries()].filter(([k]) => k.endsWith('/transactions'));
    const checks = all.map(([, list]) => dropDuplicateRows(list));
    // Assess: one duplicate in a.csv (its last line), ten in b.csv (row 105 spans lines 7–8); the rest kept
    const byFile = new Map<number, number[]>();
    for (const c of checks)
      for (const [file, d] of Object.entries(c.files))
        byFile.set(Number(file), [...(byFile.get(Number(file)) ?? []), ...d.lines]);
    expect([...byFile.get(0)!].sort((x, y) => x - y)).toEqual([aText.trimEnd().split('\r\n').length]);
    expect(ranged.plan.files[0].rangeCount).toBeGreaterThan(5);
    expect([...byFile.get(1)!].sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7, 9, 10, 11, 12]);
    const kept = checks.reduce((n, c) => n + c.kept, 0);
    expect(kept).toBe(2500 - 1 + 1); // a.csv's 2,500 minus its bad row, plus b.csv's new order
  });
});

describe('scanSplitPoints', () => {
  it('never cuts inside a quoted field and counts lines as the tokenizer does (LF, CRLF, quoted lone CR)', async () => {
    // Prepare
    const text = 'h1,h2\n"a\nb",1\r\nc,"d\re"\n"x""\n",2\nlast,3';
    const bytes = new TextEncoder().encode(text);
    // Act: a cut after every record where allowed, read one byte at a time
    const scan = await scanSplitPoints(chunks(bytes, 1), {
      format: 'delimited',
      delimiter: 44,
      rangeBytes: 1,
      firstCutAt: 1,
      validateUtf8: true,
    });
    // Assess
    expect(scan.ranges.map((r) => [text.slice(r.start, r.end), r.line])).toEqual([
      ['h1,h2\n', 1],
      ['"a\nb",1\r\n', 2],
      ['c,"d\re"\n', 4],
      ['"x""\n",2\n', 6],
      ['last,3', 8],
    ]);
    expect(scan).toMatchObject({ validUtf8: true, lineFeeds: true, endsInQuote: false });
  });

  it('agrees with the tokenizer on every record start line, on random quoted text in random chunks', async () => {
    // Prepare: fields plain, quoted with doubled quotes, \n, \r\n and lone \r inside, a literal quote
    // mid-field, text after a closing quote; records end with \n or \r\n (never a blank line)
    const random = createRandom(7);
    const pieces: string[] = [
      'ab',
      'x"y',
      '"q""q"',
      '"l\nl"',
      '"c\r\nr"',
      '"m\rm"',
      '"t"z',
      '""',
      '',
      'a\rb',
      '"e\r"',
    ];
    for (let round = 0; round < 60; round++) {
      const records: string[] = ['h1,h2,h3'];
      for (let r = 0; r < 40; r++) {
        const fields = Array.from({ length: 3 }, () => pieces[random.int(pieces.length)]);
        if (!fields.some((f) => f !== '')) fields[0] = 'v';
        records.push(fields.join(','));
      }
      const text = records.map((r) => `${r}${random.int(2) ? '\r\n' : '\n'}`).join('');
      const expected: number[] = [];
      const tokenizer = new DelimitedTokenizer(
        ',',
        { file: 'f.csv', maxFieldChars: 1 << 16, lineFeeds: true },
        (_f, line) => expected.push(line),
      );
      tokenizer.push(text);
      tokenizer.end();
      // Act
      const scan = await scanSplitPoints(chunks(new TextEncoder().encode(text), 1 + random.int(9)), {
        format: 'delimited',
        delimiter: 44,
        rangeBytes: 1,
        firstCutAt: 1,
        validateUtf8: true,
      });
      // Assess
      expect(
        scan.ranges.map((r) => r.line),
        text,
      ).toEqual(expected);
      expect(scan.lineFeeds).toBe(true);
    }
  });
});
