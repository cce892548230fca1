// Customer lifetime value: BG/NBD (Fader, Hardie & Lee 2005) for how many repeat purchases a customer
// will make, Gamma-Gamma (Fader, Hardie & Lee 2005, JMR) for how much each is worth, both fitted by
// maximum likelihood on per-customer summaries (x repeat purchases, t_x recency, T age, mean spend).
//
// Time unit: whatever unit x/t_x/T are expressed in (weeks for the CDNOW reference). Predictions over a
// horizon t are in the same unit.

import { bfgs, digamma, hyp2f1, logGamma, NumericalDomainError, nelderMead } from './special.js';

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface BgNbdFit extends BgNbdParams {
  logLikelihood: number;
  iterations: number;
  converged: boolean;
  customers: number;
}

export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

export interface GammaGammaFit extends GammaGammaParams {
  logLikelihood: number;
  iterations: number;
  converged: boolean;
  customers: number;
}

/** A CLV input that cannot be fitted (too few customers, inconsistent summaries, …). */
export class ClvInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClvInputError';
  }
}

// ---------------------------------------------------------------------------------------------------
// BG/NBD

/**
 * Total BG/NBD log-likelihood (eq. 6 of Fader, Hardie & Lee 2005), summed over customers, computed per
 * customer as A1 + A2 + log(exp(A3) + δ(x>0)·exp(A4)) with log-sum-exp so that large x never overflows.
 */
export function bgNbdLogLikelihood(
  p: BgNbdParams,
  x: Float64Array,
  tx: Float64Array,
  T: Float64Array,
): number {
  checkSummaries(x, tx, T);
  const { r, alpha, a, b } = p;
  const lgR = logGamma(r);
  const rLogAlpha = r * Math.log(alpha);
  const lgAB = logGamma(a + b);
  const lgB = logGamma(b);
  const logA = Math.log(a);
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const rx = r + xi;
    const a1 = logGamma(rx) - lgR + rLogAlpha;
    const a2 = lgAB + logGamma(b + xi) - lgB - logGamma(a + b + xi);
    const a3 = -rx * Math.log(alpha + T[i]);
    if (xi > 0) {
      const a4 = logA - Math.log(b + xi - 1) - rx * Math.log(alpha + tx[i]);
      const m = Math.max(a3, a4);
      total += a1 + a2 + m + Math.log(Math.exp(a3 - m) + Math.exp(a4 - m));
    } else {
      total += a1 + a2 + a3;
    }
  }
  return total;
}

/** Gradient of the total log-likelihood with respect to (ln r, ln α, ln a, ln b), into out. */
function bgNbdLogGradient(
  p: BgNbdParams,
  x: Float64Array,
  tx: Float64Array,
  T: Float64Array,
  out: Float64Array,
): void {
  const { r, alpha, a, b } = p;
  const psiR = digamma(r);
  const psiAB = digamma(a + b);
  const psiB = digamma(b);
  const logAlpha = Math.log(alpha);
  let gr = 0;
  let gAlpha = 0;
  let ga = 0;
  let gb = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const rx = r + xi;
    const logAT = Math.log(alpha + T[i]);
    // w4 is the posterior weight of "dropped out right after the last purchase".
    let w4 = 0;
    let logAtx = 0;
    if (xi > 0) {
      logAtx = Math.log(alpha + tx[i]);
      const a3 = -rx * logAT;
      const a4 = Math.log(a) - Math.log(b + xi - 1) - rx * logAtx;
      w4 = 1 / (1 + Math.exp(a3 - a4));
    }
    const w3 = 1 - w4;
    const psiABX = digamma(a + b + xi);
    gr += digamma(rx) - psiR + logAlpha - w3 * logAT - (xi > 0 ? w4 * logAtx : 0);
    gAlpha += r / alpha - w3 * (rx / (alpha + T[i])) - (xi > 0 ? w4 * (rx / (alpha + tx[i])) : 0);
    ga += psiAB - psiABX + (xi > 0 ? w4 / a : 0);
    gb += psiAB + digamma(b + xi) - psiB - psiABX - (xi > 0 ? w4 / (b + xi - 1) : 0);
  }
  out[0] = gr * r;
  out[1] = gAlpha * alpha;
  out[2] = ga * a;
  out[3] = gb * b;
}

/**
 * Fit BG/NBD by maximum likelihood.
 *
 * Optimisation runs on log-parameters (so all four stay positive): Nelder–Mead from the initial point
 * (default r = α = a = b = 1, α rescaled to the mean age T) until the simplex's function spread is below
 * 1e-10 relative, then BFGS with the analytic gradient until ‖∂LL/∂ln θ‖∞ <= 1e-6·(customers), i.e. the
 * mean per-customer score is below 1e-6. `converged` reports the BFGS criterion.
 *
 * `penalizer` (default 0) follows the `lifetimes` convention: the objective is the mean per-customer
 * log-likelihood minus penalizer·(r² + α² + a² + b²), which shrinks parameters on tiny data sets.
 */
