// CLV inputs for one shard: each customer's calibration-period summary (x repeat purchases, t_x, T,
// mean repeat spend), plus the two mergeable things Fit needs to fit BG/NBD and Gamma-Gamma exactly on
// every customer whatever the sharding: distinct (x, t_x, T) histories with counts, and repeat buyers'
// (x, mean spend) pairs keyed by a stable hash (so a capped sample is the same for any shard count).
import type { Columns } from '../storage/columnar.js';
import { fnv1a32 } from '../util/hash.js';
import { groupRows } from './grouping.js';
import { keyHasher, takeColumn } from './sampling.js';
import type { TransactionColumns } from './transactions.js';

const DAY_MS = 86_400_000;

/** Histories in whole days, so merging never rounds: key `x|txDays|TDays` → customers. */
export interface ClvHistories {
  calibrationEndDay: number;
  customers: number;
  histories: Record<string, number>;
}

export interface ClvShardInputs {
  /** per customer with a purchase on or before the calibration end day (columns: customerId, x, tx, T, meanSpend; times in periods) */
  customers: Columns;
  histories: ClvHistories;
  /** repeat buyers only (columns: x, meanSpend, key) for the spend model */
  spend: Columns;
}

/** Day number (days since 1970-01-01 UTC) of a `YYYY-MM-DD` calibration end, or of the last instant before as-of. */
export function calibrationEndDay(calibrationEnd: string | undefined, asOfMs: number): number {
  if (calibrationEnd) return Math.floor(Date.parse(`${calibrationEnd}T00:00:00Z`) / DAY_MS);
  return Math.floor((asOfMs - 1) / DAY_MS);
}

/** What a repeat buyer's spend-sample key hashes before its id. */
const SPEND_KEY_PREFIX = 'clv-spend:';

export function spendKey(customerId: string): number {
  return fnv1a32(SPEND_KEY_PREFIX + customerId);
}

/**
 * Purchases only (no engagement events, no returns), strictly before `asOfMs` and on or before the
 * calibration end day; same-day purchases are one transaction (summariseTransactions' convention, which
 * reproduces the CDNOW reference). Customers come in the order of their first purchase before `asOfMs`.
 */
export function computeClvInputs(
  tx: TransactionColumns,
  options: { asOfMs: number; endDay: number; periodDays: number },
): ClvShardInputs {
  const n = tx.customerId.length;
  const groups = groupRows(tx);
  const { start, rows, eventOf } = groups;
  const { timestampMs, amount, isReturn } = tx;
  const { asOfMs, endDay, periodDays } = options;
  const isPurchase = (i: number): boolean => eventOf[i] < 0 && !isReturn[i] && timestampMs[i] < asOfMs;
  const seen = new Uint8Array(groups.ids.length);
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    const g = groups.customerOf[i];
    if (seen[g] || !isPurchase(i)) continue;
    seen[g] = 1;
    order.push(g);
  }
  // summariseTransactions per customer, on their purchases ordered by (day, row) as it sorts them, so
  // the spend sums add the same amounts in the same order
  const kept: string[] = [];
  const x = new Float64Array(order.length);
  const txs = new Float64Array(order.length);
  const Ts = new Float64Array(order.length);
  const meanSpend = new Float64Array(order.length);
  let days: Int32Array = new Int32Array(64);
  let amounts: Float64Array = new Float64Array(64);
  for (const g of order) {
    let k = 0;
    let sorted = true;
    for (let j = start[g]; j < start[g + 1]; j++) {
      const i = rows[j];
      if (!isPurchase(i)) continue;
      const day = Math.floor(timestampMs[i] / DAY_MS) | 0; // as the Int32Array of days held it
      if (day > endDay) continue;
      if (k === days.length) {
        days = growInt(days);
        amounts = growFloat(amounts);
      }
      if (k > 0 && day < days[k - 1]) sorted = false;
      days[k] = day;
      amounts[k] = amount[i];
      k++;
    }
    if (!k) continue; // no purchase in the calibration period
    if (!sorted) sortByDay(days, amounts, k);
    const firstDay = days[0];
    let lastDay = firstDay;
    let distinctDays = 1;
    let firstDayAmount = 0;
    let totalAmount = 0;
    for (let r = 0; r < k; r++) {
      const day = days[r];
      if (day !== lastDay) {
        lastDay = day;
        distinctDays++;
      }
      if (day === firstDay) firstDayAmount += amounts[r];
      totalAmount += amounts[r];
    }
    const repeats = distinctDays - 1;
    const c = kept.length;
    kept.push(groups.ids[g]);
    x[c] = repeats;
    txs[c] = (lastDay - firstDay) / periodDays;
    Ts[c] = (endDay - firstDay) / periodDays;
    meanSpend[c] = repeats > 0 ? (totalAmount - firstDayAmount) / repeats : 0;
  }
  const m = kept.length;
  const histories: Record<string, number> = {};
  const repeaters = new Int32Array(m);
  let r = 0;
  for (let c = 0; c < m; c++) {
    // exact: tx and T are whole days divided by periodDays
    const key = `${x[c]}|${Math.round(txs[c] * periodDays)}|${Math.round(Ts[c] * periodDays)}`;
    histories[key] = (histories[key] ?? 0) + 1;
    if (x[c] > 0 && meanSpend[c] > 0) repeaters[r++] = c;
  }
  const hashSpend = keyHasher(SPEND_KEY_PREFIX); // spendKey, the prefix hashed once
  const spendKeys = new Uint32Array(r);
  for (let k = 0; k < r; k++) spendKeys[k] = hashSpend(kept[repeaters[k]]);
  const repeaterRows = repeaters.subarray(0, r);
  return {
    customers: {
      customerId: kept,
      x: x.slice(0, m),
      tx: txs.slice(0, m),
      T: Ts.slice(0, m),
      meanSpend: meanSpend.slice(0, m),
    },
    histories: { calibrationEndDay: endDay, customers: m, histories },
    spend: {
      x: takeColumn(x, repeaterRows),
      meanSpend: takeColumn(meanSpend, repeaterRows),
      key: spendKeys,
    },
  };
}

/** Stable sort of the first `k` (day, amount) pairs by day: insertion sort for a customer's few purchases. */
function sortByDay(days: Int32Array, amounts: Float64Array, k: number): void {
  if (k > 64) {
    const idx = Array.from({ length: k }, (_, r) => r);
    idx.sort((a, b) => days[a] - days[b] || a - b);
    const d = Int32Array.from(idx, (r) => days[r]);
    const v = Float64Array.from(idx, (r) => amounts[r]);
    days.set(d);
    amounts.set(v);
    return;
  }
  for (let r = 1; r < k; r++) {
    const day = days[r];
    const value = amounts[r];
    let q = r - 1;
    while (q >= 0 && days[q] > day) {
      days[q + 1] = days[q];
      amounts[q + 1] = amounts[q];
      q--;
    }
    days[q + 1] = day;
    amounts[q + 1] = value;
  }
}

function growInt(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function growFloat(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
