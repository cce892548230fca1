// Partitions accepted rows by a stable hash of the customer id into the run's shards, keeping
// memory bounded: rows are buffered per shard and record type, and a buffer is encoded and handed to
// the writer as a numbered part once it fills or once all buffers together reach a row budget.
//
// Parts written (shard ≥ 0 is runs/<dataset>/<runId>/shards/NNNNN/, shard RUN_LEVEL the run folder):
//   transactions-NNNN.bin  customerId, orderId, category, channel, eventType, timestampMs, amount (≥ 0),
//                          quantity, discount, isReturn (amount is the absolute value; isReturn says which way)
//   identities-NNNN.bin    customerId, email, phone, country, consent flags: activation only, never features
//   customers-NNNN.bin     customerId, line, signupDateMs, then one string column per CRM attribute
//                          (non-sensitive only); a customer may repeat: the row with the highest line wins
//   outcomes-NNNN.bin      customerId, label (0/1), timestampMs (NaN when the file has no date)
//   seeds-NNNN.bin         customerId, emailSha256, phoneSha256 (seed audience for lookalikes)
//   audit-NNNN.bin         customerId, then the sensitive columns declared audit-only (never features)
//   suppressions-NNNN.bin  (run level) customerId, emailSha256, phoneSha256, type 'suppress' | 'erase',
//                          timestampMs: identifiers hashed, since a suppression often names no customer id
import { type DictColumn, encodeColumns, type TextColumn } from '../storage/columnar.js';
import { fnv1aSpan, shardOf } from '../util/hash.js';

/** Shard index of parts that belong to the whole run rather than to one shard. */
export const RUN_LEVEL = -1;

export type PartWriter = (shard: number, name: string, part: number, bytes: Uint8Array) => Promise<void>;

/**
 * A string the buffer owns. V8 makes a field of 13+ characters a slice of the decoded chunk it came from,
 * so one buffered email would keep its whole 1 MiB chunk alive; copying it keeps memory flat.
 */
function own(text: string): string {
  return text.length < 13 ? text : ` ${text}`.slice(1);
}

/**
 * One shared copy of each value of a low-cardinality column (category, channel, status), found from the
 * characters of a span of a decoded chunk (the delimited reader's fast path), so a row's category costs
 * no string at all. Past `limit` distinct values (not categorical after all) each call returns a new
 * owned string.
 */
export class SpanInterner {
  private readonly keys: (string | undefined)[];
  private readonly hashes: Int32Array;
  private readonly mask: number;
  private size = 0;
  constructor(private readonly limit = 4096) {
    let capacity = 16;
    while (capacity < limit * 2) capacity *= 2;
    this.keys = new Array<string | undefined>(capacity).fill(undefined);
    this.hashes = new Int32Array(capacity);
    this.mask = capacity - 1;
  }
  /** the last values found, by length and end characters: most lookups stop here, without hashing */
  private readonly recent: (string | undefined)[] = new Array<string | undefined>(256).fill(undefined);
  get(text: string, start: number, end: number): string {
    const n = end - start;
    if (n === 0) return '';
    const quick = (n * 31 + text.charCodeAt(start) * 7 + text.charCodeAt(end - 1)) & 255;
    const seen = this.recent[quick];
    if (seen !== undefined && seen.length === n) {
      let same = true;
      for (let i = 0; same && i < n; i++) same = seen.charCodeAt(i) === text.charCodeAt(start + i);
      if (same) return seen;
    }
    const found = this.find(text, start, end);
    this.recent[quick] = found;
    return found;
  }
  private find(text: string, start: number, end: number): string {
    const h = fnv1aSpan(0x811c9dc5, text, start, end);
    const n = end - start;
    let slot = (h ^ (h >>> 15)) & this.mask;
    for (;;) {
      const key = this.keys[slot];
      if (key === undefined) break;
      if (this.hashes[slot] === h && key.length === n) {
        let same = true;
        for (let i = 0; same && i < n; i++) same = key.charCodeAt(i) === text.charCodeAt(start + i);
        if (same) return key;
      }
      slot = (slot + 1) & this.mask;
    }
    const copy = own(text.slice(start, end));
    if (this.size < this.limit) {
      this.keys[slot] = copy;
      this.hashes[slot] = h;
      this.size++;
    }
    return copy;
  }
}

type NumericKind = 'f64' | 'u8';