export function fitBgNbd(
  x: Float64Array,
  tx: Float64Array,
  T: Float64Array,
  options: { initial?: BgNbdParams; penalizer?: number } = {},
): BgNbdFit {
  checkSummaries(x, tx, T);
  const n = x.length;
  if (n < 2) throw new ClvInputError(`BG/NBD needs at least 2 customers to fit, got ${n}.`);
  let repeaters = 0;
  let meanT = 0;
  for (let i = 0; i < n; i++) {
    if (x[i] > 0) repeaters++;
    meanT += T[i] / n;
  }
  if (repeaters === 0) {
    throw new ClvInputError(
      'BG/NBD needs some customers with repeat purchases; every customer bought once. Use a longer history.',
    );
  }
  const penalizer = options.penalizer ?? 0;
  const start = options.initial ?? { r: 1, alpha: Math.max(meanT, 1e-3), a: 1, b: 1 };
  const unpack = (theta: Float64Array): BgNbdParams => ({
    r: Math.exp(theta[0]),
    alpha: Math.exp(theta[1]),
    a: Math.exp(theta[2]),
    b: Math.exp(theta[3]),
  });
  // Scale by 1/n so tolerances mean the same thing for 100 and 1,000,000 customers.
  const objective = (theta: Float64Array): number => {
    const p = unpack(theta);
    const ll = bgNbdLogLikelihood(p, x, tx, T) / n;
    return -ll + penalizer * (p.r ** 2 + p.alpha ** 2 + p.a ** 2 + p.b ** 2);
  };
  const gradient = (theta: Float64Array, out: Float64Array): void => {
    const p = unpack(theta);
    bgNbdLogGradient(p, x, tx, T, out);
    const values = [p.r, p.alpha, p.a, p.b];
    for (let k = 0; k < 4; k++) out[k] = -out[k] / n + penalizer * 2 * values[k] * values[k];
  };
  const theta0 = Float64Array.from([start.r, start.alpha, start.a, start.b].map(Math.log));
  const coarse = nelderMead(objective, theta0, { fTol: 1e-10, xTol: 1e-6, maxIterations: 5000 });
  const polished = bfgs(objective, gradient, coarse.x, { gradTol: 1e-6, maxIterations: 500 });
  const best = polished.value <= coarse.value ? polished : coarse;
  const params = unpack(best.x);
  return {
    ...params,
    logLikelihood: bgNbdLogLikelihood(params, x, tx, T),
    iterations: coarse.iterations + polished.iterations,
    converged: polished.converged,
    customers: n,
  };
}

/**
 * P(customer still alive at T | x, t_x, T) = 1 / (1 + δ(x>0)·a/(b+x−1)·((α+T)/(α+t_x))^(r+x)).
 * Exactly 1 for x = 0 (the model lets customers drop out only right after a purchase).
 */
export function probabilityAlive(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  const logOdds = Math.log(p.a / (p.b + x - 1)) + (p.r + x) * Math.log((p.alpha + T) / (p.alpha + tx));
  return 1 / (1 + Math.exp(logOdds));
}

/**
 * E[Y(t) | x, t_x, T]: expected repeat purchases in (T, T + t] (eq. 10 of Fader, Hardie & Lee 2005):
 *
 *   (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; z)] · P(alive),
 *   z = t/(α+T+t).
 *
 * The product (1−z)^(r+x)·2F1(r+x, b+x; c; z) is evaluated through Euler's transformation as
 * (1−z)^(a−1)·2F1(a+b−1−r, a−1; a+b+x−1; z): the first two parameters no longer grow with x, so nothing
 * overflows for frequent buyers, and the series converges faster the more purchases a customer has.
 * 2F1 itself switches to the 1−z transformation when z is close to 1 (long horizons), see special.ts.
 * The factor 1/(a−1) has a removable singularity at a = 1, bridged by evaluating at a = 1 ± 1e-6.
 */
export function expectedPurchases(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (!(t >= 0)) throw new ClvInputError(`The prediction horizon must be >= 0, got ${t}.`);
  if (t === 0) return 0;
  if (Math.abs(p.a - 1) < 1e-6) {
    const lo = expectedPurchasesRaw({ ...p, a: 1 - 1e-6 }, t, x, tx, T);
    const hi = expectedPurchasesRaw({ ...p, a: 1 + 1e-6 }, t, x, tx, T);
    return lo + ((p.a - (1 - 1e-6)) * (hi - lo)) / 2e-6;
  }
  return expectedPurchasesRaw(p, t, x, tx, T);
}

