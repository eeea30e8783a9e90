/**
 * Standard normal distribution, accurate to double precision. p-values are reported as p-values,
 * so the tails must stay accurate where `1 - cdf` would cancel: the upper tail is computed
 * directly, never as a difference.
 *
 * The CDF is W. J. Cody's rational Chebyshev approximation (ACM TOMS Algorithm 715, 1993), the
 * algorithm R's `pnorm` runs, with the same coefficients and range split; that is also what pROC's
 * p-values go through, so ours agree with it to rounding.
 */

// Coefficients kept digit for digit as published, so they can be checked against Cody (1993) and
// R's pnorm.c; the nearest double is what runs.
/* eslint-disable no-loss-of-precision */
const A = [2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582, 18154.981253343561249, 0.065682337918207449113];
const B = [47.20258190468824187, 976.09855173777669322, 10260.932208618978205, 45507.789335026729956];
const C = [
  0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979, 597.27027639480026226, 2494.5375852903726711,
  6848.1904505362823326, 11602.651437647350124, 9842.7148383839780218, 1.0765576773720192317e-8,
];
const D = [
  22.266688044328115691, 235.38790178262499861, 1519.377599407554805, 6485.558298266760755, 18615.571640885098091,
  34900.952721145977266, 38912.003286093271411, 19685.429676859990727,
];
const P = [0.21589853405795699, 0.1274011611602473639, 0.022235277870649807, 0.001421619193227893466, 2.9112874951168792e-5, 0.02307344176494017303];
const Q = [1.28426009614491121, 0.468238212480865118, 0.0659881378689285515, 0.00378239633202758244, 7.29751555083966205e-5];
const ONE_OVER_SQRT_2PI = 0.398942280401432677939946059934;
const SQRT_32 = 5.656854249492380195206754896838;
/* eslint-enable no-loss-of-precision */

/** Both tails at once: lower = P[X <= x], upper = P[X > x]. */
function normalTails(x: number): { lower: number; upper: number } {
  if (Number.isNaN(x)) return { lower: NaN, upper: NaN };
  const y = Math.abs(x);
  if (y <= 0.67448975) {
    let xnum = 0;
    let xden = 0;
    if (y > 1.1102230246251565e-16) {
      const xsq = x * x;
      xnum = A[4] * xsq;
      xden = xsq;
      for (let i = 0; i < 3; i++) {
        xnum = (xnum + A[i]) * xsq;
        xden = (xden + B[i]) * xsq;
      }
    }
    const temp = (x * (xnum + A[3])) / (xden + B[3]);
    return { lower: 0.5 + temp, upper: 0.5 - temp };
  }
  let smallTail: number;
  if (y <= SQRT_32) {
    let xnum = C[8] * y;
    let xden = y;
    for (let i = 0; i < 7; i++) {
      xnum = (xnum + C[i]) * y;
      xden = (xden + D[i]) * y;
    }
    smallTail = gaussianFactor(y) * ((xnum + C[7]) / (xden + D[7]));
  } else if (y < 38.5) {
    const xsq = 1 / (x * x);
    let xnum = P[5] * xsq;
    let xden = xsq;
    for (let i = 0; i < 4; i++) {
      xnum = (xnum + P[i]) * xsq;
      xden = (xden + Q[i]) * xsq;
    }
    const temp = (xsq * (xnum + P[4])) / (xden + Q[4]);
    smallTail = gaussianFactor(y) * ((ONE_OVER_SQRT_2PI - temp) / y);
  } else {
    smallTail = 0;
  }
  return x > 0 ? { lower: 1 - smallTail, upper: smallTail } : { lower: smallTail, upper: 1 - smallTail };
}

/** exp(-y^2/2) split as Cody does, so that y^2 loses no bits for large y. */
function gaussianFactor(y: number): number {
  const ySq = Math.trunc(y * 16) / 16;
  const del = (y - ySq) * (y + ySq);
  return Math.exp(-ySq * ySq * 0.5) * Math.exp(-del * 0.5);
}

/** P[Z <= x] for a standard normal Z. */
export function normalCdf(x: number): number {
  return normalTails(x).lower;
}

/** P[Z > x], accurate in the far upper tail. */
export function normalSurvival(x: number): number {
  return normalTails(x).upper;
}

/** Two-sided p-value of a z statistic: P[|Z| >= |z|]. z = +-Infinity gives 0; z = NaN gives NaN. */
export function twoSidedPValue(z: number): number {
  return Math.min(1, 2 * normalTails(-Math.abs(z)).lower);
}

export function normalDensity(x: number): number {
  return ONE_OVER_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/**
 * Inverse CDF. A coarse start (Acklam's rational approximation, ~1e-9 relative) refined by Halley
 * steps on the accurate CDF above, working on the smaller tail so that no precision cancels.
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  const upper = p > 0.5;
  const tail = upper ? 1 - p : p;
  let x = acklamLowerTail(tail);
  for (let i = 0; i < 3; i++) {
    const err = normalCdf(x) - tail;
    const u = err / normalDensity(x);
    const step = u / (1 + 0.5 * x * u);
    x -= step;
    if (Math.abs(step) <= 1e-16 * Math.max(1, Math.abs(x))) break;
  }
  return upper ? -x : x;
}

const ACKLAM_A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const ACKLAM_B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const ACKLAM_C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** Acklam's approximation for p <= 0.5 (returns x <= 0). */
function acklamLowerTail(p: number): number {
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((ACKLAM_C[0] * q + ACKLAM_C[1]) * q + ACKLAM_C[2]) * q + ACKLAM_C[3]) * q + ACKLAM_C[4]) * q + ACKLAM_C[5]) /
      ((((ACKLAM_D[0] * q + ACKLAM_D[1]) * q + ACKLAM_D[2]) * q + ACKLAM_D[3]) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((ACKLAM_A[0] * r + ACKLAM_A[1]) * r + ACKLAM_A[2]) * r + ACKLAM_A[3]) * r + ACKLAM_A[4]) * r + ACKLAM_A[5]) * q) /
    (((((ACKLAM_B[0] * r + ACKLAM_B[1]) * r + ACKLAM_B[2]) * r + ACKLAM_B[3]) * r + ACKLAM_B[4]) * r + 1)
  );
}
