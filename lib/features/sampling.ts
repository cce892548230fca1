// Bounded samples that do not depend on the sharding. Ingest spreads customers over shards by a hash of
// their id, so the `size` customers with the smallest sampling keys fall into the S shards like balls
// into S equal bins: each shard keeps only its quota of smallest keys and Fit folds the shards' samples
// into the global bottom-`size` holding about 2 × size rows, however many customers and shards there are.
import type { Column, Columns } from '../storage/columnar.js';
import { fnv1aFrom, fnv1aPrefix } from '../util/hash.js';

/**
 * `fnv1a32(prefix + id)` with the prefix hashed once: the same 32-bit value for every id (FNV-1a is a
 * left fold over the UTF-16 code units), without building a string per customer.
 */
export function keyHasher(prefix: string): (id: string) => number {
  const state = fnv1aPrefix(prefix);
  return (id: string): number => fnv1aFrom(state, id) >>> 0;
}

/** Sampling keys of `ids` under `prefix` (see keyHasher). */
export function hashKeys(ids: readonly string[], prefix: string): Uint32Array {
  const hash = keyHasher(prefix);
  const keys = new Uint32Array(ids.length);
  for (let i = 0; i < ids.length; i++) keys[i] = hash(ids[i]);
  return keys;
}

const INDEX_BITS = 2 ** 21;

/**
 * Row indices ordered by (key, id), equal ids by index: the order a stable sort by that comparator
 * gives, found by one numeric sort of key × 2^21 + index (exact below 2^53) and a string sort only
 * within runs of equal keys (hash collisions, a handful per shard). Keys that are not 32-bit unsigned
 * integers, or 2^21 rows and more, take a comparator sort by key instead of the packed one.
 */
export function orderByKey(keys: ArrayLike<number>, ids: readonly string[]): Int32Array {
  const n = keys.length;
  let packable = n < INDEX_BITS;
  for (let i = 0; i < n && packable; i++)
    packable = Number.isInteger(keys[i]) && keys[i] >= 0 && keys[i] < 2 ** 32;
  let order: Int32Array;
  if (packable) {
    const packed = new Float64Array(n);
    for (let i = 0; i < n; i++) packed[i] = keys[i] * INDEX_BITS + i;
    packed.sort();
    order = new Int32Array(n);
    for (let r = 0; r < n; r++) order[r] = packed[r] % INDEX_BITS;
  } else {
    order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
  }
  for (let r = 0; r < n; ) {
    let end = r + 1;
    while (end < n && keys[order[end]] === keys[order[r]]) end++;
    if (end - r > 1) {
      const run = Array.from(order.subarray(r, end));
      run.sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : a - b));
      order.set(run, r);
    }
    r = end;
  }
  return order;
}

/**
 * Rows a shard keeps of a global sample of `size`: the number of the global sample that lands in one
 * shard is hypergeometric with mean μ = size / S and variance below μ; the quota is 1.25 μ + 8 √μ + 16,
 * which a shard exceeds with probability below e^-36 (Chernoff, at any μ), so below 1e-12 over 10,000
 * shards. One shard (or an unknown count) keeps `size`, as before.
 */
export function shardQuota(size: number, shardCount: number | undefined): number {
  if (!Number.isFinite(size) || !shardCount || shardCount <= 1) return size;
  const mean = size / shardCount;
  return Math.min(size, Math.ceil(1.25 * mean + 8 * Math.sqrt(mean) + 16));
}

/** The given rows of every column, in that order. */
export function takeRows(part: Columns, rows: ArrayLike<number>): Columns {
  const out: Columns = {};
  for (const [name, col] of Object.entries(part)) out[name] = takeColumn(col, rows);
  return out;
}

/** The given rows of one column, in that order (a column of the same type). */
export function takeColumn(col: Column, rows: ArrayLike<number>): Column {
  const n = rows.length;
  if (Array.isArray(col)) {
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = col[rows[i]];
    return out;
  }
  const Ctor = col.constructor as new (length: number) => typeof col;
  const out = new Ctor(n);
  for (let i = 0; i < n; i++) out[i] = col[rows[i]];
  return out;
}

