// Verbatim copy of the pre-#10 implementation (commit 84aff27), kept so test/bench/features-kernel.ts can
// time old against new in one run and the equivalence tests can pin identical outputs. Do not optimise.
// Exact duplicate transactions (duplicateRows: 'reject'), found where all of a customer's rows meet: one
// shard's parts in BuildFeatures. Ingest ranges cannot see each other's rows, so each row carries a
// fingerprint and its origin (file index, line); the first occurrence in (file, line) order is kept,
// as a whole-snapshot read kept it, and every repeat is reported against its own file and line.

import { MAX_ISSUES_KEPT } from '../../../lib/ingest/stage.js';
import type { Column, Columns } from '../../../lib/storage/columnar.js';

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
  const first = new Map<number, number>();
  for (const p of parts) {
    const keys = p.duplicateKey;
    const origins = p.origin;
    if (!(keys instanceof Float64Array) || !(origins instanceof Float64Array)) continue;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (k === 0) continue;
      const seen = first.get(k);
      if (seen === undefined || origins[i] < seen) first.set(k, origins[i]);
    }
  }
  const repeats: { origin: number; value: string }[] = [];
  let kept = 0;
  const out = parts.map((p) => {
    const keys = p.duplicateKey;
    const origins = p.origin;
    const n = rowCount(p);
    if (!(keys instanceof Float64Array) || !(origins instanceof Float64Array) || first.size === 0) {
      kept += n;
      return p;
    }
    const keep = new Uint8Array(n);
    let count = 0;
    const orders = p.orderId as string[] | undefined;
    for (let i = 0; i < n; i++) {
      const k = keys[i];
      if (k !== 0 && first.get(k) !== origins[i]) {
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
  if (Array.isArray(col)) return col.filter((_, i) => keep[i] === 1);
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
