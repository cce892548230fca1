// WebAssembly SIMD versions of k-means' two fused full passes (the exhaustive first assignment and
// Hamerly's step), plus the share a helper thread runs of each, generated per (features, centroids)
// shape as a small binary module by the writer below, no toolchain. Two centroids share one f64x2
// vector and every distance is still summed in feature order without fused multiply-add, so results
// are bit-identical to the generated JavaScript passes in kmeans.ts.

// The project compiles without the DOM library, where WebAssembly's types live: the little used here.
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Where each array of one fit lives in the module's memory (byte offsets). */
export interface WasmLayout {
  /** Centroid pairs: vector (c[2p][t], c[2p+1][t]) at pairs + (p·d + t)·16; an odd k's last lane is +∞. */
  pairs: number;
  sums: number;
  counts: number;
  ref: number;
  sq: number;
  drift: number;
  half: number;
  data: number;
  labels: number;
  upper: number;
  lower: number;
  /** Per block of rows: the first pass's Σ of squared distances, and a helper's count of moved rows. */
  totals: number;
  blockMoves: number;
  /** A helper's moved rows as (row, old label) i32 pairs, at moves + row·8 for the block starting at row. */
  moves: number;
  bytes: number;
}

export interface WasmPasses {
  /** The exhaustive first assignment of all rows; returns Σ of squared distances, summed per block. */
  first(): number;
  /** Hamerly's step over all rows; returns the number of label changes. */
  hamerly(maxDriftJ: number, maxDrift: number, secondDrift: number): number;
  memory: WasmMemory;
  layout: WasmLayout;
}

const PAGE = 65536;
// Stay well inside what every Node build grants a 32-bit memory.
const MAX_BYTES = 2 ** 31 - PAGE;
const up16 = (x: number): number => Math.ceil(x / 16) * 16;

/**
 * Byte layout of one fit's arrays: the small per-centroid ones first (fixed for a shape, so the generated
 * code addresses them as constants), then the per-row and per-block ones.
 */
export function wasmLayout(n: number, d: number, k: number, block: number): WasmLayout {
  const pairs = 0;
  const sums = up16(pairs + Math.ceil(k / 2) * d * 16);
  const counts = up16(sums + k * d * 8);
  const ref = up16(counts + k * 8);
  const sq = up16(ref + d * 8);
  const drift = up16(sq + k * 8);
  const half = up16(drift + k * 8);
  const data = up16(half + k * 8);
  const labels = up16(data + n * d * 8);
  const upper = up16(labels + n * 4);
  const lower = up16(upper + n * 8);
  const blocks = block > 0 ? Math.ceil(n / block) : 0;
  const totals = up16(lower + n * 8);
  const blockMoves = up16(totals + blocks * 8);
  const moves = up16(blockMoves + blocks * 4);
  const bytes = moves + n * 8;
  return {
    pairs,
    sums,
    counts,
    ref,
    sq,
    drift,
    half,
    data,
    labels,
    upper,
    lower,
    totals,
    blockMoves,
    moves,
    bytes,
  };
}

// ---- a minimal WebAssembly binary writer ----

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

