// Verbatim copy of the pre-#10 implementation (commit 84aff27), kept so test/bench/features-kernel.ts can
// time old against new in one run and the equivalence tests can pin identical outputs. Do not optimise.
// CLV inputs for one shard: each customer's calibration-period summary (x repeat purchases, t_x, T,
// mean repeat spend), plus the two mergeable things Fit needs to fit BG/NBD and Gamma-Gamma exactly on
// every customer whatever the sharding: distinct (x, t_x, T) histories with counts, and repeat buyers'
// (x, mean spend) pairs keyed by a stable hash (so a capped sample is the same for any shard count).

import type { Columns } from '../../../lib/storage/columnar.js';
import { fnv1a32 } from '../../../lib/util/hash.js';
import type { TransactionColumns } from './build.js';
import { summariseTransactions } from './clv.js';

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

export function spendKey(customerId: string): number {
  return fnv1a32(`clv-spend:${customerId}`);
}

/**
 * Purchases only (no engagement events, no returns), strictly before `asOfMs` and on or before the
 * calibration end day; same-day purchases are one transaction (summariseTransactions' convention, which
 * reproduces the CDNOW reference).
 */
export function computeClvInputs(
  tx: TransactionColumns,
  options: { asOfMs: number; endDay: number; periodDays: number },
): ClvShardInputs {
  const n = tx.customerId.length;
  const index = new Map<string, number>();
  const ids: string[] = [];
  let rows = 0;
  for (let i = 0; i < n; i++) if (isPurchase(tx, i, options.asOfMs)) rows++;
  const customer = new Int32Array(rows);
  const day = new Int32Array(rows);
  const amount = new Float64Array(rows);
  let at = 0;
  for (let i = 0; i < n; i++) {
    if (!isPurchase(tx, i, options.asOfMs)) continue;
    const id = tx.customerId[i];
    let c = index.get(id);
    if (c === undefined) {
      c = ids.length;
      index.set(id, c);
      ids.push(id);
    }
    customer[at] = c;
    day[at] = Math.floor(tx.timestampMs[i] / DAY_MS);
    amount[at] = tx.amount[i];
    at++;
  }
  const s = summariseTransactions(customer, day, amount, {
    customers: ids.length,
    calibrationEndDay: options.endDay,
    daysPerPeriod: options.periodDays,
  });
  const keep: number[] = [];
  for (let c = 0; c < ids.length; c++) if (!Number.isNaN(s.x[c])) keep.push(c);
  const histories: Record<string, number> = {};
  const repeaters: number[] = [];
  for (const c of keep) {
    // exact: tx and T are whole days divided by periodDays
    const key = `${s.x[c]}|${Math.round(s.tx[c] * options.periodDays)}|${Math.round(s.T[c] * options.periodDays)}`;
    histories[key] = (histories[key] ?? 0) + 1;
    if (s.x[c] > 0 && s.meanRepeatSpend[c] > 0) repeaters.push(c);
  }
  return {
    customers: {
      customerId: keep.map((c) => ids[c]),
      x: Float64Array.from(keep, (c) => s.x[c]),
      tx: Float64Array.from(keep, (c) => s.tx[c]),
      T: Float64Array.from(keep, (c) => s.T[c]),
      meanSpend: Float64Array.from(keep, (c) => s.meanRepeatSpend[c]),
    },
    histories: { calibrationEndDay: options.endDay, customers: keep.length, histories },
    spend: {
      x: Float64Array.from(repeaters, (c) => s.x[c]),
      meanSpend: Float64Array.from(repeaters, (c) => s.meanRepeatSpend[c]),
      key: Uint32Array.from(repeaters, (c) => spendKey(ids[c])),
    },
  };
}

function isPurchase(tx: TransactionColumns, i: number, asOfMs: number): boolean {
  return tx.eventType[i] === '' && !tx.isReturn[i] && tx.timestampMs[i] < asOfMs;
}
