// Verbatim copy of the pre-#10 implementation (commit 84aff27), kept so test/bench/features-kernel.ts can
// time old against new in one run and the equivalence tests can pin identical outputs. Do not optimise.
import { ClvInputError } from '../../../lib/models/clv.js';

export interface RfmSummary {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  meanRepeatSpend: Float64Array;
  activeCustomers: number;
}

/**
 * Per-customer BG/NBD/Gamma-Gamma summaries from a transaction log: purchases on the same day are one
 * transaction (their amounts summed), only days <= calibrationEndDay count, and times are
 * (day difference) / daysPerPeriod, with T measured to calibrationEndDay itself (so a customer whose
 * first purchase is on the end day has T = 0). Days are integer day numbers (e.g. days since epoch).
 * Customers without calibration purchases get x = tx = T = NaN; drop them before fitting.
 */
export function summariseTransactions(
  customer: Int32Array,
  day: Int32Array | Float64Array,
  amount: Float64Array,
  options: { customers: number; calibrationEndDay: number; daysPerPeriod?: number },
): RfmSummary {
  const n = customer.length;
  if (day.length !== n || amount.length !== n) {
    throw new ClvInputError('customer, day and amount must have one entry per transaction.');
  }
  const k = options.customers;
  const period = options.daysPerPeriod ?? 7;
  // Sort transaction indices by (customer, day) so each customer's days are contiguous and ordered.
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((i, j) => customer[i] - customer[j] || day[i] - day[j] || i - j);
  const x = new Float64Array(k).fill(Number.NaN);
  const tx = new Float64Array(k).fill(Number.NaN);
  const T = new Float64Array(k).fill(Number.NaN);
  const meanRepeatSpend = new Float64Array(k);
  const firstDayAmount = new Float64Array(k);
  const totalAmount = new Float64Array(k);
  const firstDay = new Float64Array(k).fill(Number.NaN);
  const lastDay = new Float64Array(k).fill(Number.NaN);
  const days = new Float64Array(k);
  for (let idx = 0; idx < n; idx++) {
    const i = order[idx];
    const c = customer[i];
    if (c < 0 || c >= k) throw new ClvInputError(`customer index ${c} is outside 0..${k - 1}.`);
    const dd = day[i];
    if (dd > options.calibrationEndDay) continue;
    if (Number.isNaN(firstDay[c])) {
      firstDay[c] = dd;
      lastDay[c] = dd;
      days[c] = 1;
    } else if (dd !== lastDay[c]) {
      lastDay[c] = dd;
      days[c]++;
    }
    if (dd === firstDay[c]) firstDayAmount[c] += amount[i];
    totalAmount[c] += amount[i];
  }
  let active = 0;
  for (let c = 0; c < k; c++) {
    if (Number.isNaN(firstDay[c])) continue;
    active++;
    x[c] = days[c] - 1;
    tx[c] = (lastDay[c] - firstDay[c]) / period;
    T[c] = (options.calibrationEndDay - firstDay[c]) / period;
    meanRepeatSpend[c] = x[c] > 0 ? (totalAmount[c] - firstDayAmount[c]) / x[c] : 0;
  }
  return { x, tx, T, meanRepeatSpend, activeCustomers: active };
}