function expectedPurchasesRaw(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  const z = t / (alpha + T + t);
  const c = a + b + x - 1;
  // (1−z)^(a−1) = exp((a−1)·log1p(−z)); 1 − that·F computed as −expm1(·) when F ≈ 1 keeps precision for
  // short horizons, where the bracket is tiny.
  const f = hyp2f1(a + b - 1 - r, a - 1, c, z);
  const logPart = (a - 1) * Math.log1p(-z);
  const bracket = -Math.expm1(logPart + Math.log(f));
  return (c / (a - 1)) * bracket * probabilityAlive(p, x, tx, T);
}

/** Expected repeat purchases in (0, t] for a brand-new customer (eq. 7), the population curve. */
export function expectedPurchasesNewCustomer(p: BgNbdParams, t: number): number {
  const { r, alpha, a, b } = p;
  const z = t / (alpha + t);
  // ((α/(α+t))^r)·2F1(r, b; a+b−1; z) = (1−z)^(a−1)·2F1(a+b−1−r, a−1; a+b−1; z) by Euler, as above.
  const f = hyp2f1(a + b - 1 - r, a - 1, a + b - 1, z);
  return ((a + b - 1) / (a - 1)) * -Math.expm1((a - 1) * Math.log1p(-z) + Math.log(f));
}

// ---------------------------------------------------------------------------------------------------
// Gamma-Gamma

/** Total Gamma-Gamma log-likelihood of mean spends m_i over x_i transactions (x_i > 0). */
export function gammaGammaLogLikelihood(
  params: GammaGammaParams,
  frequency: Float64Array,
  meanSpend: Float64Array,
): number {
  const { p, q, gamma } = params;
  const lgQ = logGamma(q);
  const qLogGamma = q * Math.log(gamma);
  let total = 0;
  for (let i = 0; i < frequency.length; i++) {
    const x = frequency[i];
    const m = meanSpend[i];
    const px = p * x;
    total +=
      logGamma(px + q) -
      logGamma(px) -
      lgQ +
      qLogGamma +
      (px - 1) * Math.log(m) +
      px * Math.log(x) -
      (px + q) * Math.log(gamma + m * x);
  }
  return total;
}

function gammaGammaLogGradient(
  params: GammaGammaParams,
  frequency: Float64Array,
  meanSpend: Float64Array,
  out: Float64Array,
): void {
  const { p, q, gamma } = params;
  const psiQ = digamma(q);
  const logGammaParam = Math.log(gamma);
  let gp = 0;
  let gq = 0;
  let gg = 0;
  for (let i = 0; i < frequency.length; i++) {
    const x = frequency[i];
    const m = meanSpend[i];
    const px = p * x;
    const psiPQ = digamma(px + q);
    const logGMX = Math.log(gamma + m * x);
    gp += x * (psiPQ - digamma(px) + Math.log(m) + Math.log(x) - logGMX);
    gq += psiPQ - psiQ + logGammaParam - logGMX;
    gg += q / gamma - (px + q) / (gamma + m * x);
  }
  out[0] = gp * p;
  out[1] = gq * q;
  out[2] = gg * gamma;
}

/**
 * Fit the Gamma-Gamma spend model by maximum likelihood on customers with at least one repeat purchase
 * (`frequency` = x > 0, `meanSpend` = mean value of their repeat transactions, > 0). Same optimiser and
 * convergence criteria as fitBgNbd (Nelder–Mead then BFGS on log-parameters, mean score <= 1e-6).
 */
