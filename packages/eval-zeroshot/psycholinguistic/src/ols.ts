/**
 * Ordinary least squares with an intercept, in float64, as statsmodels' `smf.ols(...).fit()` reports it:
 * R² = 1 − SSR/SST (centred), coefficients, t-values, two-sided p-values, AIC. Numerically careful: the
 * predictors are centred (which absorbs the intercept) and scaled to unit norm, then solved by a Householder
 * QR decomposition — no normal equations.
 */
import { studentTTwoSidedP } from './stats.js';

export interface OlsFit {
  nobs: number;
  /** Intercept first, then one coefficient per predictor column. */
  params: number[];
  /** t-values of the predictor columns (the intercept's is not computed). */
  tvalues: number[];
  pvalues: number[];
  ssr: number;
  centeredTss: number;
  rsquared: number;
  dfResid: number;
  llf: number;
  aic: number;
}

export function fitOls(y: number[], columns: number[][]): OlsFit {
  const n = y.length;
  const p = columns.length;
  if (n <= p + 1) throw new Error(`OLS: ${n} rows are too few for ${p} predictors and an intercept`);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const yMean = mean(y);
  const xMeans = columns.map(mean);
  // Centred, unit-norm columns (column-major) and the centred response.
  const scales: number[] = [];
  const a = columns.map((col, j) => {
    const c = Float64Array.from(col, (x) => x - xMeans[j]!);
    let norm = 0;
    for (let i = 0; i < n; i++) norm += c[i]! * c[i]!;
    norm = Math.sqrt(norm);
    if (!(norm > 0)) throw new Error(`OLS: predictor ${j} is constant`);
    scales.push(norm);
    for (let i = 0; i < n; i++) c[i]! /= norm;
    return c;
  });
  const qty = Float64Array.from(y, (v) => v - yMean);
  const centeredTss = qty.reduce((s, v) => s + v * v, 0);

  // Householder QR: after step j, column j holds R[0..j][j] above the diagonal.
  const rDiag = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const col = a[j]!;
    let norm = 0;
    for (let i = j; i < n; i++) norm += col[i]! * col[i]!;
    norm = Math.sqrt(norm);
    if (norm < 1e-12) throw new Error(`OLS: predictor ${j} is (numerically) a linear combination of the others`);
    const alpha = col[j]! > 0 ? -norm : norm;
    const v = new Float64Array(n - j);
    for (let i = j; i < n; i++) v[i - j] = col[i]!;
    v[0]! -= alpha;
    const vv = v.reduce((s, x) => s + x * x, 0);
    const reflect = (target: Float64Array) => {
      let dot = 0;
      for (let i = j; i < n; i++) dot += v[i - j]! * target[i]!;
      const f = (2 * dot) / vv;
      for (let i = j; i < n; i++) target[i]! -= f * v[i - j]!;
    };
    for (let k = j; k < p; k++) reflect(a[k]!);
    reflect(qty);
    rDiag[j] = a[j]![j]!;
  }
  const R = (i: number, j: number) => (i === j ? rDiag[i]! : a[j]![i]!);

  // Back substitution R b = (Qᵀy)[0..p).
  const b = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = qty[i]!;
    for (let k = i + 1; k < p; k++) s -= R(i, k) * b[k]!;
    b[i] = s / R(i, i);
  }
  let ssr = 0;
  for (let i = p; i < n; i++) ssr += qty[i]! * qty[i]!;

  // (RᵀR)⁻¹ = R⁻¹R⁻ᵀ for the standard errors.
  const rInv = Array.from({ length: p }, () => new Float64Array(p));
  for (let j = 0; j < p; j++) {
    rInv[j]![j] = 1 / R(j, j);
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += R(i, k) * rInv[k]![j]!;
      rInv[i]![j] = -s / R(i, i);
    }
  }
  const dfResid = n - p - 1;
  const scale = ssr / dfResid;
  const slopes = Array.from(b, (bj, j) => bj / scales[j]!);
  const tvalues = slopes.map((_, j) => {
    let v = 0;
    for (let k = j; k < p; k++) v += rInv[j]![k]! * rInv[j]![k]!;
    return b[j]! / Math.sqrt(scale * v);
  });
  const intercept = yMean - slopes.reduce((s, bj, j) => s + bj * xMeans[j]!, 0);
  const llf = -(n / 2) * Math.log(2 * Math.PI) - (n / 2) * Math.log(ssr / n) - n / 2;
  return {
    nobs: n,
    params: [intercept, ...slopes],
    tvalues,
    pvalues: tvalues.map((t) => studentTTwoSidedP(t, dfResid)),
    ssr,
    centeredTss,
    rsquared: 1 - ssr / centeredTss,
    dfResid,
    llf,
    aic: -2 * llf + 2 * (p + 1),
  };
}
