// One shard's transactions as columns (what Ingest writes and BuildFeatures reads), and their
// concatenation from the shard's parts. A module of its own so the features and the row grouping
// they walk can both name the columns without importing each other.
import type { Columns } from '../storage/columnar.js';

export interface TransactionColumns {
  customerId: string[];
  orderId: string[];
  eventType: string[];
  timestampMs: Float64Array;
  amount: Float64Array;
  discount: Float64Array;
  isReturn: Uint8Array;
  /** optional: absent in older shards and in hand-made test data */
  category?: string[];
  channel?: string[];
}

/** Concatenates transaction parts (as decoded from shard files) into one set of columns. */
export function concatTransactions(parts: Columns[]): TransactionColumns {
  const total = parts.reduce((n, p) => n + (p.customerId as string[]).length, 0);
  const hasCategory = parts.some((p) => Array.isArray(p.category));
  const hasChannel = parts.some((p) => Array.isArray(p.channel));
  const out: TransactionColumns = {
    customerId: concatStrings(parts, 'customerId', false),
    orderId: concatStrings(parts, 'orderId', false),
    eventType: concatStrings(parts, 'eventType', false),
    timestampMs: new Float64Array(total),
    amount: new Float64Array(total),
    discount: new Float64Array(total),
    isReturn: new Uint8Array(total),
    ...(hasCategory ? { category: concatStrings(parts, 'category', true) } : {}),
    ...(hasChannel ? { channel: concatStrings(parts, 'channel', true) } : {}),
  };
  let at = 0;
  for (const p of parts) {
    const n = (p.customerId as string[]).length;
    out.timestampMs.set(p.timestampMs as Float64Array, at);
    out.amount.set(p.amount as Float64Array, at);
    out.discount.set(p.discount as Float64Array, at);
    out.isReturn.set(p.isReturn as Uint8Array, at);
    at += n;
  }
  return out;
}

/** One string column of all parts (native concat); a part without it gives '' (`blank`) or holes. */
function concatStrings(parts: Columns[], name: string, blank: boolean): string[] {
  const pieces = parts.map((p) => {
    const col = p[name];
    if (Array.isArray(col)) return col;
    const n = (p.customerId as string[]).length;
    return blank ? new Array<string>(n).fill('') : new Array<string>(n);
  });
  return ([] as string[]).concat(...pieces);
}
