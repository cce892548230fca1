// Special functions and small deterministic optimisers behind the predictive models (CLV, propensity):
// log-gamma, digamma, the Gauss hypergeometric function 2F1, Nelder–Mead and BFGS. Pure, no allocation
// on the per-call hot paths except the optimisers' few work vectors.

/** Thrown when an optimiser or special function is asked for something outside its domain. */
export class NumericalDomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NumericalDomainError';
  }
}

// Lanczos approximation, g = 7, n = 9 (the coefficients from Numerical Recipes 3rd ed. / Boost's
// "lanczos13m53" family are equivalent in accuracy here): about 1e-15 relative error on x >= 0.5.
const LANCZOS_G = 7;
const LANCZOS_COEF = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln|Γ(x)| for any real x that is not a non-positive integer (those return +Infinity).
 * Lanczos for x >= 0.5, Stirling's series for large x (where Lanczos' sum loses nothing but the
 * series is cheaper and exact to double precision), reflection for x < 0.5.
 */
export function logGamma(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0.5) {
    if (x === Math.floor(x)) return Number.POSITIVE_INFINITY;
    // Γ(x)Γ(1−x) = π / sin(πx)
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  if (x >= 15) {
    // Stirling with 5 correction terms: error below 1e-17 relative for x >= 15.
    const inv = 1 / x;
    const inv2 = inv * inv;
    const series =
      inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 * (1 / 1188)))));
    return (x - 0.5) * Math.log(x) - x + HALF_LOG_TWO_PI + series;
  }
  const xm1 = x - 1;
  let sum = LANCZOS_COEF[0];
  for (let i = 1; i < LANCZOS_G + 2; i++) sum += LANCZOS_COEF[i] / (xm1 + i);
  const t = xm1 + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (xm1 + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Sign of Γ(x): +1 for x > 0, alternating between the poles for x < 0. */
export function gammaSign(x: number): number {
  if (x > 0) return 1;
  if (x === Math.floor(x)) return Number.NaN;
  // Γ is negative on (−1, 0), positive on (−2, −1), …
  return Math.floor(x) % 2 === 0 ? 1 : -1;
}

/** ln B(a, b) = lnΓ(a) + lnΓ(b) − lnΓ(a + b) for a, b > 0. */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** Digamma ψ(x) = d/dx lnΓ(x): upward recurrence to x >= 10, then the asymptotic series. */
export function digamma(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) {
    if (x === Math.floor(x)) return Number.NaN;
    // ψ(1 − x) − ψ(x) = π cot(πx)
    return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x);
  }
  let result = 0;
  let y = x;
  while (y < 10) {
    result -= 1 / y;
    y += 1;
  }
  const inv = 1 / y;
  const inv2 = inv * inv;
  result +=
    Math.log(y) -
    0.5 * inv -
    inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132)))));
  return result;
}

