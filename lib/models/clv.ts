// Customer lifetime value: BG/NBD (Fader, Hardie & Lee 2005) for how many repeat purchases a customer
// will make, Gamma-Gamma (Fader, Hardie & Lee 2005, JMR) for how much each is worth, both fitted by
// maximum likelihood on per-customer summaries (x repeat purchases, t_x recency, T age, mean spend).
//
// Time unit: whatever unit x/t_x/T are expressed in (weeks for the CDNOW reference). Predictions over a
// horizon t are in the same unit.

import {
  bfgs,
  digamma,
  hyp2f1,
  logGamma,
  type MinimizeResult,
  NumericalDomainError,
  nelderMead,
} from './special.js';

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
 * Customers collapsed to distinct (x, t_x, T) triples with a count each, sorted by x. The likelihood
 * depends on a customer only through the triple, and Γ/ψ terms only through x, so fitting cost scales
 * with the number of distinct triples and Γ is evaluated once per distinct x, not per customer. t_x and
 * T take far fewer distinct values than the triples do (whole days of a few years), so each triple also
 * points at its t_x and T among those: log(α + T) is then taken once per distinct T, not per triple.
 */
interface CompressedSummaries {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  count: Float64Array;
  /** the distinct values of t_x and of T, and each triple's position among them */
  txValues: Float64Array;
  TValues: Float64Array;
  txAt: Int32Array;
  TAt: Int32Array;
}

/** The distinct values of `values` (ascending) and each element's position among them. */
function distinctIndex(values: Float64Array): { distinct: Float64Array; at: Int32Array } {
  const distinct = Float64Array.from(new Set(values)).sort();
  const position = new Map<number, number>();
  for (let j = 0; j < distinct.length; j++) position.set(distinct[j], j);
  const at = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) at[i] = position.get(values[i]) ?? 0;
  return { distinct, at };
}

function compressSummaries(x: Float64Array, tx: Float64Array, T: Float64Array): CompressedSummaries {
  const n = x.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((i, j) => x[i] - x[j] || tx[i] - tx[j] || T[i] - T[j] || i - j);
  const cx = new Float64Array(n);
  const ctx = new Float64Array(n);
  const cT = new Float64Array(n);
  const count = new Float64Array(n);
  let m = -1;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (m >= 0 && x[i] === cx[m] && tx[i] === ctx[m] && T[i] === cT[m]) {
      count[m]++;
    } else {
      m++;
      cx[m] = x[i];
      ctx[m] = tx[i];
      cT[m] = T[i];
      count[m] = 1;
    }
  }
  const size = m + 1;
  const txs = distinctIndex(ctx.subarray(0, size));
  const Ts = distinctIndex(cT.subarray(0, size));
  return {
    x: cx.slice(0, size),
    tx: ctx.slice(0, size),
    T: cT.slice(0, size),
    count: count.slice(0, size),
    txValues: txs.distinct,
    TValues: Ts.distinct,
    txAt: txs.at,
    TAt: Ts.at,
  };
}

/**
 * Above this many distinct histories (or spend customers), the optimisers' search from the crude
 * starting point runs on a binned copy of the data first and only the final BFGS polish on the exact
 * data (see coarseThenExact). At or below it, the fit is the plain Nelder–Mead + BFGS on exact data.
 */
export const COARSE_SEARCH_ABOVE = 4000;

/** Bins per axis of the coarse copy: t_x and T (BG/NBD) or log mean spend (Gamma-Gamma). */
const COARSE_BINS = 16;

/**
 * The histories binned on a grid of t_x and T (COARSE_BINS steps up to the largest T; x stays exact),
 * each cell one weighted history at its customers' mean t_x and T: a likelihood of the same shape at a
 * few percent of the cost, whose optimum lies close to the exact one.
 */