export interface FoldOptions {
  /** the column of sampling keys (Uint32Array) */
  key: string;
  /** rows a shard kept at most (its quota): a shard that kept that many may have had more below the cut */
  quota?: number;
  /** rows that take part (e.g. one label of a lookalike sample); others are dropped */
  where?: (part: Columns, row: number) => boolean;
  /** shard files read at once */
  concurrency?: number;
}

export interface Folded {
  /** the shards' rows among the `size` smallest keys (ties at the cut all kept), one part per shard */
  parts: Columns[];
  /** rows read from all shards, and the most held at once (the bound this module is for) */
  loaded: number;
  peak: number;
  /** a shard filled its quota below the final cut: the sample may miss rows (never expected) */
  incomplete: boolean;
}

/**
 * Folds shard samples, read `concurrency` at a time, into the rows with the `size` smallest keys.
 * Consumers merge the parts as before (same key order and tie-breaks), so the result is identical to
 * merging every shard's full sample; only the memory differs.
 */
export async function foldSmallest(
  shardCount: number,
  load: (index: number) => Promise<Columns | undefined>,
  size: number,
  options: FoldOptions,
): Promise<Folded> {
  const concurrency = options.concurrency ?? 8;
  let parts: Columns[] = [];
  let held = 0;
  let loaded = 0;
  let peak = 0;
  let cut = Number.POSITIVE_INFINITY; // keys above it can no longer be in the sample
  const fullShardMax: number[] = []; // largest key of each shard that filled its quota
  // every column any shard had (zero rows): consumers take feature names from the parts' columns
  const schema: Columns = {};
  const compact = (): void => {
    const keys = new Uint32Array(held);
    let at = 0;
    for (const p of parts) {
      keys.set(p[options.key] as Uint32Array, at);
      at += (p[options.key] as Uint32Array).length;
    }
    keys.sort();
    cut = keys[size - 1];
    parts = parts.map((p) => keep(p, options.key, cut)).filter((p) => (p[options.key] as Uint32Array).length);
    held = parts.reduce((n, p) => n + (p[options.key] as Uint32Array).length, 0);
  };
  for (let start = 0; start < shardCount; start += concurrency) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(concurrency, shardCount - start) }, (_, j) => load(start + j)),
    );
    for (const raw of batch) {
      if (!raw) continue;
      for (const [name, col] of Object.entries(raw))
        if (!(name in schema)) schema[name] = takeColumn(col, []);
      const part = options.where ? select(raw, options.where) : raw;
      const keys = part[options.key] as Uint32Array | undefined;
      if (!keys) continue;
      loaded += keys.length;
      peak = Math.max(peak, held + keys.length);
      if (options.quota !== undefined && options.quota < size && keys.length >= options.quota) {
        let max = 0;
        for (let i = 0; i < keys.length; i++) if (keys[i] > max) max = keys[i];
        fullShardMax.push(max);
      }
      const kept = Number.isFinite(cut) ? keep(part, options.key, cut) : part;
      const n = (kept[options.key] as Uint32Array).length;
      if (!n) continue;
      parts.push(kept);
      held += n;
      if (held > 2 * size) compact();
    }
  }
  if (held > size) compact();
  const present = new Set(parts.flatMap((p) => Object.keys(p)));
  if (Object.keys(schema).some((name) => !present.has(name))) parts.push(schema);
  const finalCut = held >= size ? cut : Number.POSITIVE_INFINITY;
  return {
    parts,
    loaded,
    peak,
    incomplete: fullShardMax.some((max) => max < finalCut),
  };
}

function keep(part: Columns, key: string, cut: number): Columns {
  const keys = part[key] as Uint32Array;
  const rows: number[] = [];
  for (let i = 0; i < keys.length; i++) if (keys[i] <= cut) rows.push(i);
  return rows.length === keys.length ? part : takeRows(part, rows);
}

function select(part: Columns, where: (part: Columns, row: number) => boolean): Columns {
  const first = Object.values(part)[0];
  const rows: number[] = [];
  for (let i = 0; i < (first?.length ?? 0); i++) if (where(part, i)) rows.push(i);
  return takeRows(part, rows);
}