/**
 * Gauss hypergeometric 2F1(a, b; c; z) for real parameters and real z < 1.
 *
 * Approach (documented because it decides accuracy and speed):
 * - z < 0: Pfaff's transformation 2F1(a,b;c;z) = (1−z)^(−a) 2F1(a, c−b; c; z/(z−1)) maps to [0, 1).
 * - 0 <= z <= 0.9: the defining power series, summed until a term is below 1e-16 of the running sum
 *   (terms decay at least like 0.9^n, so at most a few hundred terms for moderate parameters).
 * - z > 0.9: the series converges slowly (like z^n n^(a+b−c−1)), so we first try it with a budget of
 *   2,000 terms (enough whenever c is large against a and b, e.g. frequent buyers) and otherwise use the
 *   linear transformation to 1−z (Abramowitz & Stegun 15.3.6), whose two series converge like 0.1^n.
 *   That formula has poles when c−a−b is an integer; within 1e-3 of one we evaluate it at
 *   c−a−b = k ± 1e-3, k ± 2e-3 and interpolate (cubic) in c.
 * Measured against mpmath (30 digits): ~1e-15 relative for z <= 0.9, 1e-9 or better above (worst at
 * integer c−a−b with z = 0.99999).
 * Overflow is possible for extreme parameters (|a|, |b| in the thousands with z near 1); callers in this
 * package pass parameters where the result is of moderate size (see the BG/NBD expectation).
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  if (!(z < 1)) throw new NumericalDomainError(`hyp2f1 needs z < 1, got ${z}`);
  if (c <= 0 && c === Math.floor(c))
    throw new NumericalDomainError(`hyp2f1 needs c not in {0,−1,…}, got ${c}`);
  if (z === 0 || a === 0 || b === 0) return 1;
  if (z < 0) {
    const w = z / (z - 1);
    return (1 - z) ** -a * hyp2f1(a, c - b, c, w);
  }
  if (z <= 0.9) return hyp2f1Series(a, b, c, z, 100_000).value;
  const attempt = hyp2f1Series(a, b, c, z, 2_000);
  if (attempt.converged) return attempt.value;
  const m = c - a - b;
  const k = Math.round(m);
  const delta = 1e-3;
  if (Math.abs(m - k) < delta) {
    // Cubic Lagrange interpolation in c through c−a−b = k ± δ, k ± 2δ: error O(δ⁴) ≈ 1e-12 relative,
    // while each node is far enough from the pole that the cancelling Γ terms keep ~1e-12 accuracy.
    const nodes = [-2 * delta, -delta, delta, 2 * delta];
    const target = m - k;
    let value = 0;
    for (let i = 0; i < 4; i++) {
      let weight = 1;
      for (let j = 0; j < 4; j++) if (j !== i) weight *= (target - nodes[j]) / (nodes[i] - nodes[j]);
      value += weight * hyp2f1OneMinusZ(a, b, c + (k + nodes[i] - m), z);
    }
    return value;
  }
  return hyp2f1OneMinusZ(a, b, c, z);
}

interface SeriesResult {
  value: number;
  converged: boolean;
}

function hyp2f1Series(a: number, b: number, c: number, z: number, maxTerms: number): SeriesResult {
  let term = 1;
  let sum = 1;
  for (let n = 0; n < maxTerms; n++) {
    term *= ((a + n) * (b + n) * z) / ((c + n) * (n + 1));
    sum += term;
    // A terminating series (a or b a non-positive integer) hits an exact zero term.
    if (term === 0) return { value: sum, converged: true };
    // Stop on a negligible term only once terms are shrinking (next ratio < 1), not on an early dip.
    if (
      Math.abs(term) <= 1e-16 * Math.abs(sum) &&
      Math.abs((a + n + 1) * (b + n + 1) * z) < Math.abs((c + n + 1) * (n + 2))
    ) {
      return { value: sum, converged: true };
    }
    if (!Number.isFinite(sum)) return { value: sum, converged: false };
  }
  return { value: sum, converged: false };
}

// A&S 15.3.6, for 0.9 < z < 1 and c − a − b not an integer. Gamma ratios in log space with signs so
// that large c (frequent buyers) does not overflow.
function hyp2f1OneMinusZ(a: number, b: number, c: number, z: number): number {
  const w = 1 - z;
  const m = c - a - b;
  const t1 = gammaRatio([c, m], [c - a, c - b]);
  const t2 = gammaRatio([c, -m], [a, b]);
  const s1 = t1 === 0 ? 0 : t1 * hyp2f1Series(a, b, 1 - m, w, 100_000).value;
  const s2 = t2 === 0 ? 0 : t2 * w ** m * hyp2f1Series(c - a, c - b, m + 1, w, 100_000).value;
  return s1 + s2;
}

/** Π Γ(num_i) / Π Γ(den_i), 0 when a denominator argument is a pole (1/Γ = 0 there). */
function gammaRatio(num: readonly number[], den: readonly number[]): number {
  let logValue = 0;
  let sign = 1;
  for (const x of den) {
    if (x <= 0 && x === Math.floor(x)) return 0;
    logValue -= logGamma(x);
    sign *= gammaSign(x);
  }
  for (const x of num) {
    logValue += logGamma(x);
    sign *= gammaSign(x);
  }
  return sign * Math.exp(logValue);
}

// ---------------------------------------------------------------------------------------------------
// Optimisers. Both minimise; both are deterministic (no random restarts).

export interface MinimizeResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
  /** BFGS only: its final inverse Hessian approximation (row-major d×d), to warm-start another run */
  inverseHessian?: Float64Array;
}