/**
 * A string column of few distinct values (category, channel, a customer's run of rows) built as codes
 * into its distinct values: each value is kept once (a copy: the field it was read from dies young
 * instead of being buffered until the part is written), and the part stores it once ('dict' blocks).
 */
class DictBuilder {
  values: string[] = [];
  codes: Uint32Array;
  private readonly index = new Map<string, number>();
  private last = '';
  private lastCode = -1;
  constructor(capacity: number) {
    this.codes = new Uint32Array(capacity);
  }
  set(i: number, value: string): void {
    if (value !== this.last || this.lastCode < 0) {
      let code = this.index.get(value);
      if (code === undefined) {
        code = this.values.length;
        const copy = own(value);
        this.values.push(copy);
        this.index.set(copy, code);
      }
      this.last = value;
      this.lastCode = code;
    }
    this.codes[i] = this.lastCode;
  }
  grow(capacity: number): void {
    const codes = new Uint32Array(capacity);
    codes.set(this.codes);
    this.codes = codes;
  }
  column(rows: number): DictColumn {
    return { values: this.values, codes: this.codes.subarray(0, rows) };
  }
}

/**
 * A string column of mostly distinct values (order ids) built as characters: a row given as a span of
 * the decoded chunk costs no string, and nothing per row is left for the collector to copy and promote.
 */
class TextBuilder {
  units: Uint16Array;
  offsets: Uint32Array;
  private length = 0;
  constructor(capacity: number) {
    // characters grow by doubling, from a small start: a part's rows are not known in advance
    this.units = new Uint16Array(8192);
    this.offsets = new Uint32Array(capacity + 1);
  }
  private room(n: number): void {
    if (this.length + n <= this.units.length) return;
    const units = new Uint16Array(Math.max(this.units.length * 2, this.length + n));
    units.set(this.units.subarray(0, this.length));
    this.units = units;
  }
  /** Row i (the next row) is text[start, end). */
  setSpan(i: number, text: string, start: number, end: number): void {
    this.room(end - start);
    const units = this.units;
    let at = this.length;
    for (let k = start; k < end; k++) units[at++] = text.charCodeAt(k);
    this.length = at;
    this.offsets[i + 1] = at;
  }
  setString(i: number, value: string): void {
    this.setSpan(i, value, 0, value.length);
  }
  grow(capacity: number): void {
    const offsets = new Uint32Array(capacity + 1);
    offsets.set(this.offsets);
    this.offsets = offsets;
  }
  column(rows: number): TextColumn {
    return { units: this.units, offsets: this.offsets.subarray(0, rows + 1) };
  }
}

/** Column builders for one record type in one shard: strings in arrays, numbers in typed arrays. */
class ColumnBuffer {
  strings: string[][];
  numbers: (Float64Array | Uint8Array)[];
  /** the string columns built as dictionaries (by index into stringColumns; others undefined) */
  dicts: (DictBuilder | undefined)[] = [];
  /** the string columns built as characters (by index into stringColumns; others undefined) */
  texts: (TextBuilder | undefined)[] = [];
  rows = 0;
  constructor(
    readonly stringColumns: readonly string[],
    readonly numericColumns: readonly (readonly [string, NumericKind])[],
    private readonly dictColumns: readonly string[] = [],
    private readonly textColumns: readonly string[] = [],
    private capacity = 1024,
  ) {
    this.strings = stringColumns.map(() => []);
    this.numbers = numericColumns.map(([, kind]) => this.alloc(kind, capacity));
    this.builders();
  }
  private builders(): void {
    const capacity = this.capacity;
    this.dicts = this.stringColumns.map((c) =>
      this.dictColumns.includes(c) ? new DictBuilder(capacity) : undefined,
    );
    this.texts = this.stringColumns.map((c) =>
      this.textColumns.includes(c) ? new TextBuilder(capacity) : undefined,
    );
  }
  private alloc(kind: NumericKind, n: number): Float64Array | Uint8Array {
    return kind === 'f64' ? new Float64Array(n) : new Uint8Array(n);
  }
  /** Index of the next row; numbers are then set with setNumber, strings pushed in column order. */
  nextRow(): number {
    if (this.rows === this.capacity) {
      this.capacity *= 2;
      this.numbers = this.numbers.map((old, j) => {
        const grown = this.alloc(this.numericColumns[j][1], this.capacity);
        grown.set(old);
        return grown;
      });
      for (const d of this.dicts) d?.grow(this.capacity);
      for (const t of this.texts) t?.grow(this.capacity);
    }
    return this.rows++;
  }
  reset(): void {
    this.rows = 0;
    this.strings = this.stringColumns.map(() => []);
    this.builders();
  }
  encode(meta: Record<string, unknown>): Uint8Array {
    const columns: Record<string, string[] | DictColumn | TextColumn | Float64Array | Uint8Array> = {};
    this.stringColumns.forEach((c, j) => {
      columns[c] = this.dicts[j]?.column(this.rows) ?? this.texts[j]?.column(this.rows) ?? this.strings[j];
    });
    // views, not copies: encodeColumns copies them into the part before the buffer is reused
    this.numericColumns.forEach(([c], j) => {
      columns[c] = this.numbers[j].subarray(0, this.rows);
    });
    return encodeColumns(columns, meta);
  }
}

