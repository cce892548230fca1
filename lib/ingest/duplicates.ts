// Exact duplicate transactions (duplicateRows: 'reject'), found where all of a customer's rows meet: one
// shard's parts in BuildFeatures. Ingest ranges cannot see each other's rows, so each row carries a
// fingerprint and its origin (file index, line); the first occurrence in (file, line) order is kept,
// as a whole-snapshot read kept it, and every repeat is reported against its own file and line.
import type { Column, Columns } from '../storage/columnar.js';
import { MAX_ISSUES_KEPT } from './stage.js';

const FILE_FACTOR = 2 ** 32;

export interface DuplicateFile {
  /** repeats found in this file (rows not counted) */
  count: number;
  /** lines of the first repeats (at most MAX_ISSUES_KEPT, smallest first) and their order ids */
  lines: number[];
  values: string[];
}

export interface DuplicateCheck {
  /** the parts without the repeats */
  parts: Columns[];
  kept: number;
  removed: number;
  /** by file index (the plan's file order) */
  files: Record<string, DuplicateFile>;
}

/** Drops repeated transactions from one shard's parts, keeping each fingerprint's earliest origin. */
export function dropDuplicateRows(parts: readonly Columns[]): DuplicateCheck {
  const repeated = findRepeats(parts);
  const repeats: { origin: number; value: string }[] = [];
  let kept = 0;
  let base = 0;
  const out = parts.map((p) => {
    const keys = p.duplicateKey;
    const origins = p.origin;
    const n = rowCount(p);
    if (!(keys instanceof Float64Array) || !(origins instanceof Float64Array) || !repeated) {
      kept += n;
      return p;
    }
    const at = base;
    base += keys.length;
    const keep = new Uint8Array(n);
    let count = 0;
    const orders = p.orderId as string[] | undefined;
    for (let i = 0; i < n; i++) {
      if (repeated[at + i] === 1) {
        repeats.push({ origin: origins[i], value: orders?.[i] ?? '' });
        continue;
      }
      keep[i] = 1;
      count++;
    }
    kept += count;
    return count === n ? p : filterColumns(p, keep, count);
  });
  repeats.sort((a, b) => a.origin - b.origin);
  const files: Record<string, DuplicateFile> = {};
  for (const r of repeats) {
    const file = String(Math.floor(r.origin / FILE_FACTOR));
    files[file] ??= { count: 0, lines: [], values: [] };
    const entry = files[file];
    entry.count++;
    if (entry.lines.length < MAX_ISSUES_KEPT) {
      entry.lines.push(r.origin % FILE_FACTOR);
      entry.values.push(r.value);
    }
  }
  return { parts: out, kept, removed: repeats.length, files };
}

/** Rows per bucket aimed at: a bucket's table (16 bytes a slot, half full) stays in the CPU cache. */
const BUCKET_ROWS = 4096;

/**
 * Per fingerprinted row (parts with fingerprints, concatenated in order): 1 when another row has the same
 * fingerprint and an earlier origin, i.e. the row is a repeat; undefined when no row has a fingerprint.
 * Rows are first scattered into buckets by a hash of the fingerprint, then each bucket gets a small
 * open-addressing table: one table for all rows was cache misses throughout (and a Map boxed every key).
 * Fingerprints compare as a Map's keys did (SameValueZero; 0 means none, NaN matches NaN).
 */