function binSummaries(data: CompressedSummaries): CompressedSummaries {
  const { x, tx, T, count } = data;
  let maxT = 0;
  for (let i = 0; i < T.length; i++) maxT = Math.max(maxT, T[i]);
  const step = maxT > 0 ? maxT / COARSE_BINS : 1;
  const side = COARSE_BINS + 1;
  // x ascends, so (rank of x, t_x bin, T bin) numbers the cells in ascending x
  const cellOf = new Map<number, number>();
  const keys: number[] = [];
  const cx: number[] = [];
  const sumTx: number[] = [];
  const sumT: number[] = [];
  const weight: number[] = [];
  let rank = -1;
  for (let i = 0; i < x.length; i++) {
    if (i === 0 || x[i] !== x[i - 1]) rank++;
    const key = (rank * side + Math.round(tx[i] / step)) * side + Math.round(T[i] / step);
    let c = cellOf.get(key);
    if (c === undefined) {
      c = keys.length;
      cellOf.set(key, c);
      keys.push(key);
      cx.push(x[i]);
      sumTx.push(0);
      sumT.push(0);
      weight.push(0);
    }
    sumTx[c] += count[i] * tx[i];
    sumT[c] += count[i] * T[i];
    weight[c] += count[i];
  }
  const order = Array.from(keys.keys()).sort((u, v) => keys[u] - keys[v]);
  const bx = Float64Array.from(order, (c) => cx[c]);
  const btx = Float64Array.from(order, (c) => sumTx[c] / weight[c]);
  const bT = Float64Array.from(order, (c) => sumT[c] / weight[c]);
  const txs = distinctIndex(btx);
  const Ts = distinctIndex(bT);
  return {
    x: bx,
    tx: btx,
    T: bT,
    count: Float64Array.from(order, (c) => weight[c]),
    txValues: txs.distinct,
    TValues: Ts.distinct,
    txAt: txs.at,
    TAt: Ts.at,
  };
}

/**
 * Minimises `exact` from theta0: Nelder–Mead (fTol 1e-5 relative, xTol 1e-2) then BFGS (gradTol 1e-9),
 * the better of the two kept. With a `coarse` objective (the same model on binned data), both stages
 * run on it first and the exact BFGS starts from their result with their inverse Hessian: it then needs
 * a few iterations instead of hundreds of exact evaluations, and stops on the same criterion, so the
 * optimum is the exact data's to BFGS's tolerance (the coarse copy only decides the path there).
 */
function coarseThenExact(
  exact: { f: (theta: Float64Array) => number; grad: (theta: Float64Array, out: Float64Array) => void },
  coarse: {
    f: (theta: Float64Array) => number;
    grad: (theta: Float64Array, out: Float64Array) => void;
  } | null,
  theta0: Float64Array,
): MinimizeResult {
  const simplexOptions = { fTol: 1e-5, xTol: 1e-2, maxIterations: 5000 };
  const polishOptions = { gradTol: 1e-9, maxIterations: 500 };
  if (!coarse) {
    const simplex = nelderMead(exact.f, theta0, simplexOptions);
    const polished = bfgs(exact.f, exact.grad, simplex.x, polishOptions);
    const best = polished.value <= simplex.value ? polished : simplex;
    const iterations = simplex.iterations + polished.iterations;
    return { x: best.x, value: best.value, iterations, converged: polished.converged };
  }
  const simplex = nelderMead(coarse.f, theta0, simplexOptions);
  const coarsePolished = bfgs(coarse.f, coarse.grad, simplex.x, polishOptions);
  const warm = coarsePolished.value <= simplex.value;
  const start = warm ? coarsePolished.x : simplex.x;
  const startValue = exact.f(start);
  const polished = bfgs(exact.f, exact.grad, start, {
    ...polishOptions,
    ...(warm ? { initialInverseHessian: coarsePolished.inverseHessian } : {}),
  });
  const iterations = simplex.iterations + coarsePolished.iterations + polished.iterations;
  if (polished.value <= startValue) return { ...polished, iterations };
  return { x: Float64Array.from(start), value: startValue, iterations, converged: polished.converged };
}

/** log(α + v) for each distinct v, into out (reused across evaluations). */
function logShifted(alpha: number, values: Float64Array, out: Float64Array): Float64Array {
  for (let j = 0; j < values.length; j++) out[j] = Math.log(alpha + values[j]);
  return out;
}

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
  const data = compressSummaries(x, tx, T);
  return compressedLogLikelihood(p, data, logScratch(data));
}

