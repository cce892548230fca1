// One shard's transactions grouped once: customers, categories, channels, event types and each customer's
// orders become small integers, and every customer's rows are listed contiguously in row order. The
// features (at as-of and at each propensity cut), the CLV inputs and the samples all walk this grouping
// instead of each re-hashing every row's strings into Maps of their own.
import type { TransactionColumns } from './transactions.js';

export interface RowGroups {
  /** customer ids, in first-seen order over all rows */
  ids: string[];
  /** per row: index of its customer in `ids` */
  customerOf: Int32Array;
  /** rows of customer c are `rows[start[c]]` … `rows[start[c + 1] - 1]`, ascending */
  start: Int32Array;
  rows: Int32Array;
  /** per row: code of its order among its customer's distinct order ids (first seen = 0), -1 when empty */
  orderOf: Int32Array;
  /** most distinct order ids of any one customer (scratch size for per-customer order tables) */
  maxOrders: number;
  /** per row: code of its category (-1 when empty or absent); `categories[code]` is the value */
  categoryOf: Int32Array;
  categories: string[];
  /** per row: code of its channel (-1 when empty or absent) */
  channelOf: Int32Array;
  channels: string[];
  /** per row: code of its event type (-1 for a purchase or return row, whose event type is '') */
  eventOf: Int32Array;
  events: string[];
}

/** Customers with more distinct orders than this get a Map for their order ids (else a linear scan). */
const SCAN_ORDERS = 24;

// TransactionColumns are never modified once built (concatTransactions makes fresh ones), so one
// grouping per columns object serves every computation on it; the length check guards hand-made data.
const cache = new WeakMap<TransactionColumns, RowGroups>();

export function groupRows(tx: TransactionColumns): RowGroups {
  const cached = cache.get(tx);
  if (cached && cached.customerOf.length === tx.customerId.length) return cached;
  const groups = buildGroups(tx);
  cache.set(tx, groups);
  return groups;
}

function buildGroups(tx: TransactionColumns): RowGroups {
  const n = tx.customerId.length;
  const customerOf = new Int32Array(n);
  const ids: string[] = [];
  const index = new Map<string, number>();
  let previous: string | undefined;
  let previousCode = -1;
  for (let i = 0; i < n; i++) {
    const id = tx.customerId[i];
    // a customer's rows mostly arrive together: the previous row's customer is the cheap first guess
    if (id === previous) {
      customerOf[i] = previousCode;
      continue;
    }
    let c = index.get(id);
    if (c === undefined) {
      c = ids.length;
      index.set(id, c);
      ids.push(id);
    }
    customerOf[i] = c;
    previous = id;
    previousCode = c;
  }
  const m = ids.length;
  const start = new Int32Array(m + 1);
  for (let i = 0; i < n; i++) start[customerOf[i] + 1]++;
  for (let c = 0; c < m; c++) start[c + 1] += start[c];
  const rows = new Int32Array(n);
  const fill = start.slice(0, m);
  for (let i = 0; i < n; i++) rows[fill[customerOf[i]]++] = i;
  const { orderOf, maxOrders } = codeOrders(tx.orderId, start, rows, n);
  const category = codeValues(tx.category, n);
  const channel = codeValues(tx.channel, n);
  const event = codeValues(tx.eventType, n);
  return {
    ids,
    customerOf,
    start,
    rows,
    orderOf,
    maxOrders,
    categoryOf: category.codes,
    categories: category.values,
    channelOf: channel.codes,
    channels: channel.values,
    eventOf: event.codes,
    events: event.values,
  };
}

/** Each row's order id as the index of that id among its customer's distinct ids (-1 for ''). */
function codeOrders(
  orderId: readonly string[],
  start: Int32Array,
  rows: Int32Array,
  n: number,
): { orderOf: Int32Array; maxOrders: number } {
  const orderOf = new Int32Array(n).fill(-1);
  let maxOrders = 0;
  let seen: string[] = [];
  let large: Map<string, number> | undefined;
  for (let c = 0; c + 1 < start.length; c++) {
    let distinct = 0;
    large = undefined;
    let lastId = '';
    let lastCode = -1;
    for (let j = start[c]; j < start[c + 1]; j++) {
      const i = rows[j];
      const id = orderId[i];
      if (id === '') continue;
      if (id === lastId) {
        orderOf[i] = lastCode;
        continue;
      }
      let code = -1;
      if (large) code = large.get(id) ?? -1;
      else
        for (let k = 0; k < distinct; k++)
          if (seen[k] === id) {
            code = k;
            break;
          }
      if (code < 0) {
        code = distinct++;
        if (large) large.set(id, code);
        else {
          if (seen.length < distinct) seen = grow(seen);
          seen[code] = id;
          if (distinct > SCAN_ORDERS) {
            large = new Map();
            for (let k = 0; k < distinct; k++) large.set(seen[k], k);
          }
        }
      }
      orderOf[i] = code;
      lastId = id;
      lastCode = code;
    }
    if (distinct > maxOrders) maxOrders = distinct;
  }
  return { orderOf, maxOrders };
}

function grow(a: string[]): string[] {
  const b = new Array<string>(Math.max(2 * a.length, 16)).fill('');
  for (let k = 0; k < a.length; k++) b[k] = a[k];
  return b;
}

/** Codes of a column's distinct non-empty values in first-seen order (-1 for '' or a missing column). */
function codeValues(
  column: readonly string[] | undefined,
  n: number,
): { codes: Int32Array; values: string[] } {
  const codes = new Int32Array(n).fill(-1);
  const values: string[] = [];
  if (!column) return { codes, values };
  const index = new Map<string, number>();
  let previous = '';
  let previousCode = -1;
  for (let i = 0; i < n; i++) {
    const v = column[i] ?? '';
    if (v === '') continue;
    if (v === previous) {
      codes[i] = previousCode;
      continue;
    }
    let code = index.get(v);
    if (code === undefined) {
      code = values.length;
      index.set(v, code);
      values.push(v);
    }
    codes[i] = code;
    previous = v;
    previousCode = code;
  }
  return { codes, values };
}

/** Per row: the index of its customer in `ids` (-1 when absent), one lookup per customer, not per row. */
export function rowCustomerIn(tx: TransactionColumns, ids: readonly string[]): Int32Array {
  const groups = groupRows(tx);
  const position = new Map<string, number>();
  for (let c = 0; c < ids.length; c++) position.set(ids[c], c);
  const of = Int32Array.from(groups.ids, (id) => position.get(id) ?? -1);
  const out = new Int32Array(groups.customerOf.length);
  for (let i = 0; i < out.length; i++) out[i] = of[groups.customerOf[i]];
  return out;
}
