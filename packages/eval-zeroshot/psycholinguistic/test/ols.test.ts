import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitOls } from '../src/ols.js';
import { studentTTwoSidedP } from '../src/stats.js';
import { pythonWith, runPython } from './python.js';

describe('Student-t p-values', () => {
  it.each([
    [2.0, 10, 0.07338803477074037],
    [0.5, 1689, 0.6171402108643375],
    [-3.7, 1680, 0.00022254439479827025],
    [12.0, 1500, 9.587704100824518e-32],
    [1.96, 30, 0.05934231289605049],
  ])('t=%s df=%s matches scipy', (t, df, p) => {
    expect(Math.abs(studentTTwoSidedP(t, df) - p) / p).toBeLessThan(1e-9);
  });
});

/** Deterministic synthetic regression with badly scaled, correlated columns (like interaction terms). */
function synthetic(n: number) {
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const a = Array.from({ length: n }, () => 10 + 5 * rand());
  const b = Array.from({ length: n }, () => Math.round(1 + 10 * (rand() + 0.5)));
  const c = Array.from({ length: n }, () => 3 * rand());
  const X = [a, b, c, a.map((v, i) => v * b[i]!), a.map((v, i) => v * c[i]!), b.map((v, i) => v * c[i]!)];
  const y = a.map((_, i) => 200 + 3 * a[i]! - 2 * b[i]! + 0.5 * X[3]![i]! + 40 * rand());
  return { y, X };
}

describe('fitOls', () => {
  it('recovers an exact linear relation', () => {
    const x1 = [1, 2, 3, 4, 5, 6];
    const x2 = [2, 1, 4, 3, 6, 7];
    const y = x1.map((v, i) => 1.5 + 2 * v - 0.5 * x2[i]!);
    const fit = fitOls(y, [x1, x2]);
    fit.params.forEach((p, i) => expect(p).toBeCloseTo([1.5, 2, -0.5][i]!, 10));
    expect(fit.rsquared).toBeCloseTo(1, 12);
  });

  it('rejects collinear predictors', () => {
    expect(() => fitOls([1, 2, 3, 4, 5], [[1, 2, 3, 4, 5], [2, 4, 6, 8, 10]])).toThrow(/linear combination/);
  });

  const python = pythonWith(['statsmodels', 'numpy'], 'OLS vs statsmodels');
  it.skipIf(!python)('agrees with statsmodels OLS (R², params, t, p, AIC)', () => {
    const { y, X } = synthetic(500);
    const ours = fitOls(y, X);
    const ref = runPython(python!, path.join(__dirname, 'py', 'ols_statsmodels.py'), [], JSON.stringify({ y, X })) as {
      rsquared: number; params: number[]; tvalues: number[]; pvalues: number[]; aic: number;
    };
    expect(ours.rsquared).toBeCloseTo(ref.rsquared, 12);
    ours.params.forEach((p, i) => expect(Math.abs(p - ref.params[i]!) / Math.max(1, Math.abs(ref.params[i]!))).toBeLessThan(1e-9));
    ours.tvalues.forEach((t, i) => expect(t).toBeCloseTo(ref.tvalues[i]!, 8));
    ours.pvalues.forEach((p, i) => expect(Math.abs(p - ref.pvalues[i]!)).toBeLessThan(1e-10));
    expect(ours.aic).toBeCloseTo(ref.aic, 8);
  });
});
