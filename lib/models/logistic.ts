// L2-regularised logistic regression for propensity scores ("will this customer buy / churn in the next
// W days"), fitted by Newton's method (IRLS) with a Cholesky solve on the (d+1)×(d+1) system. Pure and
// deterministic; the data matrix is row-major Float64Array n×d.

/** A fit that cannot proceed, e.g. all outcome labels identical. */
export class LogisticInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogisticInputError';
  }
}

export interface LogisticModel {
  intercept: number;
  coefficients: Float64Array;
  iterations: number;
  converged: boolean;
  /** Mean (sample-weighted) log-loss on the training data, without the penalty term. */
  logLoss: number;
}

export interface LogisticOptions {
  /**
   * L2 strength λ: the objective is Σᵢ sᵢ·logloss(i) + ½·λ·‖w‖², intercept not penalised. λ = 1/C in
   * scikit-learn's convention, so the default 1.0 equals LogisticRegression(C=1). Must be >= 0; with 0
   * and separable data the optimum does not exist and the fit stops unconverged at maxIter.
   */
  l2?: number;
  /** Newton iterations, default 100 (typically 5–10 are used). */
  maxIter?: number;
  /**
   * Converged when the largest gradient component is at most tol·max(1, Σ sᵢ), i.e. the mean
   * per-sample score is at most tol. Default 1e-10.
   */
  tol?: number;
  /** Non-negative sample weights sᵢ (default all 1); an integer weight equals duplicating the row. */
  weights?: Float64Array;
}

/** log(1 + e^η) without overflow. */
function softplus(eta: number): number {
  return eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
}

function sigmoid(eta: number): number {
  if (eta >= 0) return 1 / (1 + Math.exp(-eta));
  const e = Math.exp(eta);
  return e / (1 + e);
}

/**
 * Fit by damped Newton: each step solves H·δ = −g (H the exact Hessian of the penalised objective plus,
 * only if Cholesky fails, a small diagonal jitter) and backtracks until the objective decreases (Armijo).
 * Starting point: coefficients 0, intercept at the weighted log-odds of the labels.
 */
export function fitLogistic(
  X: Float64Array,
  y: Uint8Array | Float64Array,
  n: number,
  d: number,
  options: LogisticOptions = {},
): LogisticModel {
  const l2 = options.l2 ?? 1.0;
  const maxIter = options.maxIter ?? 100;
  const tol = options.tol ?? 1e-10;
  const weights = options.weights;
  if (X.length !== n * d) throw new LogisticInputError(`X has ${X.length} values, expected n×d = ${n * d}.`);
  if (y.length !== n) throw new LogisticInputError(`y has ${y.length} labels, expected ${n}.`);
  if (weights && weights.length !== n) {
    throw new LogisticInputError(`weights has ${weights.length} entries, expected ${n}.`);
  }
  if (!(l2 >= 0)) throw new LogisticInputError(`l2 must be >= 0, got ${l2}.`);
  let totalWeight = 0;
  let positiveWeight = 0;
  for (let i = 0; i < n; i++) {
    const s = weights ? weights[i] : 1;
    if (!(s >= 0)) throw new LogisticInputError(`weights[${i}] = ${s}; sample weights must be >= 0.`);
    if (y[i] !== 0 && y[i] !== 1) throw new LogisticInputError(`y[${i}] = ${y[i]}; labels must be 0 or 1.`);
    totalWeight += s;
    positiveWeight += s * y[i];
  }
  if (positiveWeight === 0 || positiveWeight === totalWeight) {
    throw new LogisticInputError(
      `All ${n} outcome labels are ${positiveWeight === 0 ? 0 : 1}; a propensity model needs both buyers and non-buyers in the training window. Widen the window or check the outcome mapping.`,
    );
  }
  const m = d + 1; // parameter 0 is the intercept
  const theta = new Float64Array(m);
  theta[0] = Math.log(positiveWeight / (totalWeight - positiveWeight));
  const eta = new Float64Array(n);
  const gradient = new Float64Array(m);
  const hessian = new Float64Array(m * m);
  const step = new Float64Array(m);
  const trial = new Float64Array(m);
  const gradTol = tol * Math.max(1, totalWeight);

  const objective = (params: Float64Array): number => logisticObjective(X, y, weights, params, n, d, l2);

  let value = objective(theta);
  let iterations = 0;
  let converged = false;
  for (;;) {
    // Gradient and Hessian at theta.
    accumulate(X, y, weights, theta, n, d, eta, gradient, hessian);
    for (let j = 1; j < m; j++) {
      gradient[j] += l2 * theta[j];
      hessian[j * m + j] += l2;
      hessian[j * m] = hessian[j]; // mirror row 0 into column 0
    }
    for (let j = 1; j < m; j++) for (let k = j + 1; k < m; k++) hessian[j * m + k] = hessian[k * m + j];
    let gMax = 0;
    for (let j = 0; j < m; j++) gMax = Math.max(gMax, Math.abs(gradient[j]));
    if (gMax <= gradTol) {
      converged = true;
      break;
    }
    if (iterations >= maxIter) break;
    iterations++;
    for (let j = 0; j < m; j++) step[j] = -gradient[j];
    solveSymmetricPositiveDefinite(hessian, step, m);
    let slope = 0;
    for (let j = 0; j < m; j++) slope += step[j] * gradient[j];
    let size = 1;
    let improved = false;
    for (let attempt = 0; attempt < 50; attempt++) {
      for (let j = 0; j < m; j++) trial[j] = theta[j] + size * step[j];
      const trialValue = objective(trial);
      if (trialValue <= value + 1e-4 * size * slope) {
        theta.set(trial);
        value = trialValue;
        improved = true;
        break;
      }
      size *= 0.5;
    }
    // No decrease possible: we are at the floating-point floor of the objective.
    if (!improved) break;
  }

  let loss = 0;
  for (let i = 0; i < n; i++) {
    const s = weights ? weights[i] : 1;
    if (s !== 0) loss += s * (softplus(eta[i]) - y[i] * eta[i]);
  }
  return {
    intercept: theta[0],
    coefficients: theta.slice(1),
    iterations,
    converged,
    logLoss: loss / totalWeight,
  };
}