export const TRANSACTION_STRINGS = ['customerId', 'orderId', 'category', 'channel', 'eventType'] as const;
export const TRANSACTION_NUMBERS = [
  ['timestampMs', 'f64'],
  ['amount', 'f64'],
  ['quantity', 'f64'],
  ['discount', 'f64'],
  ['isReturn', 'u8'],
  // exact-duplicate check in BuildFeatures (lib/ingest/duplicates.ts): a row fingerprint (0 = not
  // checked) and where the row came from (file index · 2³² + line), so the first occurrence is kept
  ['duplicateKey', 'f64'],
  ['origin', 'f64'],
] as const;

export const IDENTITY_STRINGS = ['customerId', 'email', 'phone', 'country'] as const;
/** consent flags: 1 granted, 0 refused, 2 not stated */
export const IDENTITY_NUMBERS = [
  ['consentEmail', 'u8'],
  ['consentSms', 'u8'],
  ['consentAds', 'u8'],
] as const;

/** A transaction as the partitioner stores it; callers reuse one object for every row. */
export interface TransactionRow {
  customerId: string;
  orderId: string;
  category: string;
  channel: string;
  eventType: string;
  timestampMs: number;
  amount: number;
  quantity: number;
  discount: number;
  isReturn: number;
  /** 53-bit fingerprint for the duplicate check; 0 or absent when the row is not checked */
  duplicateKey?: number;
  /** file index · 2³² + line */
  origin?: number;
}

export interface IdentityRow {
  customerId: string;
  email: string;
  phone: string;
  country: string;
  consentEmail: number;
  consentSms: number;
  consentAds: number;
}

export interface PartitionStats {
  transactions: number;
  identities: number;
  customers: number;
  outcomes: number;
  seeds: number;
  suppressions: number;
  audit: number;
  parts: number;
}

interface RecordLayout {
  strings: readonly string[];
  numbers: readonly (readonly [string, NumericKind])[];
  /** string columns of few distinct values per part, stored as dictionaries */
  dicts?: readonly string[];
  /** string columns of mostly distinct values, buffered as characters */
  texts?: readonly string[];
}

const FIXED_LAYOUTS: Record<string, RecordLayout> = {
  transactions: {
    strings: TRANSACTION_STRINGS,
    numbers: TRANSACTION_NUMBERS,
    // a customer's rows mostly come together: the id repeats row after row
    dicts: ['customerId', 'category', 'channel', 'eventType'],
    texts: ['orderId'],
  },
  identities: { strings: IDENTITY_STRINGS, numbers: IDENTITY_NUMBERS, dicts: ['country'] },
  outcomes: {
    strings: ['customerId'],
    numbers: [
      ['label', 'u8'],
      ['timestampMs', 'f64'],
    ],
  },
  seeds: { strings: ['customerId', 'emailSha256', 'phoneSha256'], numbers: [] },
  suppressions: {
    strings: ['customerId', 'emailSha256', 'phoneSha256', 'type'],
    numbers: [['timestampMs', 'f64']],
  },
};

export interface PartitionerOptions {
  /** rows per part at most (default 250,000) */
  rowsPerPart?: number;
  /**
   * Rows buffered over all shards and record types before the fullest buffer is flushed (default
   * 500,000, about 150 MB of buffers): with many shards no buffer fills on its own, and this keeps memory flat.
   */
  bufferedRowBudget?: number;
  /** encoded bytes in flight to the writer before drain() waits (default 64 MiB) */
  inFlightBytes?: number;
}