/**
 * The log-likelihood over compressed summaries (customers with equal (x, t_x, T) counted once and
 * weighted), with log(α + T) and log(α + t_x) looked up per distinct value.
 */
function compressedLogLikelihood(p: BgNbdParams, data: CompressedSummaries, scratch: LogScratch): number {
  const { x, count, txAt, TAt } = data;
  const { r, alpha, a, b } = p;
  const logAT = logShifted(alpha, data.TValues, scratch.logAT);
  const logAtx = logShifted(alpha, data.txValues, scratch.logAtx);
  const lgR = logGamma(r);
  const rLogAlpha = r * Math.log(alpha);
  const lgAB = logGamma(a + b);
  const lgB = logGamma(b);
  const logA = Math.log(a);
  let total = 0;
  let lastX = Number.NaN;
  let gammaTerms = 0;
  let logBX1 = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (xi !== lastX) {
      lastX = xi;
      gammaTerms = logGamma(r + xi) - lgR + rLogAlpha + lgAB + logGamma(b + xi) - lgB - logGamma(a + b + xi);
      logBX1 = xi > 0 ? Math.log(b + xi - 1) : 0;
    }
    const rx = r + xi;
    const a3 = -rx * logAT[TAt[i]];
    let value = gammaTerms + a3;
    if (xi > 0) {
      const a4 = logA - logBX1 - rx * logAtx[txAt[i]];
      value =
        a4 > a3 ? gammaTerms + a4 + Math.log1p(Math.exp(a3 - a4)) : value + Math.log1p(Math.exp(a4 - a3));
    }
    total += count[i] * value;
  }
  return total;
}

interface LogScratch {
  logAT: Float64Array;
  logAtx: Float64Array;
}

const logScratch = (data: CompressedSummaries): LogScratch => ({
  logAT: new Float64Array(data.TValues.length),
  logAtx: new Float64Array(data.txValues.length),
});

