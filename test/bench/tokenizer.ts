// Micro-benchmark of the delimited tokenizer and of readTable end to end (UTF-8 decode + tokenize) on a
// generated 1M-row CSV. Run: npx tsx test/bench/tokenizer.ts [rows]
// Prints rows/s; the target is ≥ 3M rows/s for the tokenizer alone. Also times a byte-level design (scan the
// undecoded Buffer, make strings only for text columns): in V8 it is slower than decoding whole chunks once
// and slicing strings, because Buffer element reads and per-field native string creation cost more.

import { cpus } from 'node:os';
import { readTable } from '../../lib/ingest/read/index.js';
import { DelimitedTokenizer } from '../../lib/ingest/read/tokenizer.js';

const rows = Number(process.argv[2] ?? 1_000_000);

function generate(n: number): string {
  const parts: string[] = ['customer_id,invoice_date,total,quantity,channel\n'];
  let seed = 42;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let i = 0; i < n; i++) {
    const quoted = i % 50 === 0 ? '"web, mobile"' : 'web';
    parts.push(
      `C${next() % 100000},2024-${String((next() % 12) + 1).padStart(2, '0')}-${String((next() % 28) + 1).padStart(2, '0')}T10:00:00Z,${(next() % 100000) / 100},${next() % 9},${quoted}\n`,
    );
  }
  return parts.join('');
}

const text = generate(rows);
const bytes = Buffer.from(text);
const chunk = 64 * 1024;
// Fresh, flat 64 KiB strings, as a decoder hands them over (slices of one big string would be slower).
const chunks: string[] = [];
for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk).toString('utf8'));
console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, node ${process.version}`);
console.log(
  `input: ${rows.toLocaleString('en-US')} rows, ${(bytes.length / 1e6).toFixed(1)} MB, 64 KiB chunks`,
);

function tokenizeOnce(): { ms: number; count: number; check: number } {
  let count = 0;
  let check = 0;
  const tokenizer = new DelimitedTokenizer(',', { file: 'bench.csv', maxFieldChars: 65536 }, (fields) => {
    count++;
    check += fields[2].length;
  });
  const start = process.hrtime.bigint();
  for (const part of chunks) tokenizer.push(part);
  tokenizer.end();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, count, check };
}

async function readOnce(selection?: number[]): Promise<{ ms: number; count: number }> {
  let count = 0;
  async function* source(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
  }
  const start = process.hrtime.bigint();
  await readTable(
    source(),
    { file: 'bench.csv' },
    { header: () => selection, row: () => void count++, issue: () => {} },
  );
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, count };
}

/** The floor for any one-pass tokenizer: one charCodeAt test per character, nothing else. */
function scanOnce(): { ms: number; count: number } {
  let count = 0;
  const start = process.hrtime.bigint();
  for (const part of chunks) {
    for (let j = 0; j < part.length; j++) if (part.charCodeAt(j) === 10) count++;
  }
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, count };
}

/**
 * The byte-level alternative, for comparison: one pass over the undecoded bytes (Buffer#indexOf for
 * delimiters), strings made only for the two text columns (latin1Slice), the three numeric and date
 * columns read straight from the bytes. No quotes, no validation: a lower bound for that design.
 */
function bytesOnce(): { ms: number; count: number } {
  let count = 0;
  let check = 0;
  const n = bytes.length;
  const text = new Uint8Array([1, 0, 0, 0, 1]);
  const start = process.hrtime.bigint();
  let pos = bytes.indexOf(10) + 1;
  let field = 0;
  let nextD = -1;
  let nextLf = -1;
  while (pos < n) {
    if (nextD < pos) {
      nextD = bytes.indexOf(44, pos);
      if (nextD < 0) nextD = n;
    }
    if (nextLf < pos) {
      nextLf = bytes.indexOf(10, pos);
      if (nextLf < 0) nextLf = n;
    }
    const end = nextD < nextLf ? nextD : nextLf;
    if (field < 5 && text[field] === 1) check += bytes.toString('latin1', pos, end).length;
    else {
      let v = 0;
      for (let j = pos; j < end; j++) {
        const digit = bytes[j] - 48;
        if (digit >= 0 && digit <= 9) v = v * 10 + digit;
      }
      check += v & 1;
    }
    field++;
    pos = end + 1;
    if (end === nextLf) {
      count++;
      field = 0;
    }
  }
  if (check < 0) console.log(check);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, count };
}

const best = (xs: number[]): number => Math.min(...xs);
const scanTimes: number[] = [];
for (let r = 0; r < 5; r++) scanTimes.push(scanOnce().ms);
const tokenTimes: number[] = [];
for (let r = 0; r < 5; r++) {
  const { ms, count } = tokenizeOnce();
  if (count !== rows + 1) throw new Error(`expected ${rows + 1} records, got ${count}`);
  tokenTimes.push(ms);
}
const byteTimes: number[] = [];
for (let r = 0; r < 5; r++) {
  const { ms, count } = bytesOnce();
  if (count !== rows) throw new Error(`bytes: expected ${rows} rows, got ${count}`);
  byteTimes.push(ms);
}
const readTimes: number[] = [];
for (let r = 0; r < 3; r++) {
  const { ms, count } = await readOnce();
  if (count !== rows) throw new Error(`expected ${rows} rows, got ${count}`);
  readTimes.push(ms);
}
const selectTimes: number[] = [];
for (let r = 0; r < 3; r++) selectTimes.push((await readOnce([0, 1, 2])).ms);
const rate = (ms: number): string => `${(((rows / ms) * 1000) / 1e6).toFixed(2)}M rows/s`;
console.log(
  `baseline (bare charCodeAt scan of the same text, this machine's ceiling): best ${best(scanTimes).toFixed(0)} ms → ${rate(best(scanTimes))}`,
);
console.log(
  `tokenizer alone (decoded 64 KiB string chunks): best ${best(tokenTimes).toFixed(0)} ms → ${rate(best(tokenTimes))}`,
);
console.log(`tokenizer / baseline: ${(best(scanTimes) / best(tokenTimes)).toFixed(2)}`);
console.log(
  `byte-level alternative (Buffer scan, strings for 2 text columns, numbers from bytes, no quotes): best ${best(byteTimes).toFixed(0)} ms → ${rate(best(byteTimes))}`,
);
console.log(
  `readTable (bytes → UTF-8 decode → rows): best ${best(readTimes).toFixed(0)} ms → ${rate(best(readTimes))}`,
);
console.log(
  `readTable reading 3 of 5 columns (header() returns [0, 1, 2]): best ${best(selectTimes).toFixed(0)} ms → ${rate(best(selectTimes))}`,
);