function uleb(out: number[], v: number): void {
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

function sleb(out: number[], v: number): void {
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  append(out, body);
}

/** out.push(...more) without spreading large arrays onto the call stack. */
function append(out: number[], more: number[]): void {
  for (const b of more) out.push(b);
}

/** One function body under construction: locals by type, and the instruction bytes. */
class Body {
  readonly code: number[] = [];
  private readonly locals: number[] = [];
  constructor(private readonly nParams: number) {}
  local(type: number): number {
    this.locals.push(type);
    return this.nParams + this.locals.length - 1;
  }
  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  get(i: number): this {
    this.code.push(0x20);
    uleb(this.code, i);
    return this;
  }
  set(i: number): this {
    this.code.push(0x21);
    uleb(this.code, i);
    return this;
  }
  tee(i: number): this {
    this.code.push(0x22);
    uleb(this.code, i);
    return this;
  }
  i32(v: number): this {
    this.code.push(0x41);
    sleb(this.code, v);
    return this;
  }
  f64(v: number): this {
    this.code.push(0x44);
    const b = new Uint8Array(new Float64Array([v]).buffer);
    this.code.push(...b);
    return this;
  }
  /** Memory access with a constant byte offset added to the address on the stack. */
  mem(opcode: number, align: number, offset: number): this {
    this.code.push(opcode, align);
    uleb(this.code, offset);
    return this;
  }
  v128(bytes: number[]): this {
    return this.simd(0x0c, ...bytes);
  }
  simd(opcode: number, ...imm: number[]): this {
    this.code.push(0xfd);
    uleb(this.code, opcode);
    this.code.push(...imm);
    return this;
  }
  simdMem(opcode: number, offset: number): this {
    this.code.push(0xfd);
    uleb(this.code, opcode);
    this.code.push(3);
    uleb(this.code, offset);
    return this;
  }
  encode(): number[] {
    const out: number[] = [];
    // one local declaration per type run
    const runs: [number, number][] = [];
    for (const t of this.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    uleb(out, runs.length);
    for (const [count, t] of runs) {
      uleb(out, count);
      out.push(t);
    }
    append(out, this.code);
    out.push(0x0b);
    return out;
  }
}

// opcodes
const BLOCK = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const VOID = 0x40;
const SELECT = 0x1b;
const I32_LOAD = 0x28;
const F64_LOAD = 0x2b;
const I32_STORE = 0x36;
const F64_STORE = 0x39;
const I32_EQZ = 0x45;
const I32_EQ = 0x46;
const F64_EQ = 0x61;
const F64_LT = 0x63;
const I32_LT_S = 0x48;
const I32_AND = 0x71;
const I32_OR = 0x72;
const I32_WRAP = 0xa7;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_MUL = 0x6c;
const I32_SHR_U = 0x76;
const F64_SQRT = 0x9f;
const F64_ADD = 0xa0;
const F64_SUB = 0xa1;
const F64_MUL = 0xa2;
const F64_MAX = 0xa5;
const V_LOAD = 0x00;
const V_LOAD64_SPLAT = 0x0a;
const V_STORE = 0x0b;
const I8_SHUFFLE = 0x0d;
const X2_SPLAT = 0x14;
const I64X2_EXTRACT = 0x1d;
const X2_EXTRACT = 0x21;
const X2_LT = 0x49;
const V_BITSELECT = 0x52;
const X2_PMIN = 0xf6;
const X2_PMAX = 0xf7;
const X2_ADD = 0xf0;
const X2_SUB = 0xf1;
const X2_MUL = 0xf2;

const SLACK = 1e-12;
const UP = 1 + SLACK;
const DOWN = 1 - SLACK;

// parameters shared by both functions
const P_DATA = 0;
const P_LABELS = 1;
const P_UPPER = 2;
const P_LOWER = 3;
const P_START = 4;
const P_END = 5;

interface RowLocals {
  pd: number;
  pl: number;
  pu: number;
  plo: number;
  count: number;
  j1: number;
  b1: number;
  b2: number;
  q: number;
}

/** Row pointers at `start` and the row count, then the loop head; `body` emits one row's work. */
function rowLoop(f: Body, d: number, body: (r: RowLocals) => void): void {
  const r: RowLocals = {
    pd: f.local(I32),
    pl: f.local(I32),
    pu: f.local(I32),
    plo: f.local(I32),
    count: f.local(I32),
    j1: f.local(I32),
    b1: f.local(F64),
    b2: f.local(F64),
    q: f.local(F64),
  };
  f.get(P_START)
    .i32(d * 8)
    .op(I32_MUL)
    .get(P_DATA)
    .op(I32_ADD)
    .set(r.pd);
  f.get(P_START).i32(4).op(I32_MUL).get(P_LABELS).op(I32_ADD).set(r.pl);
  f.get(P_START).i32(8).op(I32_MUL).get(P_UPPER).op(I32_ADD).set(r.pu);
  f.get(P_START).i32(8).op(I32_MUL).get(P_LOWER).op(I32_ADD).set(r.plo);
  f.get(P_END).get(P_START).op(I32_SUB).set(r.count);
  f.op(BLOCK, VOID, LOOP, VOID);
  f.get(r.count).op(I32_EQZ, BR_IF, 1);
  f.op(BLOCK, VOID); // a `br 0` inside skips to the next row
  body(r);
  f.op(END);
  f.get(r.pd)
    .i32(d * 8)
    .op(I32_ADD)
    .set(r.pd);
  f.get(r.pl).i32(4).op(I32_ADD).set(r.pl);
  f.get(r.pu).i32(8).op(I32_ADD).set(r.pu);
  f.get(r.plo).i32(8).op(I32_ADD).set(r.plo);
  f.get(r.count).i32(1).op(I32_SUB).set(r.count);
  f.op(BR, 0, END, END);
}

/**
 * Nearest centroid of the row at pd: j1, and the two smallest squared distances b1 ≤ b2. Centroids 2p
 * and 2p+1 are the two lanes of one vector; each lane adds (x_t − c_t)² in feature order from t = 0.
 * Each lane then keeps its own nearest and second-nearest (even centroids in one, odd in the other)
 * with branch-free vector min/max and masks, and the lanes are merged at the end. With no NaN (the first
 * pass rejects non-finite data) this yields exactly the sequential `s < b1 … else if (s < b2)` scan's
 * values, ties going to the lowest index, without its unpredictable branches.
 */
function distances(f: Body, d: number, k: number, L: WasmLayout, r: RowLocals, x: number): void {
  const nPairs = Math.ceil(k / 2);
  const acc = Array.from({ length: nPairs }, () => f.local(V128));
  const e = f.local(V128);
  const B1 = f.local(V128);
  const B2 = f.local(V128);
  const J = f.local(V128);
  const mask = f.local(V128);
  const b1e = f.local(F64);
  const b1o = f.local(F64);
  const je = f.local(I32);
  const jo = f.local(I32);
  for (let t = 0; t < d; t++) {
    f.get(r.pd)
      .simdMem(V_LOAD64_SPLAT, t * 8)
      .set(x);
    for (let p = 0; p < nPairs; p++) {
      if (t > 0) f.get(acc[p]);
      f.get(x)
        .i32(0)
        .simdMem(V_LOAD, L.pairs + (p * d + t) * 16)
        .simd(X2_SUB)
        .tee(e)
        .get(e)
        .simd(X2_MUL);
      // 0 + e² is e² exactly, so the first term needs no addition
      if (t > 0) f.simd(X2_ADD);
      f.set(acc[p]);
    }
  }
  f.f64(Number.POSITIVE_INFINITY).simd(X2_SPLAT).tee(B1).set(B2);
  f.v128(i64x2(0, 0)).set(J);
  for (let p = 0; p < nPairs; p++) {
    const S = acc[p];
    f.get(S).get(B1).simd(X2_LT).set(mask);
    f.get(S).get(B1).simd(X2_PMAX).get(B2).simd(X2_PMIN).set(B2);
    f.get(S).get(B1).simd(X2_PMIN).set(B1);
    f.v128(i64x2(2 * p, 2 * p + 1))
      .get(J)
      .get(mask)
      .simd(V_BITSELECT)
      .set(J);
  }
  // merge the lanes: b1 = min of both, b2 = min(max of the b1s, min of the b2s)
  f.get(B1)
    .get(B1)
    .get(B1)
    .simd(I8_SHUFFLE, ...SWAP)
    .simd(X2_PMIN)
    .simd(X2_EXTRACT, 0)
    .set(r.b1);
  f.get(B1)
    .get(B1)
    .get(B1)
    .simd(I8_SHUFFLE, ...SWAP)
    .simd(X2_PMAX);
  f.get(B2)
    .get(B2)
    .get(B2)
    .simd(I8_SHUFFLE, ...SWAP)
    .simd(X2_PMIN);
  f.simd(X2_PMIN).simd(X2_EXTRACT, 0).set(r.b2);
  f.get(B1).simd(X2_EXTRACT, 0).set(b1e);
  f.get(B1).simd(X2_EXTRACT, 1).set(b1o);
  f.get(J).simd(I64X2_EXTRACT, 0).op(I32_WRAP).set(je);
  f.get(J).simd(I64X2_EXTRACT, 1).op(I32_WRAP).set(jo);
  // the odd lane wins when strictly nearer, or equally near with the lower index
  f.get(jo).get(je);
  f.get(b1o).get(b1e).op(F64_LT);
  f.get(b1o).get(b1e).op(F64_EQ).get(jo).get(je).op(I32_LT_S, I32_AND);
  f.op(I32_OR, SELECT).set(r.j1);
}

const SWAP = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];

function i64x2(a: number, b: number): number[] {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigInt64(0, BigInt(a), true);
  view.setBigInt64(8, BigInt(b), true);
  return Array.from(bytes);
}

/** q = ‖x − ref‖² with four partial sums (lanes of two vectors), combined as (q0 + q1) + (q2 + q3). */
function refDistance(f: Body, d: number, L: WasmLayout, r: RowLocals): void {
  const qa = f.local(V128);
  const qb = f.local(V128);
  const e = f.local(V128);
  const g = f.local(F64);
  let t = 0;
  for (; t + 3 < d; t += 4) {
    for (const [acc, u] of [
      [qa, t],
      [qb, t + 2],
    ] as const) {
      if (t > 0) f.get(acc);
      f.get(r.pd)
        .simdMem(V_LOAD, u * 8)
        .i32(0)
        .simdMem(V_LOAD, L.ref + u * 8)
        .simd(X2_SUB)
        .tee(e)
        .get(e)
        .simd(X2_MUL);
      if (t > 0) f.simd(X2_ADD);
      f.set(acc);
    }
  }
  if (t > 0) {
    f.get(qa).simd(X2_EXTRACT, 0).get(qa).simd(X2_EXTRACT, 1).op(F64_ADD);
    f.get(qb).simd(X2_EXTRACT, 0).get(qb).simd(X2_EXTRACT, 1).op(F64_ADD);
    f.op(F64_ADD).set(r.q);
  } else f.f64(0).set(r.q);
  for (; t < d; t++) {
    f.get(r.q);
    f.get(r.pd)
      .mem(F64_LOAD, 3, t * 8)
      .i32(0)
      .mem(F64_LOAD, 3, L.ref + t * 8)
      .op(F64_SUB)
      .tee(g)
      .get(g)
      .op(F64_MUL, F64_ADD)
      .set(r.q);
  }
}

/** sums[j·d + t] ±= x_t for the row at pd, two features per vector. */
function addRow(
  f: Body,
  d: number,
  L: WasmLayout,
  r: RowLocals,
  j: number,
  addr: number,
  sign: 1 | -1,
): void {
  f.get(j)
    .i32(d * 8)
    .op(I32_MUL)
    .set(addr);
  let t = 0;
  for (; t + 1 < d; t += 2) {
    f.get(addr);
    f.get(addr).simdMem(V_LOAD, L.sums + t * 8);
    f.get(r.pd).simdMem(V_LOAD, t * 8);
    f.simd(sign > 0 ? X2_ADD : X2_SUB);
    f.simdMem(V_STORE, L.sums + t * 8);
  }
  if (t < d) {
    f.get(addr);
    f.get(addr).mem(F64_LOAD, 3, L.sums + t * 8);
    f.get(r.pd).mem(F64_LOAD, 3, t * 8);
    f.op(sign > 0 ? F64_ADD : F64_SUB);
    f.mem(F64_STORE, 3, L.sums + t * 8);
  }
}

/** array[j] ±= value for an f64 array at a fixed offset; `value` pushes the operand. */
function bump(f: Body, j: number, base: number, value: () => void, sign: 1 | -1): void {
  f.get(j).i32(8).op(I32_MUL);
  f.get(j).i32(8).op(I32_MUL).mem(F64_LOAD, 3, base);
  value();
  f.op(sign > 0 ? F64_ADD : F64_SUB).mem(F64_STORE, 3, base);
}

/**
 * The exhaustive first assignment: labels and bounds, and the rows' Σ of squared distances. With `book`
 * the cluster statistics are accumulated too; without (a helper thread's share), the calling thread
 * accumulates those rows afterwards with `accumulate`, in row order, so the sums are the same bits.
 */
function firstBody(d: number, k: number, L: WasmLayout, book: boolean): Body {
  const f = new Body(6);
  const total = f.local(F64);
  const addr = f.local(I32);
  const x = f.local(V128);
  f.f64(0).set(total);
  rowLoop(f, d, (r) => {
    distances(f, d, k, L, r, x);
    f.get(r.pl).get(r.j1).mem(I32_STORE, 2, 0);
    f.get(r.pu).get(r.b1).op(F64_SQRT).f64(UP).op(F64_MUL).mem(F64_STORE, 3, 0);
    f.get(r.plo).get(r.b2).op(F64_SQRT).f64(DOWN).op(F64_MUL).mem(F64_STORE, 3, 0);
    f.get(total).get(r.b1).op(F64_ADD).set(total);
    if (book) accumulateRow(f, d, L, r, addr);
  });
  f.get(total);
  return f;
}

function accumulateRow(f: Body, d: number, L: WasmLayout, r: RowLocals, addr: number): void {
  bump(f, r.j1, L.counts, () => f.f64(1), 1);
  addRow(f, d, L, r, r.j1, addr, 1);
  refDistance(f, d, L, r);
  bump(f, r.j1, L.sq, () => f.get(r.q), 1);
}

/** Cluster statistics of rows [start, end) by their current label, in row order (same signature as first). */
function accumulateBody(d: number, L: WasmLayout): Body {
  const f = new Body(6);
  const addr = f.local(I32);
  rowLoop(f, d, (r) => {
    f.get(r.pl).mem(I32_LOAD, 2, 0).set(r.j1);
    accumulateRow(f, d, L, r, addr);
  });
  f.f64(0);
  return f;
}

/** Statistics moves of the rows listed as (row, old label) pairs at P_START, P_END of them, in list order. */
function replayBody(d: number, L: WasmLayout): Body {
  const f = new Body(6);
  const addr = f.local(I32);
  const a = f.local(I32);
  const r: RowLocals = {
    pd: f.local(I32),
    pl: f.local(I32),
    pu: f.local(I32),
    plo: f.local(I32),
    count: f.local(I32),
    j1: f.local(I32),
    b1: f.local(F64),
    b2: f.local(F64),
    q: f.local(F64),
  };
  const entry = r.pu;
  f.get(P_START).set(entry);
  f.get(P_END).set(r.count);
  f.op(BLOCK, VOID, LOOP, VOID);
  f.get(r.count).op(I32_EQZ, BR_IF, 1);
  // pd = data + row·d·8, j1 = labels[row], a = old label
  f.get(entry)
    .mem(I32_LOAD, 2, 0)
    .i32(d * 8)
    .op(I32_MUL)
    .get(P_DATA)
    .op(I32_ADD)
    .set(r.pd);
  f.get(entry).mem(I32_LOAD, 2, 0).i32(4).op(I32_MUL).get(P_LABELS).op(I32_ADD).mem(I32_LOAD, 2, 0).set(r.j1);
  f.get(entry).mem(I32_LOAD, 2, 4).set(a);
  moveRow(f, d, L, r, a, addr);
  f.get(entry).i32(8).op(I32_ADD).set(entry);
  f.get(r.count).i32(1).op(I32_SUB).set(r.count);
  f.op(BR, 0, END, END);
  f.f64(0);
  return f;
}

/** A row leaves cluster a for j1: counts, Σ‖x − ref‖² and sums, in the order the JavaScript pass uses. */
function moveRow(f: Body, d: number, L: WasmLayout, r: RowLocals, a: number, addr: number): void {
  bump(f, a, L.counts, () => f.f64(1), -1);
  bump(f, r.j1, L.counts, () => f.f64(1), 1);
  refDistance(f, d, L, r);
  bump(f, a, L.sq, () => f.get(r.q), -1);
  bump(f, r.j1, L.sq, () => f.get(r.q), 1);
  addRow(f, d, L, r, a, addr, -1);
  addRow(f, d, L, r, r.j1, addr, 1);
}

const P_MAXJ = 6;
const P_MAXDRIFT = 7;
const P_SECOND = 8;
const P_LIST = 9;

/**
 * Hamerly's step. With `record` (a helper thread's share) the statistics are left alone and each moved
 * row is written as (row, old label) to the list at parameter 9, for `replay` on the calling thread.
 */
function hamerlyBody(d: number, k: number, L: WasmLayout, record: boolean): Body {
  const f = new Body(record ? 10 : 9);
  const changed = f.local(I32);
  const a = f.local(I32);
  const u = f.local(F64);
  const l = f.local(F64);
  const addr = f.local(I32);
  const x = f.local(V128);
  f.i32(0).set(changed);
  rowLoop(f, d, (r) => {
    f.get(r.pl).mem(I32_LOAD, 2, 0).set(a);
    f.get(r.pu).mem(F64_LOAD, 3, 0);
    f.get(a).i32(8).op(I32_MUL).mem(F64_LOAD, 3, L.drift);
    f.op(F64_ADD).set(u);
    f.get(r.plo).mem(F64_LOAD, 3, 0);
    f.get(P_SECOND).get(P_MAXDRIFT).get(a).get(P_MAXJ).op(I32_EQ, SELECT);
    f.op(F64_SUB).set(l);
    // u < max(half[a], l): the bounds prove the row keeps its centroid
    f.get(u);
    f.get(a).i32(8).op(I32_MUL).mem(F64_LOAD, 3, L.half).get(l).op(F64_MAX);
    f.op(F64_LT, IF, VOID);
    f.get(r.pu).get(u).mem(F64_STORE, 3, 0);
    f.get(r.plo).get(l).mem(F64_STORE, 3, 0);
    f.op(BR, 1, END);
    distances(f, d, k, L, r, x);
    f.get(r.pu).get(r.b1).op(F64_SQRT).f64(UP).op(F64_MUL).mem(F64_STORE, 3, 0);
    f.get(r.plo).get(r.b2).op(F64_SQRT).f64(DOWN).op(F64_MUL).mem(F64_STORE, 3, 0);
    f.get(r.j1).get(a).op(I32_EQ, BR_IF, 0);
    f.get(r.pl).get(r.j1).mem(I32_STORE, 2, 0);
    if (record) {
      // list[changed] = (row, a), row = (pl − labels) / 4
      f.get(changed).i32(8).op(I32_MUL).get(P_LIST).op(I32_ADD).tee(addr);
      f.get(r.pl).get(P_LABELS).op(I32_SUB).i32(2).op(I32_SHR_U).mem(I32_STORE, 2, 0);
      f.get(addr).get(a).mem(I32_STORE, 2, 4);
    } else moveRow(f, d, L, r, a, addr);
    f.get(changed).i32(1).op(I32_ADD).set(changed);
  });
  f.get(changed);
  return f;
}

/** The functions of a passes module, in export order, with their type index. */
const EXPORTS = ['first', 'hamerly', 'firstShare', 'hamerlyShare', 'accumulate', 'replay'] as const;

/**
 * The module's bytes: imports a shared memory "m"."memory" (so a helper thread can work on the same
 * arrays) and exports the functions in EXPORTS.
 */
export function passesModuleBytes(d: number, k: number): Uint8Array {
  const L = wasmLayout(0, d, k, 0);
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  uleb(types, 3);
  types.push(0x60, 6, I32, I32, I32, I32, I32, I32, 1, F64);
  types.push(0x60, 9, I32, I32, I32, I32, I32, I32, I32, F64, F64, 1, I32);
  types.push(0x60, 10, I32, I32, I32, I32, I32, I32, I32, F64, F64, I32, 1, I32);
  section(out, 1, types);
  const imports: number[] = [1];
  for (const name of ['m', 'memory']) {
    uleb(imports, name.length);
    imports.push(...Buffer.from(name));
  }
  // shared limits: minimum 1 page, maximum 65536 pages (4 GiB)
  imports.push(0x02, 0x03, 0x01);
  uleb(imports, 65536);
  section(out, 2, imports);
  section(out, 3, [6, 0, 1, 0, 2, 0, 0]);
  const exports: number[] = [EXPORTS.length];
  EXPORTS.forEach((name, i) => {
    uleb(exports, name.length);
    exports.push(...Buffer.from(name), 0x00, i);
  });
  section(out, 7, exports);
  const bodies = [
    firstBody(d, k, L, true),
    hamerlyBody(d, k, L, false),
    firstBody(d, k, L, false),
    hamerlyBody(d, k, L, true),
    accumulateBody(d, L),
    replayBody(d, L),
  ];
  const code: number[] = [bodies.length];
  for (const body of bodies) {
    const bytes = body.encode();
    uleb(code, bytes.length);
    append(code, bytes);
  }
  section(out, 10, code);
  return Uint8Array.from(out);
}

// Compiled once per shape and process; null where this Node cannot compile WebAssembly SIMD.
const modules = new Map<string, object | null>();

function passesModule(d: number, k: number): object | null {
  const key = `${d}x${k}`;
  let mod = modules.get(key);
  if (mod === undefined) {
    try {
      mod = wasmApi === undefined ? null : new wasmApi.Module(passesModuleBytes(d, k));
    } catch {
      mod = null;
    }
    modules.set(key, mod);
  }
  return mod;
}

interface PassExports {
  first(data: number, labels: number, upper: number, lower: number, start: number, end: number): number;
  hamerly(
    data: number,
    labels: number,
    upper: number,
    lower: number,
    start: number,
    end: number,
    maxDriftJ: number,
    maxDrift: number,
    secondDrift: number,
  ): number;
  accumulate(data: number, labels: number, upper: number, lower: number, start: number, end: number): number;
  replay(data: number, labels: number, upper: number, lower: number, list: number, count: number): number;
}

// One memory for the process, reused by later fits that fit in it: fresh pages cost a page fault each
// (about half a second per GiB here), so a Lambda's warm invocations and nInit restarts skip that.
let arena: { memory: WasmMemory; bytes: number } | null = null;
let instances = new WeakMap<object, PassExports>();

function arenaFor(bytes: number): WasmMemory | null {
  if (arena !== null && arena.bytes >= bytes) return arena.memory;
  if (wasmApi === undefined) return null;
  const pages = Math.ceil(bytes / PAGE);
  try {
    arena = null; // let the old one go before asking for the new one
    const memory = new wasmApi.Memory({ initial: pages, maximum: pages, shared: true });
    arena = { memory, bytes: pages * PAGE };
    instances = new WeakMap();
    return memory;
  } catch {
    return null;
  }
}

/**
 * The passes over `data` (copied into the shared memory), or null when WebAssembly SIMD is not available
 * or the arrays would not fit in a 32-bit memory (the caller then uses the JavaScript passes). With a
 * helper thread, blocks of rows are claimed from both ends: this thread takes them from the front and
 * updates the statistics as it goes; the helper takes them from the back and leaves its statistics to
 * this thread, which applies them afterwards in row order, so results do not depend on the split.
 */
export function wasmPasses(
  data: Float64Array,
  n: number,
  d: number,
  k: number,
  block: number,
  helper: Helper | null,
): WasmPasses | null {
  const layout = wasmLayout(n, d, k, block);
  if (layout.bytes > MAX_BYTES) return null;
  const mod = passesModule(d, k);
  if (mod === null || wasmApi === undefined) return null;
  const memory = arenaFor(layout.bytes);
  if (memory === null) return null;
  let ex = instances.get(mod);
  if (ex === undefined) {
    ex = new wasmApi.Instance(mod, { m: { memory } }).exports as unknown as PassExports;
    instances.set(mod, ex);
  }
  const exports = ex;
  const { labels, upper, lower } = layout;
  const at = layout.data;
  const blocks = Math.ceil(n / block);
  const totals = new Float64Array(memory.buffer, layout.totals, blocks);
  const blockMoves = new Int32Array(memory.buffer, layout.blockMoves, blocks);
  const share = helper?.bind(mod, memory, layout, n, block) ?? null;
  // Copying the rows in is mostly page faults on fresh memory: the helper faults in pages from the back
  // while this thread copies from the front, then this thread copies the rest into faulted pages.
  const rows = new Float64Array(memory.buffer, layout.data, n * d);
  const copy = share?.start(3, d * 8, 0, 0) ?? null;
  const claimCopy = claimer(copy, blocks);
  for (let b = claimCopy(); b >= 0; b = claimCopy()) {
    const start = b * block * d;
    rows.set(data.subarray(start, Math.min(n * d, start + block * d)), start);
  }
  const copied = copy?.finish() ?? blocks;
  if (copied < blocks) rows.set(data.subarray(copied * block * d, n * d), copied * block * d);
  return {
    first() {
      const job = share?.start(1, 0, 0, 0) ?? null;
      const claim = claimer(job, blocks);
      for (let b = claim(); b >= 0; b = claim()) {
        const start = b * block;
        totals[b] = exports.first(at, labels, upper, lower, start, Math.min(n, start + block));
      }
      const from = job?.finish() ?? blocks;
      if (from < blocks) exports.accumulate(at, labels, upper, lower, from * block, n);
      let total = 0;
      for (let i = 0; i < blocks; i++) total += totals[i];
      return total;
    },
    hamerly(maxDriftJ, maxDrift, secondDrift) {
      const job = share?.start(2, maxDriftJ, maxDrift, secondDrift) ?? null;
      let changed = 0;
      const claim = claimer(job, blocks);
      for (let b = claim(); b >= 0; b = claim()) {
        const start = b * block;
        const end = Math.min(n, start + block);
        changed += exports.hamerly(at, labels, upper, lower, start, end, maxDriftJ, maxDrift, secondDrift);
      }
      const from = job?.finish() ?? blocks;
      for (let i = from; i < blocks; i++) {
        changed += blockMoves[i];
        if (blockMoves[i] > 0)
          exports.replay(at, labels, upper, lower, layout.moves + i * block * 8, blockMoves[i]);
      }
      return changed;
    },
    memory,
    layout,
  };
}

/** Blocks for this thread: from the front, shared with the helper's job when there is one. */
function claimer(job: HelperJob | null, blocks: number): () => number {
  if (job !== null) return job.claimFront;
  let next = 0;
  return () => (next < blocks ? next++ : -1);
}

/** A helper thread bound to one fit's memory and layout. */
export interface Helper {
  bind(mod: object, memory: WasmMemory, layout: WasmLayout, n: number, block: number): HelperShare | null;
}

export interface HelperShare {
  /**
   * Posts a job to the helper (1 first pass, 2 Hamerly's step, 3 fault in the pages of its rows' data;
   * for 3, maxDriftJ carries the bytes per row); null when there is no helper to take part.
   */
  start(kind: 1 | 2 | 3, maxDriftJ: number, maxDrift: number, secondDrift: number): HelperJob | null;
}

export interface HelperJob {
  /** The next block from the front, or −1 once the two ends have met. */
  claimFront(): number;
  /** Waits for the helper's blocks; returns the first block it took (the number of blocks if none). */
  finish(): number;
}

/** Copy k×d row-major centroids into the pair layout the passes read. */
export function writeCentroidPairs(
  memory: WasmMemory,
  L: WasmLayout,
  c: Float64Array,
  d: number,
  k: number,
): void {
  const view = new Float64Array(memory.buffer, L.pairs, Math.ceil(k / 2) * d * 2);
  for (let j = 0; j < k; j++) {
    const p = j >> 1;
    const lane = j & 1;
    for (let t = 0; t < d; t++) view[(p * d + t) * 2 + lane] = c[j * d + t];
  }
  // An odd k's spare lane sits at infinity: its distance is +∞, never nearer than a real centroid.
  if (k % 2 === 1) {
    const p = k >> 1;
    for (let t = 0; t < d; t++) view[(p * d + t) * 2 + 1] = Number.POSITIVE_INFINITY;
  }
}