/** Gradient of the total log-likelihood with respect to (ln r, ln α, ln a, ln b), into out. */
function weightedLogGradient(
  p: BgNbdParams,
  data: CompressedSummaries,
  out: Float64Array,
  scratch: LogScratch,
): void {
  const { x, tx, T, count, txAt, TAt } = data;
  const { r, alpha, a, b } = p;
  const psiR = digamma(r);
  const psiAB = digamma(a + b);
  const psiB = digamma(b);
  const logAlpha = Math.log(alpha);
  const logA = Math.log(a);
  const logATs = logShifted(alpha, data.TValues, scratch.logAT);
  const logAtxs = logShifted(alpha, data.txValues, scratch.logAtx);
  let gr = 0;
  let gAlpha = 0;
  let ga = 0;
  let gb = 0;
  let lastX = Number.NaN;
  let psiRX = 0;
  let psiBX = 0;
  let psiABX = 0;
  let logBX1 = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (xi !== lastX) {
      lastX = xi;
      psiRX = digamma(r + xi);
      psiBX = digamma(b + xi);
      psiABX = digamma(a + b + xi);
      logBX1 = xi > 0 ? Math.log(b + xi - 1) : 0;
    }
    const c = count[i];
    const rx = r + xi;
    const logAT = logATs[TAt[i]];
    // w4 is the posterior weight of "dropped out right after the last purchase".
    let w4 = 0;
    let logAtx = 0;
    if (xi > 0) {
      logAtx = logAtxs[txAt[i]];
      const a3 = -rx * logAT;
      const a4 = logA - logBX1 - rx * logAtx;
      w4 = 1 / (1 + Math.exp(a3 - a4));
    }
    const w3 = 1 - w4;
    gr += c * (psiRX - psiR + logAlpha - w3 * logAT - w4 * logAtx);
    gAlpha += c * (r / alpha - w3 * (rx / (alpha + T[i])) - (xi > 0 ? w4 * (rx / (alpha + tx[i])) : 0));
    ga += c * (psiAB - psiABX + w4 / a);
    gb += c * (psiAB + psiBX - psiB - psiABX - (xi > 0 ? w4 / (b + xi - 1) : 0));
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
 * (default r = a = b = 1, α = mean T) until the simplex's function spread is below 1e-5 relative, then
 * BFGS with the analytic gradient until ‖∂(LL/n)/∂ln θ‖∞ <= 1e-9, i.e. the mean per-customer score is
 * below 1e-9 (or the objective's floating-point floor is reached within 1e3 of that; see bfgs).
 * `converged` reports that BFGS criterion. Customers are first collapsed to distinct (x, t_x, T) triples
 * (exact; see compressSummaries), so cost grows with distinct histories, not customers. Above
 * COARSE_SEARCH_ABOVE distinct histories, Nelder–Mead and a first BFGS run on a binned copy and only
 * the final BFGS on the exact data (coarseThenExact): same criterion, a few exact evaluations.
 *
 * `penalizer` (default 0) follows the `lifetimes` convention: the objective is the mean per-customer
 * log-likelihood minus penalizer·(r² + α² + a² + b²), which shrinks parameters on tiny data sets.
 */
export function fitBgNbd(
  x: Float64Array,
  tx: Float64Array,
  T: Float64Array,
  options: {
    initial?: BgNbdParams;
    penalizer?: number;
    counts?: Float64Array;
    /** distinct histories above which the search runs on a binned copy first (COARSE_SEARCH_ABOVE) */
    coarseSearchAbove?: number;
  } = {},
): BgNbdFit {
  checkSummaries(x, tx, T);
  // with counts, x/tx/T are distinct histories in ascending (x, t_x, T) order, counts[i] customers each
  // (a histogram merged over shards): no per-customer arrays, the same fit to the last bit
  const counts = options.counts;
  if (counts && !isHistogram(x, tx, T, counts))
    throw new ClvInputError(
      'Counted histories must be distinct, in ascending (x, t_x, T) order, one count each.',
    );
  const n = counts ? counts.reduce((s, c) => s + c, 0) : x.length;
  if (n < 2) throw new ClvInputError(`BG/NBD needs at least 2 customers to fit, got ${n}.`);
  let repeaters = 0;
  let meanT = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (!(xi >= 0 && tx[i] >= 0 && T[i] >= tx[i])) {
      throw new ClvInputError(
        `Customer #${i} has x = ${xi}, t_x = ${tx[i]}, T = ${T[i]}; need x >= 0 and 0 <= t_x <= T. Check the calibration end date.`,
      );
    }
    if (xi > 0) repeaters++;
    // one term per customer, in the order of the expanded customers (bit-identical start point)
    for (let k = counts ? counts[i] : 1; k > 0; k--) meanT += T[i] / n;
  }
  if (repeaters === 0) {
    throw new ClvInputError(
      'BG/NBD needs some customers with repeat purchases; every customer bought once. Use a longer history.',
    );
  }
  const data = compressSummaries(x, tx, T);
  if (counts) data.count.set(counts); // distinct and sorted as compressSummaries sorts: aligned one to one
  const penalizer = options.penalizer ?? 0;
  const start = options.initial ?? { r: 1, alpha: Math.max(meanT, 1e-3), a: 1, b: 1 };
  const unpack = (theta: Float64Array): BgNbdParams => ({
    r: Math.exp(theta[0]),
    alpha: Math.exp(theta[1]),
    a: Math.exp(theta[2]),
    b: Math.exp(theta[3]),
  });
  // Scale by 1/n so tolerances mean the same thing for 100 and 1,000,000 customers.
  const scratch = logScratch(data);
  // the same objective and gradient on another copy of the data (the exact one, or its binned copy)
  const on = (d: CompressedSummaries) => {
    const dScratch = d === data ? scratch : logScratch(d);
    return {
      f: (theta: Float64Array): number => {
        const p = unpack(theta);
        const ll = compressedLogLikelihood(p, d, dScratch) / n;
        return -ll + penalizer * (p.r ** 2 + p.alpha ** 2 + p.a ** 2 + p.b ** 2);
      },
      grad: (theta: Float64Array, out: Float64Array): void => {
        const p = unpack(theta);
        weightedLogGradient(p, d, out, dScratch);
        const values = [p.r, p.alpha, p.a, p.b];
        for (let k = 0; k < 4; k++) out[k] = -out[k] / n + penalizer * 2 * values[k] * values[k];
      },
    };
  };
  const theta0 = Float64Array.from([start.r, start.alpha, start.a, start.b].map(Math.log));
  const coarse =
    data.x.length > (options.coarseSearchAbove ?? COARSE_SEARCH_ABOVE) ? on(binSummaries(data)) : null;
  const best = coarseThenExact(on(data), coarse, theta0);
  const params = unpack(best.x);
  return {
    ...params,
    logLikelihood: compressedLogLikelihood(params, data, scratch),
    iterations: best.iterations,
    converged: best.converged,
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
 * For z <= 0.9 the series is summed in a rearranged form with no cancellation at all (see
 * expectedPurchasesSeries), which is also exact at a = 1. For z > 0.9 (horizons beyond 9·(α+T)) 2F1
 * switches to its 1−z transformation (special.ts); there the removable singularities at a = 1 and at
 * a + b + x − 1 = 0 are bridged by interpolation. Accuracy against mpmath: ~1e-11 relative typically.
 */
export function expectedPurchases(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (!(t >= 0)) throw new ClvInputError(`The prediction horizon must be >= 0, got ${t}.`);
  if (t === 0) return 0;
  const z = t / (p.alpha + T + t);
  if (z <= 0.9) return expectedPurchasesSeries(p, z, x) * probabilityAlive(p, x, tx, T);
  // Long horizons: 2F1 through its 1−z transformation. The removable singularities at a = 1 and at
  // a + b + x − 1 = 0 are bridged by cubic interpolation through nodes 1e-3 and 2e-3 either side.
  const c = p.a + p.b + x - 1;
  if (Math.abs(p.a - 1) < BRIDGE) {
    return bridge(p.a - 1, (shift) => expectedPurchasesHyp2f1({ ...p, a: 1 + shift }, t, x, tx, T));
  }
  if (Math.abs(c) < BRIDGE) {
    return bridge(c, (shift) => expectedPurchasesHyp2f1({ ...p, b: p.b - c + shift }, t, x, tx, T));
  }
  return expectedPurchasesHyp2f1(p, t, x, tx, T);
}

const BRIDGE = 1e-3;

/** f(target) from f at ±BRIDGE, ±2·BRIDGE by cubic Lagrange interpolation (|target| < BRIDGE). */
function bridge(target: number, f: (shift: number) => number): number {
  const nodes = [-2 * BRIDGE, -BRIDGE, BRIDGE, 2 * BRIDGE];
  let value = 0;
  for (let i = 0; i < 4; i++) {
    let weight = 1;
    for (let j = 0; j < 4; j++) if (j !== i) weight *= (target - nodes[j]) / (nodes[i] - nodes[j]);
    value += weight * f(nodes[i]);
  }
  return value;
}

/**
 * E[Y(t)] / P(alive) for z <= 0.9, written so that nothing cancels: with ε = a − 1, c' = a+b−1−r,
 * c = a+b+x−1 and L = ln(1−z), the bracket 1 − (1−z)^ε·2F1(c', ε; c; z) divided by ε equals
 * −expm1(εL)/ε − e^(εL)·S, S = Σ_{n≥1} (c')_n (1+ε)_(n−1) / ((c)_n n!) z^n. Multiplying by c inside the
 * sum (c/(c)_n = 1/(c+1)_(n−1)) also removes the pole at c = 0. Exact at a = 1, no bridging needed.
 */
function expectedPurchasesSeries(p: BgNbdParams, z: number, x: number): number {
  const { r, a, b } = p;
  const eps = a - 1;
  const cPrime = a + b - 1 - r;
  const c = a + b + x - 1;
  const L = Math.log1p(-z);
  const growth = eps === 0 ? -L : -Math.expm1(eps * L) / eps;
  // cS = Σ_{n≥1} z^n (c')_n (1+ε)_(n−1) / ((c+1)_(n−1) n!)
  let term = cPrime * z;
  let cS = term;
  for (let n = 1; n < 100_000; n++) {
    term *= ((cPrime + n) * (eps + n) * z) / ((c + n) * (n + 1));
    cS += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(cS) || term === 0) break;
  }
  return c * growth - Math.exp(eps * L) * cS;
}

function expectedPurchasesHyp2f1(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  const z = t / (alpha + T + t);
  const c = a + b + x - 1;
  const f = hyp2f1(a + b - 1 - r, a - 1, c, z);
  const logPart = (a - 1) * Math.log1p(-z);
  // f < 0 is possible when a + b + x − 1 < 0 (x = 0 and a + b < 1); then there is no cancellation.
  const bracket = f > 0 ? -Math.expm1(logPart + Math.log(f)) : 1 - Math.exp(logPart) * f;
  return (c / (a - 1)) * bracket * probabilityAlive(p, x, tx, T);
}

/**
 * Expected repeat purchases in (0, t] for a brand-new customer (eq. 7), the population curve. It is
 * eq. 10 with x = t_x = T = 0, so it shares that evaluation (and its accuracy near a = 1).
 */
export function expectedPurchasesNewCustomer(p: BgNbdParams, t: number): number {
  return expectedPurchases(p, t, 0, 0, 0);
}

// ---------------------------------------------------------------------------------------------------
// Gamma-Gamma

/** Total Gamma-Gamma log-likelihood of mean spends m_i over x_i transactions (x_i > 0). */
export function gammaGammaLogLikelihood(
  params: GammaGammaParams,
  frequency: Float64Array,
  meanSpend: Float64Array,
): number {
  return gammaGammaLogLikelihoodWithLogs(params, {
    x: frequency,
    m: meanSpend,
    logM: meanSpend.map(Math.log),
    weight: null,
  });
}

/**
 * Repeat buyers as the spend likelihood reads them: x ascending (so Γ terms are taken once per distinct
 * x), log m̄ precomputed once per fit (Math.log dominates the per-customer cost), and a weight per row
 * when a row stands for several customers (the binned copy of coarseSpend); null means 1 each.
 */
interface SpendRows {
  x: Float64Array;
  m: Float64Array;
  logM: Float64Array;
  weight: Float64Array | null;
}

function gammaGammaLogLikelihoodWithLogs(params: GammaGammaParams, rows: SpendRows): number {
  const { x: frequency, m: meanSpend, logM: logMeanSpend, weight } = rows;
  const { p, q, gamma } = params;
  const lgQ = logGamma(q);
  const qLogGamma = q * Math.log(gamma);
  let total = 0;
  let lastX = Number.NaN;
  let perX = 0;
  for (let i = 0; i < frequency.length; i++) {
    const x = frequency[i];
    const px = p * x;
    if (x !== lastX) {
      // Γ terms depend on x only; the fit sorts customers by x so each is evaluated once per distinct x.
      lastX = x;
      perX = logGamma(px + q) - logGamma(px) - lgQ + qLogGamma + px * Math.log(x);
    }
    const m = meanSpend[i];
    const value = perX + (px - 1) * logMeanSpend[i] - (px + q) * Math.log(gamma + m * x);
    total += weight ? weight[i] * value : value;
  }
  return total;
}

function gammaGammaLogGradient(params: GammaGammaParams, rows: SpendRows, out: Float64Array): void {
  const { x: frequency, m: meanSpend, logM: logMeanSpend, weight } = rows;
  const { p, q, gamma } = params;
  const psiQ = digamma(q);
  const logGammaParam = Math.log(gamma);
  let gp = 0;
  let gq = 0;
  let gg = 0;
  let lastX = Number.NaN;
  let psiPQ = 0;
  let psiP = 0;
  let logX = 0;
  for (let i = 0; i < frequency.length; i++) {
    const x = frequency[i];
    const px = p * x;
    if (x !== lastX) {
      lastX = x;
      psiPQ = digamma(px + q);
      psiP = digamma(px);
      logX = Math.log(x);
    }
    const m = meanSpend[i];
    const logGMX = Math.log(gamma + m * x);
    const w = weight ? weight[i] : 1;
    gp += w * x * (psiPQ - psiP + logMeanSpend[i] + logX - logGMX);
    gq += w * (psiPQ - psiQ + logGammaParam - logGMX);
    gg += w * (q / gamma - (px + q) / (gamma + m * x));
  }
  out[0] = gp * p;
  out[1] = gq * q;
  out[2] = gg * gamma;
}

/**
 * Fit the Gamma-Gamma spend model by maximum likelihood on customers with at least one repeat purchase
 * (`frequency` = x > 0, `meanSpend` = mean value of their repeat transactions, > 0). Same optimiser and
 * convergence criteria as fitBgNbd (Nelder–Mead then BFGS on log-parameters, mean score <= 1e-9).
 */
export function fitGammaGamma(
  frequency: Float64Array,
  meanSpend: Float64Array,
  options: {
    initial?: GammaGammaParams;
    /** customers above which the search runs on a binned copy first (COARSE_SEARCH_ABOVE) */
    coarseSearchAbove?: number;
  } = {},
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
  // Sorted by x so the likelihood evaluates each Γ/ψ term once per distinct purchase count.
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((i, j) => frequency[i] - frequency[j] || i - j);
  const ms = Float64Array.from(order, (i) => meanSpend[i]);
  const rows: SpendRows = {
    x: Float64Array.from(order, (i) => frequency[i]),
    m: ms,
    logM: ms.map(Math.log),
    weight: null,
  };
  const start = options.initial ?? { p: 1, q: 1, gamma: meanM };
  const unpack = (theta: Float64Array): GammaGammaParams => ({
    p: Math.exp(theta[0]),
    q: Math.exp(theta[1]),
    gamma: Math.exp(theta[2]),
  });
  const on = (r: SpendRows) => ({
    f: (theta: Float64Array): number => -gammaGammaLogLikelihoodWithLogs(unpack(theta), r) / n,
    grad: (theta: Float64Array, out: Float64Array): void => {
      gammaGammaLogGradient(unpack(theta), r, out);
      for (let k = 0; k < 3; k++) out[k] = -out[k] / n;
    },
  });
  const theta0 = Float64Array.from([start.p, start.q, start.gamma].map(Math.log));
  const coarse = n > (options.coarseSearchAbove ?? COARSE_SEARCH_ABOVE) ? on(binSpend(rows)) : null;
  const best = coarseThenExact(on(rows), coarse, theta0);
  const params = unpack(best.x);
  return {
    ...params,
    logLikelihood: gammaGammaLogLikelihoodWithLogs(params, rows),
    iterations: best.iterations,
    converged: best.converged,
    customers: n,
  };
}

/** Bins of log m̄ for the spend model's coarse copy: finer than the histories' grid, as cheap. */
const SPEND_BINS = 64;

/**
 * Repeat buyers binned by x (exact) and log m̄ (SPEND_BINS steps over its range), each cell one
 * weighted row at its customers' mean log m̄: the coarse copy the spend fit searches first.
 */
function binSpend(rows: SpendRows): SpendRows {
  const { x, logM } = rows;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logM.length; i++) {
    lo = Math.min(lo, logM[i]);
    hi = Math.max(hi, logM[i]);
  }
  const step = hi > lo ? (hi - lo) / SPEND_BINS : 1;
  const side = SPEND_BINS + 1;
  const cellOf = new Map<number, number>();
  const keys: number[] = [];
  const cx: number[] = [];
  const sumLog: number[] = [];
  const weight: number[] = [];
  let rank = -1;
  for (let i = 0; i < x.length; i++) {
    if (i === 0 || x[i] !== x[i - 1]) rank++;
    const key = rank * side + Math.round((logM[i] - lo) / step);
    let c = cellOf.get(key);
    if (c === undefined) {
      c = keys.length;
      cellOf.set(key, c);
      keys.push(key);
      cx.push(x[i]);
      sumLog.push(0);
      weight.push(0);
    }
    sumLog[c] += logM[i];
    weight[c] += 1;
  }
  const order = Array.from(keys.keys()).sort((u, v) => keys[u] - keys[v]);
  const logMean = Float64Array.from(order, (c) => sumLog[c] / weight[c]);
  return {
    x: Float64Array.from(order, (c) => cx[c]),
    m: logMean.map(Math.exp),
    logM: logMean,
    weight: Float64Array.from(order, (c) => weight[c]),
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
 * (default 0), stepsPerPeriod default 1; the horizon is rounded to whole steps. Cost: one E[Y(t)]
 * (≈ 2 µs) per step, or a single one when d = 0.
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
  // Without discounting the step sum telescopes: one 2F1 evaluation instead of one per step.
  if (d === 0) return totalSteps === 0 ? 0 : spend * expectedPurchases(bg, totalSteps * h, c.x, c.tx, c.T);
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

export interface ClvScores {
  /** E[Y(horizon) | x, t_x, T]: expected repeat purchases over the horizon. */
  expectedPurchases: Float64Array;
  probabilityAlive: Float64Array;
  /** Gamma-Gamma posterior mean value per purchase. */
  expectedAverageSpend: Float64Array;
  /** customerLifetimeValue with the same options. */
  clv: Float64Array;
}

/**
 * customerLifetimeValue and its ingredients for every customer of a shard, as typed arrays. Customers
 * whose summary is NaN (no purchase in the calibration period) get NaN throughout.
 */
export function scoreClv(
  bg: BgNbdParams,
  gg: GammaGammaParams,
  summary: { x: Float64Array; tx: Float64Array; T: Float64Array; meanSpend: Float64Array },
  options: { horizonPeriods: number; discountRatePerPeriod?: number; stepsPerPeriod?: number },
): ClvScores {
  const { x, tx, T, meanSpend } = summary;
  checkSummaries(x, tx, T);
  const n = x.length;
  if (meanSpend.length !== n) {
    throw new ClvInputError(`meanSpend has ${meanSpend.length} entries for ${n} customers.`);
  }
  const result: ClvScores = {
    expectedPurchases: new Float64Array(n),
    probabilityAlive: new Float64Array(n),
    expectedAverageSpend: new Float64Array(n),
    clv: new Float64Array(n),
  };
  const horizon = options.horizonPeriods;
  const customer = { x: 0, tx: 0, T: 0, meanSpend: 0 }; // reused: no per-row allocation
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(x[i]) || Number.isNaN(T[i])) {
      result.expectedPurchases[i] = Number.NaN;
      result.probabilityAlive[i] = Number.NaN;
      result.expectedAverageSpend[i] = Number.NaN;
      result.clv[i] = Number.NaN;
      continue;
    }
    customer.x = x[i];
    customer.tx = tx[i];
    customer.T = T[i];
    customer.meanSpend = meanSpend[i];
    result.expectedPurchases[i] = horizon > 0 ? expectedPurchases(bg, horizon, x[i], tx[i], T[i]) : 0;
    result.probabilityAlive[i] = probabilityAlive(bg, x[i], tx[i], T[i]);
    result.expectedAverageSpend[i] = expectedAverageSpend(gg, x[i], meanSpend[i]);
    result.clv[i] = customerLifetimeValue(bg, gg, customer, options);
  }
  return result;
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

/** True when the histories are distinct, ascending by (x, t_x, T), with a positive count each. */
function isHistogram(x: Float64Array, tx: Float64Array, T: Float64Array, counts: Float64Array): boolean {
  if (counts.length !== x.length) return false;
  for (let i = 0; i < x.length; i++) {
    if (!(counts[i] > 0 && Number.isInteger(counts[i]))) return false;
    const order = i > 0 ? x[i - 1] - x[i] || tx[i - 1] - tx[i] || T[i - 1] - T[i] : -1;
    if (!(order < 0)) return false;
  }
  return true;
}

function checkSummaries(x: Float64Array, tx: Float64Array, T: Float64Array): void {
  if (tx.length !== x.length || T.length !== x.length) {
    throw new ClvInputError(
      `x, tx and T must have one entry per customer (got ${x.length}, ${tx.length}, ${T.length}).`,
    );
  }
}

export { NumericalDomainError };