export interface NelderMeadOptions {
  /** Edge length of the initial simplex around x0, per coordinate. Default 0.5 (log-parameters). */
  initialStep?: number;
  maxIterations?: number;
  /** Stop when (f_worst − f_best) <= fTol·(|f_best| + 1e-10) and the simplex diameter <= xTol. */
  fTol?: number;
  xTol?: number;
}

/**
 * Nelder–Mead with the standard coefficients (reflection 1, expansion 2, contraction 0.5, shrink 0.5).
 * Used as a robust first stage from crude starting points; BFGS polishes afterwards.
 * Converged when the spread of function values across the simplex is at most fTol relative to the best
 * value and the largest vertex distance from the best vertex is at most xTol.
 */
export function nelderMead(
  f: (x: Float64Array) => number,
  x0: Float64Array,
  options: NelderMeadOptions = {},
): MinimizeResult {
  const d = x0.length;
  const step = options.initialStep ?? 0.5;
  const maxIterations = options.maxIterations ?? 2000 * d;
  const fTol = options.fTol ?? 1e-12;
  const xTol = options.xTol ?? 1e-8;
  const simplex: Float64Array[] = [];
  const values = new Float64Array(d + 1);
  for (let i = 0; i <= d; i++) {
    const v = Float64Array.from(x0);
    if (i > 0) v[i - 1] += step;
    simplex.push(v);
    values[i] = safe(f(v));
  }
  const centroid = new Float64Array(d);
  const reflected = new Float64Array(d);
  const trial = new Float64Array(d);
  const order = new Int32Array(d + 1);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    for (let i = 0; i <= d; i++) order[i] = i;
    order.sort((i, j) => values[i] - values[j] || i - j);
    const best = order[0];
    const worst = order[d];
    const secondWorst = order[d - 1];
    const spread = values[worst] - values[best];
    let diameter = 0;
    for (let i = 0; i <= d; i++) {
      for (let k = 0; k < d; k++) diameter = Math.max(diameter, Math.abs(simplex[i][k] - simplex[best][k]));
    }
    if (spread <= fTol * (Math.abs(values[best]) + 1e-10) && diameter <= xTol) {
      converged = true;
      break;
    }
    iterations++;
    centroid.fill(0);
    for (let i = 0; i <= d; i++) {
      if (i === worst) continue;
      for (let k = 0; k < d; k++) centroid[k] += simplex[i][k] / d;
    }
    for (let k = 0; k < d; k++) reflected[k] = centroid[k] + (centroid[k] - simplex[worst][k]);
    const fr = safe(f(reflected));
    if (fr < values[best]) {
      for (let k = 0; k < d; k++) trial[k] = centroid[k] + 2 * (centroid[k] - simplex[worst][k]);
      const fe = safe(f(trial));
      if (fe < fr) accept(simplex[worst], trial, fe);
      else accept(simplex[worst], reflected, fr);
    } else if (fr < values[secondWorst]) {
      accept(simplex[worst], reflected, fr);
    } else {
      const outside = fr < values[worst];
      for (let k = 0; k < d; k++) {
        trial[k] = outside
          ? centroid[k] + 0.5 * (reflected[k] - centroid[k])
          : centroid[k] + 0.5 * (simplex[worst][k] - centroid[k]);
      }
      const fc = safe(f(trial));
      if (fc < (outside ? fr : values[worst])) {
        accept(simplex[worst], trial, fc);
      } else {
        for (let i = 0; i <= d; i++) {
          if (i === best) continue;
          for (let k = 0; k < d; k++)
            simplex[i][k] = simplex[best][k] + 0.5 * (simplex[i][k] - simplex[best][k]);
          values[i] = safe(f(simplex[i]));
        }
      }
    }
  }
  function accept(target: Float64Array, source: Float64Array, value: number): void {
    target.set(source);
    values[simplex.indexOf(target)] = value;
  }
  let bestIndex = 0;
  for (let i = 1; i <= d; i++) if (values[i] < values[bestIndex]) bestIndex = i;
  return { x: Float64Array.from(simplex[bestIndex]), value: values[bestIndex], iterations, converged };
}

export interface BfgsOptions {
  maxIterations?: number;
  /** Converged when the largest absolute gradient component is at most gradTol. */
  gradTol?: number;
  /**
   * Starting inverse Hessian (row-major d×d, e.g. a previous run's `inverseHessian` on a close
   * problem); default the identity.
   */
  initialInverseHessian?: Float64Array;
}

