// Propensity model: the Newton/IRLS fit must land on the optimum of the documented objective
// (Σ logloss + ½λ‖w‖², intercept free), checked against an independently coded gradient descent.

import { describe, expect, it } from 'vitest';
import { fitLogistic, LogisticInputError, predictProbability } from '../../../lib/models/logistic.js';
import { createRandom } from '../../../lib/util/random.js';

function syntheticData(n: number, d: number, seed: number) {
  const random = createRandom(seed);
  const X = new Float64Array(n * d);
  const y = new Uint8Array(n);
  const truth = Float64Array.from({ length: d }, (_, j) => (j % 2 === 0 ? 1 : -0.5) * (1 + j / d));
  for (let i = 0; i < n; i++) {
    let eta = -0.4;
    for (let j = 0; j < d; j++) {
      const v = random.normal();
      X[i * d + j] = v;
      eta += truth[j] * v;
    }
    y[i] = random.next() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
  }
  return { X, y };
}

/** Gradient of Σ sᵢ logloss + ½λ‖w‖², written out longhand: parameter 0 is the intercept. */
function objectiveGradient(
  X: Float64Array,
  y: ArrayLike<number>,
  n: number,
  d: number,
  theta: number[],
  l2: number,
  weights?: ArrayLike<number>,
): number[] {
  const g = new Array<number>(d + 1).fill(0);
  for (let i = 0; i < n; i++) {
    let eta = theta[0];
    for (let j = 0; j < d; j++) eta += X[i * d + j] * theta[j + 1];
    const r = (weights ? weights[i] : 1) * (1 / (1 + Math.exp(-eta)) - y[i]);
    g[0] += r;
    for (let j = 0; j < d; j++) g[j + 1] += r * X[i * d + j];
  }
  for (let j = 1; j <= d; j++) g[j] += l2 * theta[j];
  return g;
}

function gradientDescent(X: Float64Array, y: ArrayLike<number>, n: number, d: number, l2: number): number[] {
  // Step 1/L with L = ¼‖[1 X]‖²_F + λ, an upper bound on the Hessian's largest eigenvalue.
  let frob = n;
  for (const v of X) frob += v * v;
  const step = 1 / (0.25 * frob + l2);
  const theta = new Array<number>(d + 1).fill(0);
  for (let iter = 0; iter < 200_000; iter++) {
    const g = objectiveGradient(X, y, n, d, theta, l2);
    if (Math.max(...g.map(Math.abs)) < 1e-11) break;
    for (let j = 0; j <= d; j++) theta[j] -= step * g[j];
  }
  return theta;
}

