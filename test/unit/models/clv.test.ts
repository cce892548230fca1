// BG/NBD + Gamma-Gamma: the published CDNOW reference fit (Fader, Hardie & Lee 2005) must be reproduced
// to the printed precision, and the conditional expectations must agree with direct numerical
// integration of the model, which shares no code with the closed forms (no 2F1 anywhere).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type BgNbdParams,
  bgNbdLogLikelihood,
  ClvInputError,
  customerLifetimeValue,
  expectedAverageSpend,
  expectedPurchases,
  expectedPurchasesNewCustomer,
  fitBgNbd,
  fitGammaGamma,
  type GammaGammaParams,
  probabilityAlive,
  scoreClv,
  summariseTransactions,
} from '../../../lib/models/clv.js';
import { bfgs, digamma, hyp2f1, logGamma, nelderMead } from '../../../lib/models/special.js';
import { createRandom, type Random } from '../../../lib/util/random.js';
import { findCdnow } from '../../support/predictive.js';

const PAPER: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

function dayNumber(yyyymmdd: string): number {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  return Date.UTC(y, m - 1, d) / 86_400_000;
}

function loadCdnow() {
  const lines = readFileSync(findCdnow(), 'utf8').trim().split('\n');
  const n = lines.length;
  const customer = new Int32Array(n);
  const day = new Int32Array(n);
  const amount = new Float64Array(n);
  let customers = 0;
  for (let i = 0; i < n; i++) {
    const fields = lines[i].trim().split(/\s+/);
    customer[i] = Number(fields[1]) - 1;
    day[i] = dayNumber(fields[2]);
    amount[i] = Number(fields[4]);
    customers = Math.max(customers, customer[i] + 1);
  }
  return { customer, day, amount, customers };
}

/** ∫₀¹ f(p) dp with p = s^(1/a) (absorbs p^(a−1)) and s = (1 − cos πu)/2 (smooths both ends), midpoint rule. */
function integrateOverP(
  a: number,
  integrandTimesPPowOneMinusA: (p: number) => number,
  nodes = 40_000,
): number {
  let sum = 0;
  for (let i = 0; i < nodes; i++) {
    const u = (i + 0.5) / nodes;
    const s = (1 - Math.cos(Math.PI * u)) / 2;
    const ds = (Math.PI / 2) * Math.sin(Math.PI * u);
    const p = s ** (1 / a);
    // p^(a−1) dp = ds / a, so the integrand passed in is f(p) / p^(a−1).
    sum += (integrandTimesPPowOneMinusA(p) * ds) / a;
  }
  return sum / nodes;
}

/**
 * E[Y(t) | x, tx, T] and P(alive) by integrating the model directly: λ analytically (Gamma integrals),
 * p numerically, from the individual-level likelihood of the paper (eqs. 3–4).
 */
function bruteForce(p: BgNbdParams, t: number, x: number, tx: number, T: number) {
  const { r, alpha, a, b } = p;
  const k = r + x;
  const ratio = (alpha + T) / (alpha + tx);
  // Everything is scaled by (α+T)^k·Γ(r)/(Γ(r+x)α^r)·B(a,b), which cancels between numerator and denominator.
  const denominator = integrateOverP(a, (q) => {
    const alive = (1 - q) ** (b - 1 + x);
    const dropped = x > 0 ? q * (1 - q) ** (b - 1 + x - 1) * ratio ** k : 0;
    return alive + dropped;
  });
  const aliveMass = integrateOverP(a, (q) => (1 - q) ** (b - 1 + x));
  const numerator = integrateOverP(a, (q) => {
    // (1/q)·(1 − ((α+T)/(α+T+qt))^k): expected purchases of a live customer, averaged over λ.
    const gain = -Math.expm1(-k * Math.log1p((q * t) / (alpha + T)));
    return ((1 - q) ** (b - 1 + x) * gain) / q;
  });
  return { expected: numerator / denominator, alive: aliveMass / denominator };
}