/** Buffers rows per shard and record type, writes parts through `write`; call `close()` to flush the rest. */
export class ShardPartitioner {
  private readonly buffers = new Map<string, ColumnBuffer>();
  /** per record name, the buffer of each shard (RUN_LEVEL at index shardCount): no key string per row */
  private readonly byShard = new Map<string, (ColumnBuffer | undefined)[]>();
  private readonly layouts = new Map<string, RecordLayout>(Object.entries(FIXED_LAYOUTS));
  private readonly partCounters = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private inFlightBytes = 0;
  private failure: unknown = null;
  private buffered = 0;
  private readonly rowsPerPart: number;
  private readonly budget: number;
  private readonly maxInFlight: number;
  readonly stats: PartitionStats = {
    transactions: 0,
    identities: 0,
    customers: 0,
    outcomes: 0,
    seeds: 0,
    suppressions: 0,
    audit: 0,
    parts: 0,
  };
  /** earliest and latest transaction time accepted (epoch ms) */
  readonly eventRange: { min: number | null; max: number | null } = { min: null, max: null };

  constructor(
    readonly shardCount: number,
    private readonly write: PartWriter,
    options: PartitionerOptions | number = {},
  ) {
    const o = typeof options === 'number' ? { rowsPerPart: options } : options;
    this.rowsPerPart = o.rowsPerPart ?? 250_000;
    this.budget = o.bufferedRowBudget ?? 500_000;
    this.maxInFlight = o.inFlightBytes ?? 64 * 1024 * 1024;
  }

  /**
   * Declares the string columns of a per-file record type (customers, audit) before its first row.
   * Buffered rows of an earlier layout are flushed first, so every part has one set of columns.
   */
  defineRecord(
    name: 'customers' | 'audit',
    strings: readonly string[],
    numbers: RecordLayout['numbers'],
  ): void {
    this.flushRecord(name);
    this.layouts.set(name, { strings, numbers });
  }

  /** The last customer id buffered: rows of one customer often come together, so they share one copy. */
  private lastCustomer = '';
  private lastShard = -1;

  private customer(id: string): string {
    if (id !== this.lastCustomer || this.lastShard < 0) {
      this.lastCustomer = own(id);
      this.lastShard = shardOf(id, this.shardCount);
    }
    return this.lastCustomer;
  }

  /** the transactions buffer of each shard (the byShard entry): looked up once, not per row */
  private transactionSlots: (ColumnBuffer | undefined)[] | null = null;

  /**
   * Buffers a transaction. The order id is `row.orderId`, or text[orderStart, orderEnd) when `text` is
   * given (the delimited reader's fast path, which makes no string for it).
   */
  addTransaction(row: TransactionRow, text?: string, orderStart = 0, orderEnd = 0): void {
    const customerId = this.customer(row.customerId);
    const shard = this.lastShard;
    const buf = this.transactionSlots?.[shard] ?? this.buffer(shard, 'transactions');
    const i = buf.nextRow();
    const d = buf.dicts;
    d[0]!.set(i, customerId);
    if (text === undefined) buf.texts[1]!.setString(i, row.orderId);
    else buf.texts[1]!.setSpan(i, text, orderStart, orderEnd);
    d[2]!.set(i, row.category);
    d[3]!.set(i, row.channel);
    d[4]!.set(i, row.eventType);
    const n = buf.numbers;
    n[0][i] = row.timestampMs;
    n[1][i] = row.amount;
    n[2][i] = row.quantity;
    n[3][i] = row.discount;
    n[4][i] = row.isReturn;
    n[5][i] = row.duplicateKey ?? 0;
    n[6][i] = row.origin ?? 0;
    this.stats.transactions++;
    const range = this.eventRange;
    if (range.max === null || row.timestampMs > range.max) range.max = row.timestampMs;
    if (range.min === null || row.timestampMs < range.min) range.min = row.timestampMs;
    this.added(shard, 'transactions', buf);
  }

