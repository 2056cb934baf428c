/** Pearson's correlation coefficient in float64, as numpy/scipy/pandas compute it (the zero-shot metrics build on it:
 *  wugs' Spearman ρ of ranks, the reading tasks' correlations). */

/** Pearson's r of two equally long samples: NaN when shorter than 2 or when either side is constant; clamped to
 *  [-1, 1] against rounding. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n !== y.length) throw new Error(`pearson: lengths differ (${n} vs ${y.length})`);
  if (n < 2) return NaN;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}
