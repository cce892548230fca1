// Seeded, messy transaction columns for tests of BuildFeatures' computations: every case the feature
// code branches on (engagement events, returns, zero and sub-cent amounts, missing discounts, order
// ids and optional values), customers interleaved and rows out of time order.
import type { TransactionColumns } from '../../lib/features/transactions.js';
import { createRandom } from '../../lib/util/random.js';

export const DAY_MS = 86_400_000;
/** the first day the generated rows can fall on */
export const MESSY_T0_MS = Date.UTC(2025, 0, 1);
/** an as-of time inside the generated span (rows fall up to 420 days after MESSY_T0_MS) */
export const MESSY_AS_OF_MS = MESSY_T0_MS + 400 * DAY_MS;

/** About 12 rows per customer, the same for the same (customers, seed). */
export function messyRows(customers: number, seed: number): TransactionColumns {
  const r = createRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[r.int(xs.length)];
  const out = {
    customerId: [] as string[],
    orderId: [] as string[],
    eventType: [] as string[],
    timestampMs: [] as number[],
    amount: [] as number[],
    discount: [] as number[],
    isReturn: [] as number[],
    category: [] as string[],
    channel: [] as string[],
  };
  let order = 0;
  let lastCustomer = 0;
  let lastTime = MESSY_T0_MS;
  for (let k = 0; k < customers * 12; k++) {
    // another line of the previous order (mostly the same customer, within a day or two), or a new one
    const sameOrder = r.next() < 0.3 && order > 0;
    // a few heavy customers (over the linear-scan limit of order ids, and over 64 purchases)
    const c = sameOrder && r.next() < 0.9 ? lastCustomer : k % 7 === 0 ? r.int(3) : r.int(customers);
    const event = r.next() < 0.15 ? pick(['email_open', 'Email Open', 'login', 'page-view']) : '';
    // slices of a joined string, as decodeColumns hands them out (distinct string objects per row)
    const id = `xC${c}`.slice(1);
    out.customerId.push(id);
    out.orderId.push(r.next() < 0.2 ? '' : `#${sameOrder ? order : ++order}`);
    out.eventType.push(event);
    // some rows at or after the as-of time, some exactly on day boundaries
    const day = r.int(420);
    const time = sameOrder
      ? lastTime + r.int(3 * DAY_MS) - DAY_MS
      : MESSY_T0_MS + day * DAY_MS + (r.next() < 0.2 ? 0 : r.int(DAY_MS));
    out.timestampMs.push(time);
    lastCustomer = c;
    lastTime = time;
    out.amount.push(r.next() < 0.05 ? 0 : Math.round(r.next() * 20000) / 100 + r.next() * 1e-9);
    out.discount.push(r.next() < 0.3 ? Number.NaN : r.next() < 0.5 ? 0 : r.next() * 10);
    out.isReturn.push(event === '' && r.next() < 0.08 ? 1 : 0);
    out.category.push(r.next() < 0.1 ? '' : pick(['home', 'beauty', 'toys', 'garden', 'books']));
    out.channel.push(r.next() < 0.1 ? '' : pick(['app', 'web', 'store']));
  }
  return {
    customerId: out.customerId,
    orderId: out.orderId,
    eventType: out.eventType,
    timestampMs: Float64Array.from(out.timestampMs),
    amount: Float64Array.from(out.amount),
    discount: Float64Array.from(out.discount),
    isReturn: Uint8Array.from(out.isReturn),
    category: out.category,
    channel: out.channel,
  };
}

/** Fresh columns objects (so no computation reuses another's cached grouping). */
export const copyColumns = (tx: TransactionColumns): TransactionColumns => ({ ...tx });

/** A hand-made transaction row: customer, day after a start time, and whatever the test needs. */
export interface HandMadeRow {
  c: string;
  day: number;
  amount?: number;
  order?: string;
  ret?: boolean;
  discount?: number;
  event?: string;
  category?: string;
  channel?: string;
}

/**
 * Hand-made rows as transaction columns: amount 0, no discount (NaN), no order id and a purchase where
 * a row says nothing; category and channel columns only when asked for ('' where a row has none).
 */
export function handMadeTransactions(
  rows: readonly HandMadeRow[],
  t0Ms: number,
  options: { categoryAndChannel?: boolean } = {},
): TransactionColumns {
  return {
    customerId: rows.map((r) => r.c),
    orderId: rows.map((r) => r.order ?? ''),
    eventType: rows.map((r) => r.event ?? ''),
    timestampMs: Float64Array.from(rows.map((r) => t0Ms + r.day * DAY_MS)),
    amount: Float64Array.from(rows.map((r) => r.amount ?? 0)),
    discount: Float64Array.from(rows.map((r) => r.discount ?? Number.NaN)),
    isReturn: Uint8Array.from(rows.map((r) => (r.ret ? 1 : 0))),
    ...(options.categoryAndChannel
      ? { category: rows.map((r) => r.category ?? ''), channel: rows.map((r) => r.channel ?? '') }
      : {}),
  };
}
