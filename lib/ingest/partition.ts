// Partitions accepted rows by a stable hash of the customer id into the run's shards, keeping
// memory bounded: each shard's columns are flushed to S3 as a numbered part once they fill up.
import { encodeColumns } from '../storage/columnar.js';
import { fnv1a32 } from '../util/random.js';

export type PartWriter = (shard: number, name: string, part: number, bytes: Uint8Array) => Promise<void>;

export function shardOf(customerId: string, shardCount: number): number {
  return fnv1a32(customerId) % shardCount;
}

type NumericSpec = { kind: 'f64' | 'u8'; fill: number };

/** Column builders for one record type in one shard. */
class ColumnBuffer {
  strings: Record<string, string[]> = {};
  numbers: Record<string, number[]> = {};
  rows = 0;
  constructor(
    readonly stringColumns: readonly string[],
    readonly numericColumns: Readonly<Record<string, NumericSpec>>,
  ) {
    this.reset();
  }
  reset(): void {
    this.rows = 0;
    for (const c of this.stringColumns) this.strings[c] = [];
    for (const c of Object.keys(this.numericColumns)) this.numbers[c] = [];
  }
  encode(meta: Record<string, unknown>): Uint8Array {
    const columns: Record<string, string[] | Float64Array | Uint8Array> = {};
    for (const c of this.stringColumns) columns[c] = this.strings[c];
    for (const [c, spec] of Object.entries(this.numericColumns)) {
      columns[c] =
        spec.kind === 'f64' ? Float64Array.from(this.numbers[c]) : Uint8Array.from(this.numbers[c]);
    }
    return encodeColumns(columns, meta);
  }
}

export const TRANSACTION_STRINGS = ['customerId', 'orderId', 'category', 'channel', 'eventType'] as const;
export const TRANSACTION_NUMBERS = {
  timestampMs: { kind: 'f64', fill: Number.NaN },
  amount: { kind: 'f64', fill: 0 },
  quantity: { kind: 'f64', fill: Number.NaN },
  discount: { kind: 'f64', fill: Number.NaN },
  isReturn: { kind: 'u8', fill: 0 },
} as const satisfies Record<string, NumericSpec>;

export const IDENTITY_STRINGS = ['customerId', 'email', 'phone', 'country'] as const;
/** consent flags: 1 granted, 0 refused, 2 not stated */
export const IDENTITY_NUMBERS = {
  consentEmail: { kind: 'u8', fill: 2 },
  consentSms: { kind: 'u8', fill: 2 },
  consentAds: { kind: 'u8', fill: 2 },
} as const satisfies Record<string, NumericSpec>;

export type TransactionRow = {
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
};

export type IdentityRow = {
  customerId: string;
  email: string;
  phone: string;
  country: string;
  consentEmail: number;
  consentSms: number;
  consentAds: number;
};

export interface PartitionStats {
  transactions: number;
  identities: number;
  parts: number;
}

/** Buffers rows per shard and writes parts through `write`; call `close()` to flush the rest. */
export class ShardPartitioner {
  private readonly transactions: ColumnBuffer[];
  private readonly identities: ColumnBuffer[];
  private readonly partCounters = new Map<string, number>();
  private readonly pending: Promise<void>[] = [];
  readonly stats: PartitionStats = { transactions: 0, identities: 0, parts: 0 };
  /** earliest and latest event time accepted (epoch ms) */
  readonly eventRange: { min: number | null; max: number | null } = { min: null, max: null };

  constructor(
    readonly shardCount: number,
    private readonly write: PartWriter,
    private readonly rowsPerPart = 250_000,
  ) {
    this.transactions = Array.from(
      { length: shardCount },
      () => new ColumnBuffer(TRANSACTION_STRINGS, TRANSACTION_NUMBERS),
    );
    this.identities = Array.from(
      { length: shardCount },
      () => new ColumnBuffer(IDENTITY_STRINGS, IDENTITY_NUMBERS),
    );
  }

  addTransaction(row: TransactionRow): void {
    const shard = shardOf(row.customerId, this.shardCount);
    const buf = this.transactions[shard];
    for (const c of TRANSACTION_STRINGS) buf.strings[c].push(row[c]);
    for (const c of Object.keys(TRANSACTION_NUMBERS) as (keyof typeof TRANSACTION_NUMBERS)[]) {
      buf.numbers[c].push(row[c]);
    }
    buf.rows++;
    this.stats.transactions++;
    const range = this.eventRange;
    if (range.max === null || row.timestampMs > range.max) range.max = row.timestampMs;
    if (range.min === null || row.timestampMs < range.min) range.min = row.timestampMs;
    if (buf.rows >= this.rowsPerPart) this.flush(shard, 'transactions', buf);
  }

  addIdentity(row: IdentityRow): void {
    const shard = shardOf(row.customerId, this.shardCount);
    const buf = this.identities[shard];
    for (const c of IDENTITY_STRINGS) buf.strings[c].push(row[c]);
    for (const c of Object.keys(IDENTITY_NUMBERS) as (keyof typeof IDENTITY_NUMBERS)[]) {
      buf.numbers[c].push(row[c]);
    }
    buf.rows++;
    this.stats.identities++;
    if (buf.rows >= this.rowsPerPart) this.flush(shard, 'identities', buf);
  }

  /** Writes still-buffered rows and waits for every upload. */
  async close(): Promise<PartitionStats> {
    for (let s = 0; s < this.shardCount; s++) {
      if (this.transactions[s].rows) this.flush(s, 'transactions', this.transactions[s]);
      if (this.identities[s].rows) this.flush(s, 'identities', this.identities[s]);
    }
    await Promise.all(this.pending);
    return this.stats;
  }

  /** Waits for uploads in flight: called between input chunks so memory stays bounded. */
  async drain(): Promise<void> {
    if (this.pending.length > 2 * this.shardCount) await Promise.all(this.pending.splice(0));
  }

  private flush(shard: number, name: string, buf: ColumnBuffer): void {
    const counterKey = `${shard}/${name}`;
    const part = this.partCounters.get(counterKey) ?? 0;
    this.partCounters.set(counterKey, part + 1);
    const bytes = buf.encode({ kind: name, shard, part });
    buf.reset();
    this.stats.parts++;
    this.pending.push(this.write(shard, name, part, bytes));
  }
}