/** Gamma(shape, 1) variate: Marsaglia–Tsang, with the u^(1/shape) boost for shape < 1. */
function gammaVariate(random: Random, shape: number): number {
  if (shape < 1) return gammaVariate(random, shape + 1) * random.next() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = random.normal();
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    if (Math.log(random.next()) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Customers simulated from the BG/NBD story itself: Poisson purchases, dropout after each repeat. */
function simulateBgNbd(p: BgNbdParams, customers: number, seed: number) {
  const random = createRandom(seed);
  const x = new Float64Array(customers);
  const tx = new Float64Array(customers);
  const T = new Float64Array(customers);
  for (let i = 0; i < customers; i++) {
    const lambda = gammaVariate(random, p.r) / p.alpha;
    const g = gammaVariate(random, p.a);
    const dropout = g / (g + gammaVariate(random, p.b));
    T[i] = 27 + 12 * random.next();
    let t = 0;
    for (;;) {
      t += -Math.log(1 - random.next()) / lambda;
      if (t > T[i]) break;
      x[i]++;
      tx[i] = t;
      if (random.next() < dropout) break;
    }
  }
  return { x, tx, T };
}

describe('CDNOW reference fit (Fader, Hardie & Lee 2005)', () => {
  // Prepare (shared): calibration ends 1997-09-30 inclusive, T measured to that day, weeks.
  const data = loadCdnow();
  const summary = summariseTransactions(data.customer, data.day, data.amount, {
    customers: data.customers,
    calibrationEndDay: dayNumber('19970930'),
    daysPerPeriod: 7,
  });

  it('summarises 2,357 customers with 2,457 repeat transactions and 946 repeat buyers', () => {
    // Act
    let repeats = 0;
    let repeaters = 0;
    for (const v of summary.x) {
      repeats += v;
      if (v > 0) repeaters++;
    }
    // Assess
    expect(summary.activeCustomers).toBe(2357);
    expect(repeats).toBe(2457);
    expect(repeaters).toBe(946);
    // Customer 0001 bought 1997-01-01, 01-18, 08-02 in calibration: x=2, tx=213/7, T=272/7.
    expect(summary.x[0]).toBe(2);
    expect(summary.tx[0]).toBeCloseTo(213 / 7, 12);
    expect(summary.T[0]).toBeCloseTo(272 / 7, 12);
    expect(summary.meanRepeatSpend[0]).toBeCloseTo((29.73 + 14.96) / 2, 12);
  });

  it('fits BG/NBD to r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4', () => {
    // Act
    const fit = fitBgNbd(summary.x, summary.tx, summary.T);
    // Assess
    expect(fit.converged).toBe(true);
    expect(fit.customers).toBe(2357);
    expect(fit.r.toFixed(3)).toBe('0.243');
    expect(fit.alpha.toFixed(3)).toBe('4.414');
    expect(fit.a.toFixed(3)).toBe('0.793');
    expect(fit.b.toFixed(3)).toBe('2.426');
    expect(fit.logLikelihood.toFixed(1)).toBe('-9582.4');
    // It is a maximum: the paper's rounded parameters are slightly worse, and so is any nudge.
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(
      bgNbdLogLikelihood(PAPER, summary.x, summary.tx, summary.T),
    );
    for (const key of ['r', 'alpha', 'a', 'b'] as const) {
      const nudged = { ...fit, [key]: fit[key] * 1.001 };
      expect(bgNbdLogLikelihood(nudged, summary.x, summary.tx, summary.T)).toBeLessThan(fit.logLikelihood);
    }
  });

  it('keeps every bit of the BG/NBD and Gamma-Gamma fits (below the coarse-search size, the path is unchanged)', () => {
    // Prepare
    const repeat = Array.from(summary.x.keys()).filter((i) => summary.x[i] > 0);
    // Act
    const bg = fitBgNbd(summary.x, summary.tx, summary.T);
    const gg = fitGammaGamma(
      Float64Array.from(repeat, (i) => summary.x[i]),
      Float64Array.from(repeat, (i) => summary.meanRepeatSpend[i]),
    );
    // Assess: the values the fit gave before the coarse search and the line-search floor existed
    expect([bg.r, bg.alpha, bg.a, bg.b, bg.logLikelihood]).toEqual([
      0.24259452247200602, 4.413602019449013, 0.792922017085596, 2.4259067762367166, -9582.42920667392,
    ]);
    expect([gg.p, gg.q, gg.gamma, gg.logLikelihood]).toEqual([
      6.2495722212246525, 3.7442246795878376, 15.44352116364438, -4055.917694801869,
    ]);
  });

  it('lands on the same optimum from a different starting point (deterministic, not start-dependent)', () => {
    // Act
    const fit = fitBgNbd(summary.x, summary.tx, summary.T, { initial: { r: 3, alpha: 0.5, a: 5, b: 0.3 } });
    // Assess
    expect(fit.r).toBeCloseTo(0.2426, 4);
    expect(fit.alpha).toBeCloseTo(4.4136, 3);
    expect(fit.a).toBeCloseTo(0.7929, 4);
    expect(fit.b).toBeCloseTo(2.4259, 3);
  });

  it('fits Gamma-Gamma on repeat buyers to p = 6.25, q = 3.74, gamma = 15.44', () => {
    // Prepare
    const frequency: number[] = [];
    const spend: number[] = [];
    for (let i = 0; i < summary.x.length; i++) {
      if (summary.x[i] > 0) {
        frequency.push(summary.x[i]);
        spend.push(summary.meanRepeatSpend[i]);
      }
    }
    // Act
    const fit = fitGammaGamma(Float64Array.from(frequency), Float64Array.from(spend));
    // Assess
    expect(fit.customers).toBe(946);
    expect(fit.converged).toBe(true);
    expect(fit.p.toFixed(2)).toBe('6.25');
    expect(fit.q.toFixed(2)).toBe('3.74');
    expect(fit.gamma.toFixed(2)).toBe('15.44');
  });

  it('a smaller penalizer-free subset still fits, and a penalizer shrinks the parameters', () => {
    // Prepare
    const n = 300;
    const x = summary.x.subarray(0, n);
    const tx = summary.tx.subarray(0, n);
    const T = summary.T.subarray(0, n);
    // Act
    const free = fitBgNbd(x, tx, T);
    const shrunk = fitBgNbd(x, tx, T, { penalizer: 0.1 });
    // Assess
    expect(free.converged).toBe(true);
    const size = (p: BgNbdParams) => p.r ** 2 + p.alpha ** 2 + p.a ** 2 + p.b ** 2;
    expect(size(shrunk)).toBeLessThan(size(free));
    expect(shrunk.logLikelihood).toBeLessThan(free.logLikelihood);
  });
});

describe('BG/NBD on simulated customers', () => {
  it('recovers the parameters it was simulated with (5,000 customers, seeded)', () => {
    // Prepare
    const { x, tx, T } = simulateBgNbd(PAPER, 5000, 21);
    // Act
    const fit = fitBgNbd(x, tx, T);
    // Assess: within sampling error (about ±5% for r and α, ±15% for a and b at this size).
    expect(fit.converged).toBe(true);
    expect(Math.abs(fit.r / PAPER.r - 1)).toBeLessThan(0.1);
    expect(Math.abs(fit.alpha / PAPER.alpha - 1)).toBeLessThan(0.15);
    expect(Math.abs(fit.a / PAPER.a - 1)).toBeLessThan(0.25);
    expect(Math.abs(fit.b / PAPER.b - 1)).toBeLessThan(0.25);
  });

  it('searches a binned copy of 5,000 distinct histories first and still lands on the exact optimum', () => {
    // Prepare: continuous t_x and T, so every history is distinct (above COARSE_SEARCH_ABOVE)
    const { x, tx, T } = simulateBgNbd(PAPER, 5000, 21);
    // Act
    const coarse = fitBgNbd(x, tx, T);
    const exactOnly = fitBgNbd(x, tx, T, { coarseSearchAbove: Number.POSITIVE_INFINITY });
    // Assess: both converged; the parameters agree far below the printed 5 decimals (3e-8 measured)
    expect(coarse.converged).toBe(true);
    expect(exactOnly.converged).toBe(true);
    for (const key of ['r', 'alpha', 'a', 'b'] as const)
      expect(Math.abs(coarse[key] / exactOnly[key] - 1)).toBeLessThan(1e-6);
    expect(Math.abs(coarse.logLikelihood - exactOnly.logLikelihood)).toBeLessThan(1e-8);
  });

  it('rejects impossible summaries with the customer and the fix named', () => {
    // Act / Assess
    expect(() => fitBgNbd(Float64Array.of(1, 2), Float64Array.of(5, 9), Float64Array.of(10, 8))).toThrow(
      /Customer #1 .*t_x <= T/,
    );
  });
});

describe('Gamma-Gamma on simulated repeat buyers', () => {
  it('searches a binned copy of 6,000 buyers first and still lands on the exact optimum', () => {
    // Prepare: per-customer mean spend of x Gamma(6, ν) purchases, ν ~ Gamma(3.7, 15)
    const random = createRandom(8);
    const n = 6000;
    const frequency = new Float64Array(n);
    const meanSpend = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const nu = gammaVariate(random, 3.7) / 15;
      frequency[i] = 1 + Math.floor(random.next() * 8);
      let total = 0;
      for (let k = 0; k < frequency[i]; k++) total += gammaVariate(random, 6) / nu;
      meanSpend[i] = total / frequency[i];
    }
    // Act
    const coarse = fitGammaGamma(frequency, meanSpend);
    const exactOnly = fitGammaGamma(frequency, meanSpend, { coarseSearchAbove: Number.POSITIVE_INFINITY });
    // Assess: near the simulated p = 6, q = 3.7, γ = 15, and the two agree to 1e-6 (9e-8 measured)
    expect(coarse.converged).toBe(true);
    expect(exactOnly.converged).toBe(true);
    expect(Math.abs(coarse.p / 6 - 1)).toBeLessThan(0.1);
    for (const key of ['p', 'q', 'gamma'] as const)
      expect(Math.abs(coarse[key] / exactOnly[key] - 1)).toBeLessThan(1e-6);
    expect(Math.abs(coarse.logLikelihood - exactOnly.logLikelihood)).toBeLessThan(1e-8);
  });
});

describe('summariseTransactions', () => {
  it('merges same-day purchases, ignores purchases after the calibration end, and measures T to that day', () => {
    // Prepare: customer 0 buys twice on day 0 and once on day 14; customer 1 buys on day 7 and day 40
    // (after the end), customer 2 only after the end.
    const customer = Int32Array.of(0, 0, 1, 0, 1, 2);
    const day = Int32Array.of(0, 0, 7, 14, 40, 30);
    const amount = Float64Array.of(10, 5, 20, 8, 99, 1);
    // Act
    const s = summariseTransactions(customer, day, amount, { customers: 3, calibrationEndDay: 28 });
    // Assess
    expect(s.activeCustomers).toBe(2);
    expect([s.x[0], s.tx[0], s.T[0], s.meanRepeatSpend[0]]).toEqual([1, 2, 4, 8]);
    expect([s.x[1], s.tx[1], s.T[1], s.meanRepeatSpend[1]]).toEqual([0, 0, 3, 0]);
    expect(s.x[2]).toBeNaN();
  });
});

describe('BG/NBD conditional expectations', () => {
  it('reproduces the published E[Y(39)] = 1.226 for x = 2, tx = 30.43, T = 38.86', () => {
    // Act
    const value = expectedPurchases(PAPER, 39, 2, 30.43, 38.86);
    // Assess
    expect(value).toBeCloseTo(1.226, 3);
  });

  it.each([
    { t: 39, x: 2, tx: 30.43, T: 38.86 },
    { t: 39, x: 0, tx: 0, T: 38.86 },
    { t: 10, x: 7, tx: 35, T: 36 },
    { t: 52, x: 5, tx: 8, T: 38 },
    { t: 1, x: 1, tx: 2, T: 30 },
    // Long horizons put z = t/(α+T+t) above 0.9, exercising the 1−z transformation of 2F1.
    { t: 2000, x: 0, tx: 0, T: 32 },
    { t: 800, x: 3, tx: 20, T: 39 },
    { t: 5000, x: 40, tx: 38, T: 39 },
  ])('matches direct numerical integration for t=$t, x=$x, tx=$tx, T=$T', ({ t, x, tx, T }) => {
    // Act
    const closed = expectedPurchases(PAPER, t, x, tx, T);
    const alive = probabilityAlive(PAPER, x, tx, T);
    const brute = bruteForce(PAPER, t, x, tx, T);
    // Assess
    expect(Math.abs(closed - brute.expected) / brute.expected).toBeLessThan(1e-6);
    expect(Math.abs(alive - brute.alive)).toBeLessThan(1e-8);
  });

  it('matches numerical integration when a > 1 (finite lifetime purchases) and near a = 1', () => {
    // Prepare
    const finite: BgNbdParams = { r: 1.4, alpha: 9, a: 2.5, b: 6 };
    const nearOne: BgNbdParams = { r: 0.5, alpha: 3, a: 1 + 3e-7, b: 2 };
    // Act
    const e1 = expectedPurchases(finite, 100, 4, 20, 30);
    const e2 = expectedPurchases(nearOne, 26, 3, 10, 30);
    // Assess
    const b1 = bruteForce(finite, 100, 4, 20, 30).expected;
    const b2 = bruteForce(nearOne, 26, 3, 10, 30).expected;
    expect(Math.abs(e1 - b1) / b1).toBeLessThan(1e-6);
    expect(Math.abs(e2 - b2) / b2).toBeLessThan(1e-6);
    // The same integral by mpmath.quad at 25 digits (the midpoint rule above is good to ~1e-8).
    expect(e1).toBeCloseTo(2.186638419143009, 12);
  });

  it.each([
    // Reference: eq. 10 evaluated literally (original 2F1, no transformations) by mpmath at 60 digits.
    {
      p: { r: 0.5, alpha: 3, a: 1.0000001, b: 2 },
      t: 0.05,
      x: 3,
      tx: 10,
      T: 30,
      ref: 0.000705226822374498,
    },
    { p: { r: 0.5, alpha: 3, a: 1.0000001, b: 2 }, t: 5000, x: 3, tx: 25, T: 30, ref: 16.02223946040097 },
    { p: { r: 0.3, alpha: 2, a: 0.4, b: 0.6000002 }, t: 20, x: 0, tx: 0, T: 25, ref: 0.190995409943056 },
    { p: { r: 0.3, alpha: 2, a: 0.4, b: 0.6000002 }, t: 3000, x: 0, tx: 0, T: 25, ref: 6.6275446279537 },
    { p: PAPER, t: 20000, x: 1000, tx: 38.9, T: 39, ref: 12292.5585875674 },
    { p: PAPER, t: 0.001, x: 2, tx: 30.43, T: 38.86, ref: 3.766017595015737e-5 },
  ])(
    'is accurate near its removable singularities and extremes (a=$p.a, b=$p.b, t=$t, x=$x)',
    ({ p, t, x, tx, T, ref }) => {
      // Act
      const value = expectedPurchases(p, t, x, tx, T);
      // Assess
      expect(Math.abs(value - ref) / ref).toBeLessThan(1e-9);
    },
  );

  it('P(alive) is exactly 1 with no repeat purchase and falls as the customer goes quiet', () => {
    // Act
    const never = probabilityAlive(PAPER, 0, 0, 38);
    const recent = probabilityAlive(PAPER, 4, 37, 38);
    const quiet = probabilityAlive(PAPER, 4, 5, 38);
    // Assess
    expect(never).toBe(1);
    expect(recent).toBeGreaterThan(quiet);
    expect(quiet).toBeGreaterThan(0);
    expect(recent).toBeLessThan(1);
  });

  it('stays finite for very frequent buyers (no overflow in Γ or 2F1)', () => {
    // Act
    const value = expectedPurchases(PAPER, 52, 400, 38.5, 39);
    // Assess: ~9 purchases a week, but with a per-purchase dropout risk that compounds over a year;
    // the reference is the defining integral evaluated by mpmath.quad at 25 digits.
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeCloseTo(284.705758343953, 8);
    const brute = bruteForce(PAPER, 52, 400, 38.5, 39).expected;
    expect(Math.abs(value - brute) / brute).toBeLessThan(1e-6);
  });

  it('population curve E[X(t)] agrees with numerical integration', () => {
    // Prepare
    const { r, alpha, a, b } = PAPER;
    const t = 78;
    const betaAB = Math.exp(logGamma(a) + logGamma(b) - logGamma(a + b));
    const brute =
      integrateOverP(a, (q) => ((1 - q) ** (b - 1) * -Math.expm1(-r * Math.log1p((q * t) / alpha))) / q) /
      betaAB;
    // Act
    const value = expectedPurchasesNewCustomer(PAPER, t);
    // Assess
    expect(Math.abs(value - brute) / brute).toBeLessThan(1e-6);
  });
});

describe('Gamma-Gamma spend and CLV', () => {
  const gg: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };

  it('expected spend is the credibility-weighted mean of population and customer means', () => {
    // Act
    const none = expectedAverageSpend(gg, 0, 0);
    const many = expectedAverageSpend(gg, 1000, 50);
    const two = expectedAverageSpend(gg, 2, 30);
    // Assess
    const population = (gg.p * gg.gamma) / (gg.q - 1);
    expect(none).toBeCloseTo(population, 12);
    expect(many).toBeCloseTo(50, 0);
    const weight = (gg.p * 2) / (gg.p * 2 + gg.q - 1);
    expect(two).toBeCloseTo(weight * 30 + (1 - weight) * population, 12);
  });

  it('undiscounted CLV telescopes to spend × E[Y(horizon)]; discounting lowers it by the step sum', () => {
    // Prepare
    const c = { x: 2, tx: 30.43, T: 38.86, meanSpend: 30 };
    const spend = expectedAverageSpend(gg, c.x, c.meanSpend);
    // Act
    const flat = customerLifetimeValue(PAPER, gg, c, { horizonPeriods: 52 });
    const discounted = customerLifetimeValue(PAPER, gg, c, {
      horizonPeriods: 52,
      discountRatePerPeriod: 0.01,
      stepsPerPeriod: 2,
    });
    // Assess
    expect(flat).toBeCloseTo(spend * expectedPurchases(PAPER, 52, c.x, c.tx, c.T), 10);
    let manual = 0;
    for (let k = 1; k <= 104; k++) {
      const delta =
        expectedPurchases(PAPER, k / 2, c.x, c.tx, c.T) -
        expectedPurchases(PAPER, (k - 1) / 2, c.x, c.tx, c.T);
      manual += delta / 1.01 ** (k / 2);
    }
    expect(discounted).toBeCloseTo(spend * manual, 10);
    expect(discounted).toBeLessThan(flat);
  });

  it('scoreClv returns the per-customer pieces as typed arrays, NaN for customers without history', () => {
    // Prepare
    const summary = {
      x: Float64Array.of(2, 0, Number.NaN),
      tx: Float64Array.of(30.43, 0, Number.NaN),
      T: Float64Array.of(38.86, 20, Number.NaN),
      meanSpend: Float64Array.of(30, 0, 0),
    };
    const options = { horizonPeriods: 26, discountRatePerPeriod: 0.002 };
    // Act
    const scores = scoreClv(PAPER, gg, summary, options);
    // Assess
    expect(scores.expectedPurchases[0]).toBeCloseTo(expectedPurchases(PAPER, 26, 2, 30.43, 38.86), 14);
    expect(scores.probabilityAlive[1]).toBe(1);
    expect(scores.expectedAverageSpend[1]).toBeCloseTo(expectedAverageSpend(gg, 0, 0), 14);
    expect(scores.clv[0]).toBeCloseTo(
      customerLifetimeValue(PAPER, gg, { x: 2, tx: 30.43, T: 38.86, meanSpend: 30 }, options),
      12,
    );
    expect(scores.clv[2]).toBeNaN();
  });

  it('rejects inputs a marketer must fix, with named errors', () => {
    // Act / Assess
    expect(() => fitGammaGamma(Float64Array.of(1, 0), Float64Array.of(10, 10))).toThrow(ClvInputError);
    expect(() => fitGammaGamma(Float64Array.of(1, 2), Float64Array.of(10, -1))).toThrow(
      /positive mean spend/,
    );
    expect(() => fitBgNbd(Float64Array.of(0, 0), Float64Array.of(0, 0), Float64Array.of(3, 4))).toThrow(
      /every customer bought once/,
    );
    expect(() => fitBgNbd(Float64Array.of(1, 0), Float64Array.of(0), Float64Array.of(3, 4))).toThrow(
      ClvInputError,
    );
    expect(() => expectedAverageSpend({ p: 1, q: 0.9, gamma: 1 }, 1, 1)).toThrow(/unbounded/);
  });
});