  addIdentity(row: IdentityRow): void {
    const customerId = this.customer(row.customerId);
    const shard = this.lastShard;
    const buf = this.buffer(shard, 'identities');
    const i = buf.nextRow();
    buf.strings[0].push(customerId);
    buf.strings[1].push(own(row.email));
    buf.strings[2].push(own(row.phone));
    buf.dicts[3]!.set(i, row.country);
    buf.numbers[0][i] = row.consentEmail;
    buf.numbers[1][i] = row.consentSms;
    buf.numbers[2][i] = row.consentAds;
    this.stats.identities++;
    this.added(shard, 'identities', buf);
  }

  /**
   * A row of a generic record type: `strings` and `numbers` in the layout's column order (the first
   * string is the customer id, used for the shard unless `shard` is given, e.g. RUN_LEVEL).
   */
  addRecord(
    name: 'customers' | 'audit' | 'outcomes' | 'seeds' | 'suppressions',
    strings: readonly string[],
    numbers: readonly number[],
    shard = shardOf(strings[0], this.shardCount),
  ): void {
    const buf = this.buffer(shard, name);
    const i = buf.nextRow();
    for (let j = 0; j < buf.stringColumns.length; j++) buf.strings[j].push(own(strings[j] ?? ''));
    for (let j = 0; j < buf.numbers.length; j++) buf.numbers[j][i] = numbers[j] ?? Number.NaN;
    this.stats[name]++;
    this.added(shard, name, buf);
  }

  /** Writes still-buffered rows and waits for every upload. */
  async close(): Promise<PartitionStats> {
    for (const key of [...this.buffers.keys()]) this.flushKey(key);
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
    return this.stats;
  }

  /** Waits while too many encoded bytes are in flight: called between input chunks (backpressure). */
  async drain(): Promise<void> {
    while (this.inFlightBytes > this.maxInFlight && this.inFlight.size > 0) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
  }

  private buffer(shard: number, name: string): ColumnBuffer {
    let slots = this.byShard.get(name);
    if (slots === undefined) {
      slots = new Array(this.shardCount + 1);
      this.byShard.set(name, slots);
      if (name === 'transactions') this.transactionSlots = slots;
    }
    const at = shard === RUN_LEVEL ? this.shardCount : shard;
    let buf = slots[at];
    if (buf === undefined) {
      const layout = this.layouts.get(name)!;
      buf = new ColumnBuffer(layout.strings, layout.numbers, layout.dicts, layout.texts);
      this.buffers.set(`${shard}/${name}`, buf);
      slots[at] = buf;
    }
    return buf;
  }

  private added(shard: number, name: string, buf: ColumnBuffer): void {
    this.buffered++;
    if (buf.rows >= this.rowsPerPart) this.flush(shard, name, buf);
    else if (this.buffered >= this.budget) this.flushFullest();
  }

  private flushFullest(): void {
    let best: string | null = null;
    let rows = 0;
    for (const [key, buf] of this.buffers) {
      if (buf.rows > rows) {
        rows = buf.rows;
        best = key;
      }
    }
    if (best !== null) this.flushKey(best);
  }

  private flushRecord(name: string): void {
    for (const key of [...this.buffers.keys()]) if (key.endsWith(`/${name}`)) this.flushKey(key);
  }

  private flushKey(key: string): void {
    const buf = this.buffers.get(key)!;
    const slash = key.indexOf('/');
    this.flush(Number(key.slice(0, slash)), key.slice(slash + 1), buf);
    // a per-file layout may change: drop the buffer so the next row builds one with the new columns
    this.buffers.delete(key);
    const shard = Number(key.slice(0, slash));
    const slots = this.byShard.get(key.slice(slash + 1));
    if (slots) slots[shard === RUN_LEVEL ? this.shardCount : shard] = undefined;
  }

  private flush(shard: number, name: string, buf: ColumnBuffer): void {
    if (buf.rows === 0) return;
    const counterKey = `${shard}/${name}`;
    const part = this.partCounters.get(counterKey) ?? 0;
    this.partCounters.set(counterKey, part + 1);
    const bytes = buf.encode({ kind: name, shard, part });
    this.buffered -= buf.rows;
    buf.reset();
    this.stats.parts++;
    const size = bytes.byteLength;
    this.inFlightBytes += size;
    const pending: Promise<void> = this.write(shard, name, part, bytes).then(
      () => {
        this.inFlightBytes -= size;
        this.inFlight.delete(pending);
      },
      (error: unknown) => {
        this.inFlightBytes -= size;
        this.inFlight.delete(pending);
        this.failure ??= error;
      },
    );
    this.inFlight.add(pending);
  }
}