export function fitGammaGamma(
  frequency: Float64Array,
  meanSpend: Float64Array,
  options: { initial?: GammaGammaParams } = {},
): GammaGammaFit {
  const n = frequency.length;
  if (meanSpend.length !== n) {
    throw new ClvInputError(`frequency has ${n} customers but meanSpend has ${meanSpend.length}.`);
  }
  if (n < 2) throw new ClvInputError(`Gamma-Gamma needs at least 2 repeat customers to fit, got ${n}.`);
  let meanM = 0;
  for (let i = 0; i < n; i++) {
    if (!(frequency[i] > 0)) {
      throw new ClvInputError(
        `Gamma-Gamma uses only customers with repeat purchases; customer #${i} has frequency ${frequency[i]}. Filter x > 0 first.`,
      );
    }
    if (!(meanSpend[i] > 0)) {
      throw new ClvInputError(
        `Gamma-Gamma needs a positive mean spend; customer #${i} has ${meanSpend[i]}. Remove refunds-only or zero-value customers.`,
      );
    }
    meanM += meanSpend[i] / n;
  }
  const start = options.initial ?? { p: 1, q: 1, gamma: meanM };
  const unpack = (theta: Float64Array): GammaGammaParams => ({
    p: Math.exp(theta[0]),
    q: Math.exp(theta[1]),
    gamma: Math.exp(theta[2]),
  });
  const objective = (theta: Float64Array): number =>
    -gammaGammaLogLikelihood(unpack(theta), frequency, meanSpend) / n;
  const gradient = (theta: Float64Array, out: Float64Array): void => {
    gammaGammaLogGradient(unpack(theta), frequency, meanSpend, out);
    for (let k = 0; k < 3; k++) out[k] = -out[k] / n;
  };
  const theta0 = Float64Array.from([start.p, start.q, start.gamma].map(Math.log));
  const coarse = nelderMead(objective, theta0, { fTol: 1e-10, xTol: 1e-6, maxIterations: 5000 });
  const polished = bfgs(objective, gradient, coarse.x, { gradTol: 1e-6, maxIterations: 500 });
  const best = polished.value <= coarse.value ? polished : coarse;
  const params = unpack(best.x);
  return {
    ...params,
    logLikelihood: gammaGammaLogLikelihood(params, frequency, meanSpend),
    iterations: coarse.iterations + polished.iterations,
    converged: polished.converged,
    customers: n,
  };
}

/**
 * E[M | x, m̄] = (p(γ + x·m̄)) / (p·x + q − 1): the posterior mean transaction value, a weighted average
 * of the population mean pγ/(q−1) and the customer's own mean. x = 0 gives the population mean.
 * Needs q > 1 (otherwise the population mean is infinite).
 */
export function expectedAverageSpend(p: GammaGammaParams, x: number, meanSpend: number): number {
  if (!(p.q > 1)) {
    throw new ClvInputError(
      `The fitted spend model has q = ${p.q} <= 1, so average spend is unbounded; check for extreme order values.`,
    );
  }
  const m = x > 0 ? meanSpend : 0;
  return (p.p * (p.gamma + x * m)) / (p.p * x + p.q - 1);
}

/**
 * Discounted expected revenue over the next `horizonPeriods` (in the time unit of t_x and T):
 *   Σ_k E[M] · (E[Y(k·h)] − E[Y((k−1)·h)]) / (1 + d)^(k·h),  h = 1/stepsPerPeriod,
 * i.e. purchases expected in each step are discounted at the step's end. d = discountRatePerPeriod
 * (default 0), stepsPerPeriod default 1.
 */
export function customerLifetimeValue(
  bg: BgNbdParams,
  gg: GammaGammaParams,
  c: { x: number; tx: number; T: number; meanSpend: number },
  options: { horizonPeriods: number; discountRatePerPeriod?: number; stepsPerPeriod?: number },
): number {
  const steps = options.stepsPerPeriod ?? 1;
  const d = options.discountRatePerPeriod ?? 0;
  if (!(options.horizonPeriods >= 0)) {
    throw new ClvInputError(`horizonPeriods must be >= 0, got ${options.horizonPeriods}.`);
  }
  if (!(steps >= 1 && Number.isInteger(steps))) {
    throw new ClvInputError(`stepsPerPeriod must be a positive integer, got ${steps}.`);
  }
  if (!(d > -1)) throw new ClvInputError(`discountRatePerPeriod must be > -1, got ${d}.`);
  const spend = expectedAverageSpend(gg, c.x, c.meanSpend);
  const totalSteps = Math.round(options.horizonPeriods * steps);
  const h = 1 / steps;
  const logDiscount = Math.log1p(d);
  let previous = 0;
  let value = 0;
  for (let k = 1; k <= totalSteps; k++) {
    const t = k * h;
    const current = expectedPurchases(bg, t, c.x, c.tx, c.T);
    value += (current - previous) * Math.exp(-t * logDiscount);
    previous = current;
  }
  return value * spend;
}

// ---------------------------------------------------------------------------------------------------
// Summaries from transactions

export interface RfmSummary {
  /** Repeat transactions in the calibration period (distinct purchase days − 1). */
  x: Float64Array;
  /** Periods from first to last purchase day. */
  tx: Float64Array;
  /** Periods from first purchase day to the calibration end day. */
  T: Float64Array;
  /** Mean value of the repeat transactions (0 when x = 0); a day's purchases are summed first. */
  meanRepeatSpend: Float64Array;
  /** Number of customers with at least one purchase in the calibration period. */
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

function checkSummaries(x: Float64Array, tx: Float64Array, T: Float64Array): void {
  if (tx.length !== x.length || T.length !== x.length) {
    throw new ClvInputError(
      `x, tx and T must have one entry per customer (got ${x.length}, ${tx.length}, ${T.length}).`,
    );
  }
}

export { NumericalDomainError };