describe('special functions', () => {
  it.each([
    // Reference values from mpmath.hyp2f1 at 30 digits.
    { a: 0.45, b: -0.207, c: 50.2, z: -3, expected: 1.0053931700799088 },
    { a: 0.2, b: 0.3, c: 0.500001, z: 0.99, expected: 1.58041848107014 },
    { a: 2, b: 3, c: 6, z: 0.99, expected: 8.5177093789183 },
    { a: 0.7, b: 0.9, c: 1.6, z: 0.99999, expected: 7.944544137792013 },
  ])('hyp2f1($a, $b; $c; $z) matches mpmath', ({ a, b, c, z, expected }) => {
    // Act / Assess
    expect(Math.abs(hyp2f1(a, b, c, z) - expected) / Math.abs(expected)).toBeLessThan(1e-9);
  });

  it('hyp2f1 has the closed forms it should: 2F1(1,1;2;z) = −ln(1−z)/z', () => {
    for (const z of [-5, -0.3, 0.2, 0.7, 0.95, 0.9999]) {
      const exact = -Math.log1p(-z) / z;
      expect(Math.abs(hyp2f1(1, 1, 2, z) - exact) / exact).toBeLessThan(1e-9);
    }
  });

  it('Nelder–Mead and BFGS both find the Rosenbrock minimum at (1, 1) and say they converged', () => {
    // Prepare
    const f = (v: Float64Array) => 100 * (v[1] - v[0] ** 2) ** 2 + (1 - v[0]) ** 2;
    const grad = (v: Float64Array, out: Float64Array) => {
      out[0] = -400 * v[0] * (v[1] - v[0] ** 2) - 2 * (1 - v[0]);
      out[1] = 200 * (v[1] - v[0] ** 2);
    };
    // Act
    const simplex = nelderMead(f, Float64Array.of(-1.2, 1), { fTol: 1e-14, xTol: 1e-9 });
    const quasiNewton = bfgs(f, grad, Float64Array.of(-1.2, 1), { gradTol: 1e-10 });
    // Assess
    expect(simplex.converged).toBe(true);
    expect(simplex.x[0]).toBeCloseTo(1, 6);
    expect(simplex.x[1]).toBeCloseTo(1, 6);
    expect(quasiNewton.converged).toBe(true);
    expect(quasiNewton.x[0]).toBeCloseTo(1, 8);
    expect(quasiNewton.x[1]).toBeCloseTo(1, 8);
  });

  it('logGamma and digamma match known values', () => {
    // Assess
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    expect(logGamma(10)).toBeCloseTo(Math.log(362_880), 12);
    expect(logGamma(171.5)).toBeCloseTo(709.143163030928, 9);
    expect(logGamma(-1.5)).toBeCloseTo(Math.log((4 * Math.sqrt(Math.PI)) / 3), 13);
    expect(digamma(1)).toBeCloseTo(-0.5772156649015329, 13);
    expect(digamma(0.5)).toBeCloseTo(-0.5772156649015329 - 2 * Math.LN2, 13);
  });
});