/** Line-search halvings BFGS tries once the gradient is within the objective's floating-point floor. */
const FLOOR_HALVINGS = 8;

/**
 * BFGS with a backtracking (Armijo) line search and an analytic gradient. Converged when
 * ‖∇f‖∞ <= gradTol, or when the line search cannot lower f any further while the gradient is already
 * within 1e3·gradTol (the floating-point floor of the objective has been reached). Within that floor
 * the line search gives up after FLOOR_HALVINGS halvings instead of 60: what it would still find there
 * are decreases of a few rounding errors of f (with 50k customers' terms summed, f's rounding noise
 * exceeds what a gradient of 1e-6 can gain), and each try costs a full evaluation.
 */
export function bfgs(
  f: (x: Float64Array) => number,
  grad: (x: Float64Array, out: Float64Array) => void,
  x0: Float64Array,
  options: BfgsOptions = {},
): MinimizeResult {
  const d = x0.length;
  const maxIterations = options.maxIterations ?? 500;
  const gradTol = options.gradTol ?? 1e-6;
  const x = Float64Array.from(x0);
  const g = new Float64Array(d);
  const gNew = new Float64Array(d);
  const xNew = new Float64Array(d);
  const direction = new Float64Array(d);
  const s = new Float64Array(d);
  const yv = new Float64Array(d);
  const hy = new Float64Array(d);
  // Inverse Hessian approximation, row-major d×d, starts at the identity.
  const H = new Float64Array(d * d);
  if (options.initialInverseHessian) H.set(options.initialInverseHessian);
  else for (let i = 0; i < d; i++) H[i * d + i] = 1;
  let value = f(x);
  grad(x, g);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    if (maxAbs(g) <= gradTol) {
      converged = true;
      break;
    }
    iterations++;
    for (let i = 0; i < d; i++) {
      let sum = 0;
      for (let j = 0; j < d; j++) sum -= H[i * d + j] * g[j];
      direction[i] = sum;
    }
    let slope = dot(direction, g);
    if (!(slope < 0)) {
      // Not a descent direction (H lost positive definiteness): restart from steepest descent.
      H.fill(0);
      for (let i = 0; i < d; i++) {
        H[i * d + i] = 1;
        direction[i] = -g[i];
      }
      slope = dot(direction, g);
    }
    let stepSize = 1;
    let newValue = Number.POSITIVE_INFINITY;
    const attempts = maxAbs(g) <= 1e3 * gradTol ? FLOOR_HALVINGS + 1 : 60;
    for (let attempt = 0; attempt < attempts; attempt++) {
      let moved = false;
      for (let i = 0; i < d; i++) {
        xNew[i] = x[i] + stepSize * direction[i];
        if (xNew[i] !== x[i]) moved = true;
      }
      if (!moved) {
        // the step no longer changes x in floating point, nor will any shorter one: f(x) is known,
        // and every further halving would end the same way (no decrease), so stop here
        newValue = value;
        break;
      }
      newValue = safe(f(xNew));
      if (newValue <= value + 1e-4 * stepSize * slope) break;
      stepSize *= 0.5;
    }
    if (!(newValue < value)) {
      converged = maxAbs(g) <= 1e3 * gradTol;
      break;
    }
    grad(xNew, gNew);
    for (let i = 0; i < d; i++) {
      s[i] = xNew[i] - x[i];
      yv[i] = gNew[i] - g[i];
    }
    const sy = dot(s, yv);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(yv, yv))) {
      // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ
      const rho = 1 / sy;
      for (let i = 0; i < d; i++) {
        let sum = 0;
        for (let j = 0; j < d; j++) sum += H[i * d + j] * yv[j];
        hy[i] = sum;
      }
      const yHy = dot(yv, hy);
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          H[i * d + j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yHy + rho) * s[i] * s[j];
        }
      }
    }
    x.set(xNew);
    g.set(gNew);
    value = newValue;
  }
  return { x, value, iterations, converged, inverseHessian: H };
}

function safe(v: number): number {
  return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
}

function dot(u: Float64Array, v: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < u.length; i++) sum += u[i] * v[i];
  return sum;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}