function findRepeats(parts: readonly Columns[]): Uint8Array | undefined {
  let total = 0;
  let any = false;
  for (const p of parts) {
    if (!(p.duplicateKey instanceof Float64Array) || !(p.origin instanceof Float64Array)) continue;
    total += p.duplicateKey.length;
    for (let i = 0; i < p.duplicateKey.length && !any; i++) any = p.duplicateKey[i] !== 0;
  }
  if (!any) return undefined;
  const keys = new Float64Array(total);
  const origins = new Float64Array(total);
  let at = 0;
  for (const p of parts) {
    if (!(p.duplicateKey instanceof Float64Array) || !(p.origin instanceof Float64Array)) continue;
    keys.set(p.duplicateKey, at);
    origins.set(p.origin, at);
    at += p.duplicateKey.length;
  }
  let bucketBits = 0;
  while (bucketBits < 16 && total >> bucketBits > BUCKET_ROWS) bucketBits++;
  const bits = new Float64Array(1);
  const words = new Uint32Array(bits.buffer);
  const hash = new Int32Array(total);
  const start = new Int32Array((1 << bucketBits) + 1);
  for (let i = 0; i < total; i++) {
    const k = keys[i];
    if (k === 0) continue;
    bits[0] = Number.isNaN(k) ? Number.NaN : k;
    let h = Math.imul(words[0] ^ Math.imul(words[1], 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    hash[i] = h;
    start[(bucketBits ? h >>> (32 - bucketBits) : 0) + 1]++;
  }
  const buckets = 1 << bucketBits;
  for (let b = 0; b < buckets; b++) start[b + 1] += start[b];
  // the rows' fingerprints, origins and hashes themselves are moved into bucket order, so the tables
  // below read them sequentially (gathering them through an index was most of the time)
  const m = start[buckets];
  const rowOf = new Int32Array(m);
  const keyOf = new Float64Array(m);
  const originOf = new Float64Array(m);
  const hashOf = new Int32Array(m);
  const fill = start.slice(0, buckets);
  for (let i = 0; i < total; i++) {
    if (keys[i] === 0) continue;
    const j = fill[bucketBits ? hash[i] >>> (32 - bucketBits) : 0]++;
    rowOf[j] = i;
    keyOf[j] = keys[i];
    originOf[j] = origins[i];
    hashOf[j] = hash[i];
  }
  let largest = 0;
  for (let b = 0; b < buckets; b++) largest = Math.max(largest, start[b + 1] - start[b]);
  let capacity = 16;
  while (capacity < 2 * largest) capacity *= 2;
  const mask = capacity - 1;
  const tableKey = new Float64Array(capacity);
  const tableEarliest = new Float64Array(capacity);
  const tableBucket = new Int32Array(capacity).fill(-1);
  const slotOf = new Int32Array(largest);
  const repeated = new Uint8Array(total);
  for (let b = 0; b < buckets; b++) {
    for (let j = start[b]; j < start[b + 1]; j++) {
      const k = keyOf[j];
      const nan = Number.isNaN(k);
      let s = hashOf[j] & mask;
      while (tableBucket[s] === b && !(tableKey[s] === k || (nan && Number.isNaN(tableKey[s]))))
        s = (s + 1) & mask;
      if (tableBucket[s] !== b) {
        tableBucket[s] = b;
        tableKey[s] = k;
        tableEarliest[s] = originOf[j];
      } else if (originOf[j] < tableEarliest[s]) tableEarliest[s] = originOf[j];
      slotOf[j - start[b]] = s;
    }
    for (let j = start[b]; j < start[b + 1]; j++)
      if (tableEarliest[slotOf[j - start[b]]] !== originOf[j]) repeated[rowOf[j]] = 1;
  }
  return repeated;
}

function rowCount(p: Columns): number {
  const any = Object.values(p)[0];
  return any ? any.length : 0;
}

function filterColumns(p: Columns, keep: Uint8Array, count: number): Columns {
  const out: Columns = {};
  for (const [name, col] of Object.entries(p)) out[name] = filterColumn(col, keep, count);
  return out;
}

function filterColumn(col: Column, keep: Uint8Array, count: number): Column {
  if (Array.isArray(col)) {
    const out = new Array<string>(count);
    let at = 0;
    for (let i = 0; i < keep.length; i++) if (keep[i] === 1) out[at++] = col[i];
    return out;
  }
  const out = new (col.constructor as new (n: number) => typeof col)(count);
  let at = 0;
  for (let i = 0; i < keep.length; i++) if (keep[i] === 1) out[at++] = col[i];
  return out;
}

/** Adds one shard's check to the run's totals (Fit merges every shard's duplicates.json). */
export function addDuplicateFiles(
  into: Record<string, DuplicateFile>,
  from: Record<string, DuplicateFile>,
): void {
  for (const [file, d] of Object.entries(from)) {
    into[file] ??= { count: 0, lines: [], values: [] };
    const e = into[file];
    e.count += d.count;
    const merged = [
      ...e.lines.map((line, i) => ({ line, value: e.values[i] })),
      ...d.lines.map((line, i) => ({ line, value: d.values[i] })),
    ]
      .sort((a, b) => a.line - b.line)
      .slice(0, MAX_ISSUES_KEPT);
    e.lines = merged.map((m) => m.line);
    e.values = merged.map((m) => m.value);
  }
}

/** Conflicting CRM rows of one customers file: how many, and the first pairs of lines (by later line). */
export interface ConflictFile {
  count: number;
  /** [earlier line, later line] */
  pairs: [number, number][];
}

/**
 * Customers that appear more than once in one customers file with different attributes, as a whole-file
 * read finds them: each row is compared with the customer's previous row in that file (by line), and a
 * differing later row is a conflict (it is kept; the report names both lines, never the value).
 */
export function findConflictingCustomers(parts: readonly Columns[]): Record<string, ConflictFile> {
  const rows: { file: number; line: number; id: string; hash: number }[] = [];
  for (const p of parts) {
    const ids = p.customerId;
    const files = p.file;
    const lines = p.line;
    const hashes = p.attributesHash;
    if (
      !Array.isArray(ids) ||
      !(files instanceof Float64Array) ||
      !(lines instanceof Float64Array) ||
      !(hashes instanceof Float64Array)
    )
      continue;
    for (let i = 0; i < ids.length; i++)
      rows.push({ file: files[i], line: lines[i], id: ids[i], hash: hashes[i] });
  }
  const out: Record<string, ConflictFile> = {};
  if (rows.length < 2) return out;
  // parts arrive in file and line order already; sort only if a producer ever changes that
  let ordered = true;
  for (let i = 1; i < rows.length && ordered; i++)
    if (
      rows[i].file < rows[i - 1].file ||
      (rows[i].file === rows[i - 1].file && rows[i].line < rows[i - 1].line)
    )
      ordered = false;
  if (!ordered) rows.sort((a, b) => a.file - b.file || a.line - b.line);
  const pairs: { file: number; before: number; line: number }[] = [];
  let file = -1;
  let seen = new Map<string, { line: number; hash: number }>();
  for (const r of rows) {
    if (r.file !== file) {
      file = r.file;
      seen = new Map();
    }
    const before = seen.get(r.id);
    if (before === undefined) {
      seen.set(r.id, { line: r.line, hash: r.hash });
      continue;
    }
    if (before.hash !== r.hash) pairs.push({ file: r.file, before: before.line, line: r.line });
    before.line = r.line;
    before.hash = r.hash;
  }
  for (const p of pairs) {
    const key = String(p.file);
    out[key] ??= { count: 0, pairs: [] };
    out[key].count++;
    if (out[key].pairs.length < MAX_ISSUES_KEPT) out[key].pairs.push([p.before, p.line]);
  }
  return out;
}

/** Adds one shard's conflicts to the run's totals, keeping the first pairs by later line. */
export function addConflictFiles(
  into: Record<string, ConflictFile>,
  from: Record<string, ConflictFile>,
): void {
  for (const [file, c] of Object.entries(from)) {
    into[file] ??= { count: 0, pairs: [] };
    const e = into[file];
    e.count += c.count;
    e.pairs = [...e.pairs, ...c.pairs].sort((a, b) => a[1] - b[1]).slice(0, MAX_ISSUES_KEPT);
  }
}