describe('fitLogistic', () => {
  it('reaches a zero gradient of the penalised objective', () => {
    // Prepare
    const n = 2000;
    const d = 5;
    const { X, y } = syntheticData(n, d, 7);
    // Act
    const model = fitLogistic(X, y, n, d, { l2: 1 });
    // Assess
    expect(model.converged).toBe(true);
    expect(model.iterations).toBeLessThan(15);
    const g = objectiveGradient(X, y, n, d, [model.intercept, ...model.coefficients], 1);
    for (const v of g) expect(Math.abs(v)).toBeLessThan(1e-7);
    expect(model.logLoss).toBeGreaterThan(0);
    expect(model.logLoss).toBeLessThan(Math.log(2));
  });

  it('agrees with plain gradient descent to 1e-6 on small data', () => {
    // Prepare
    const n = 60;
    const d = 3;
    const { X, y } = syntheticData(n, d, 11);
    // Act
    const model = fitLogistic(X, y, n, d, { l2: 0.5 });
    const reference = gradientDescent(X, y, n, d, 0.5);
    // Assess
    expect(Math.abs(model.intercept - reference[0])).toBeLessThan(1e-6);
    for (let j = 0; j < d; j++) expect(Math.abs(model.coefficients[j] - reference[j + 1])).toBeLessThan(1e-6);
  });

  it('stays finite on perfectly separable data thanks to the L2 penalty', () => {
    // Prepare: y = 1 exactly when the single feature is positive.
    const n = 40;
    const X = Float64Array.from({ length: n }, (_, i) => i - 19.5);
    const y = Uint8Array.from(X, (v) => (v > 0 ? 1 : 0));
    // Act
    const model = fitLogistic(X, y, n, 1, { l2: 1 });
    // Assess
    expect(model.converged).toBe(true);
    expect(Number.isFinite(model.coefficients[0])).toBe(true);
    expect(model.coefficients[0]).toBeGreaterThan(0.5);
    expect(model.coefficients[0]).toBeLessThan(20);
    expect(Math.abs(model.intercept)).toBeLessThan(1e-8); // symmetric data
  });

  it('does not penalise the intercept: with no signal it is exactly the log-odds', () => {
    // Prepare: one all-zero feature, 30% positives.
    const n = 100;
    const X = new Float64Array(n);
    const y = Uint8Array.from({ length: n }, (_, i) => (i < 30 ? 1 : 0));
    // Act
    const model = fitLogistic(X, y, n, 1, { l2: 10 });
    // Assess
    expect(model.intercept).toBeCloseTo(Math.log(30 / 70), 12);
    expect(model.coefficients[0]).toBe(0);
  });

  it('integer sample weights equal duplicated rows', () => {
    // Prepare
    const n = 50;
    const d = 2;
    const { X, y } = syntheticData(n, d, 3);
    const weights = Float64Array.from({ length: n }, (_, i) => 1 + (i % 3));
    const rows: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < weights[i]; k++) {
        rows.push(X[i * d], X[i * d + 1]);
        labels.push(y[i]);
      }
    }
    // Act
    const weighted = fitLogistic(X, y, n, d, { weights });
    const duplicated = fitLogistic(Float64Array.from(rows), Uint8Array.from(labels), labels.length, d);
    // Assess
    expect(weighted.intercept).toBeCloseTo(duplicated.intercept, 10);
    expect(weighted.coefficients[0]).toBeCloseTo(duplicated.coefficients[0], 10);
    expect(weighted.coefficients[1]).toBeCloseTo(duplicated.coefficients[1], 10);
    expect(weighted.logLoss).toBeCloseTo(duplicated.logLoss, 10);
  });

  it('is deterministic and predictProbability applies the fitted model', () => {
    // Prepare
    const n = 300;
    const d = 4;
    const { X, y } = syntheticData(n, d, 5);
    // Act
    const first = fitLogistic(X, y, n, d);
    const second = fitLogistic(X, y, n, d);
    const out = new Float64Array(n);
    const probabilities = predictProbability(first, X, n, d, out);
    // Assess
    expect(second.coefficients).toEqual(first.coefficients);
    expect(probabilities).toBe(out);
    let loss = 0;
    for (let i = 0; i < n; i++) loss -= Math.log(y[i] === 1 ? out[i] : 1 - out[i]);
    expect(loss / n).toBeCloseTo(first.logLoss, 10);
  });

  it('gives the very bits the fit gave before its passes became top-level functions', () => {
    // Prepare: values printed by the previous implementation (closures over the fit's variables)
    const n = 2000;
    const { X, y } = syntheticData(n, 5, 23);
    const weights = Float64Array.from({ length: n }, (_, i) => 1 + (i % 3));
    // Act
    const plain = fitLogistic(X, y, n, 5, { l2: 0.5 });
    const weighted = fitLogistic(X, y, n, 5, { l2: 2, weights, tol: 1e-8 });
    // Assess
    expect([plain.intercept, ...plain.coefficients]).toEqual([
      -0.3892813175351442, 0.9550811053776727, -0.5188895843166765, 1.411176814762404, -0.7716435451015554,
      1.7160937250177513,
    ]);
    expect([plain.iterations, plain.logLoss]).toEqual([6, 0.3974717257620124]);
    expect([weighted.intercept, ...weighted.coefficients]).toEqual([
      -0.3921776612601714, 0.9414994736265955, -0.547890821058634, 1.353889123443541, -0.7233626046218404,
      1.6737015623349794,
    ]);
    expect([weighted.iterations, weighted.logLoss]).toEqual([6, 0.40329701116686933]);
  });

  it('rejects single-class labels and mismatched shapes with named errors', () => {
    // Act / Assess
    expect(() => fitLogistic(new Float64Array(4), new Uint8Array(4), 4, 1)).toThrow(LogisticInputError);
    expect(() => fitLogistic(new Float64Array(4), new Uint8Array(4).fill(1), 4, 1)).toThrow(/both buyers/);
    expect(() => fitLogistic(new Float64Array(3), Uint8Array.of(0, 1), 2, 2)).toThrow(/expected n×d/);
    expect(() =>
      predictProbability({ intercept: 0, coefficients: new Float64Array(2) }, new Float64Array(3), 1, 3),
    ).toThrow(/2 features/);
  });
});