// The two passes over the rows are top-level functions of their arguments, not closures over the
// fit's variables: V8 then keeps n, d and the arrays in registers in the inner loops (about half the
// fit's time at 50k rows × 13 features). The arithmetic, and so every bit of the result, is unchanged.

/** The penalised objective Σᵢ sᵢ·logloss(i) + ½·λ·‖w‖² at params. */
function logisticObjective(
  X: Float64Array,
  y: Uint8Array | Float64Array,
  weights: Float64Array | undefined,
  params: Float64Array,
  n: number,
  d: number,
  l2: number,
): number {
  const m = d + 1;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let e = params[0];
    const row = i * d;
    for (let j = 0; j < d; j++) e += X[row + j] * params[j + 1];
    const s = weights ? weights[i] : 1;
    if (s !== 0) total += s * (softplus(e) - y[i] * e);
  }
  let penalty = 0;
  for (let j = 1; j < m; j++) penalty += params[j] * params[j];
  return total + 0.5 * l2 * penalty;
}

/** η per row, and the unpenalised gradient and lower-triangle Hessian (row 0 full) at theta. */
function accumulate(
  X: Float64Array,
  y: Uint8Array | Float64Array,
  weights: Float64Array | undefined,
  theta: Float64Array,
  n: number,
  d: number,
  eta: Float64Array,
  gradient: Float64Array,
  hessian: Float64Array,
): void {
  const m = d + 1;
  gradient.fill(0);
  hessian.fill(0);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    let e = theta[0];
    for (let j = 0; j < d; j++) e += X[row + j] * theta[j + 1];
    eta[i] = e;
    const s = weights ? weights[i] : 1;
    if (s === 0) continue;
    const p = sigmoid(e);
    const residual = s * (p - y[i]);
    const curvature = s * p * (1 - p);
    gradient[0] += residual;
    hessian[0] += curvature;
    for (let j = 0; j < d; j++) {
      const xj = X[row + j];
      gradient[j + 1] += residual * xj;
      const cx = curvature * xj;
      hessian[j + 1] += cx; // row 0, column j+1
      const hessianRow = (j + 1) * m + 1;
      for (let k = 0; k <= j; k++) hessian[hessianRow + k] += cx * X[row + k];
    }
  }
}

/** P(y = 1 | x) for each row of X (row-major n×d), written into out if given. */
export function predictProbability(
  model: Pick<LogisticModel, 'intercept' | 'coefficients'>,
  X: Float64Array,
  n: number,
  d: number,
  out?: Float64Array,
): Float64Array {
  if (model.coefficients.length !== d) {
    throw new LogisticInputError(
      `The model has ${model.coefficients.length} features but the data has ${d}.`,
    );
  }
  if (X.length !== n * d) throw new LogisticInputError(`X has ${X.length} values, expected n×d = ${n * d}.`);
  const result = out ?? new Float64Array(n);
  const w = model.coefficients;
  for (let i = 0; i < n; i++) {
    let e = model.intercept;
    const row = i * d;
    for (let j = 0; j < d; j++) e += X[row + j] * w[j];
    result[i] = sigmoid(e);
  }
  return result;
}

/**
 * Solves A·x = b in place (b becomes x) for symmetric positive definite A (row-major m×m), by Cholesky.
 * A is copied, not modified. If A is numerically not positive definite (e.g. constant feature columns
 * with l2 = 0), a growing diagonal jitter is added so the Newton step stays a descent direction.
 */
export function solveSymmetricPositiveDefinite(A: Float64Array, b: Float64Array, m: number): void {
  const L = new Float64Array(m * m);
  let scale = 0;
  for (let i = 0; i < m; i++) scale = Math.max(scale, Math.abs(A[i * m + i]));
  let jitter = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    if (choleskyInto(A, L, m, jitter)) {
      // Forward then back substitution.
      for (let i = 0; i < m; i++) {
        let sum = b[i];
        for (let k = 0; k < i; k++) sum -= L[i * m + k] * b[k];
        b[i] = sum / L[i * m + i];
      }
      for (let i = m - 1; i >= 0; i--) {
        let sum = b[i];
        for (let k = i + 1; k < m; k++) sum -= L[k * m + i] * b[k];
        b[i] = sum / L[i * m + i];
      }
      return;
    }
    jitter = jitter === 0 ? 1e-12 * Math.max(scale, 1) : jitter * 10;
  }
  throw new LogisticInputError('The feature matrix is degenerate (contains NaN or infinite values?).');
}

function choleskyInto(A: Float64Array, L: Float64Array, m: number, jitter: number): boolean {
  L.fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = A[i * m + j] + (i === j ? jitter : 0);
      for (let k = 0; k < j; k++) sum -= L[i * m + k] * L[j * m + k];
      if (i === j) {
        if (!(sum > 0)) return false;
        L[i * m + i] = Math.sqrt(sum);
      } else {
        L[i * m + j] = sum / L[j * m + j];
      }
    }
  }
  return true;
}
