/** The few statistics a report needs. Non-finite inputs are the caller's business: filter them first. */

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Standard deviation with `ddof` degrees of freedom removed (1: sample sd over seeds; 0: population sd). */
export function standardDeviation(xs: readonly number[], ddof: 0 | 1 = 1): number {
  if (xs.length - ddof <= 0) return Number.NaN;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (xs.length - ddof));
}

/** Quantile with linear interpolation between order statistics (numpy's default, R type 7). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * z-scores of `xs` over their own mean and population sd (scipy.stats.zscore, ddof 0).
 * When all values are equal (sd 0) every z is 0.
 */
export function zScores(xs: readonly number[]): number[] {
  const m = mean(xs);
  const sd = standardDeviation(xs, 0);
  return xs.map((x) => (sd > 0 ? (x - m) / sd : 0));
}

export interface Summary {
  n: number;
  mean: number;
  /** Sample sd (ddof 1); NaN for a single value. */
  sd: number;
  min: number;
  max: number;
}

export function summarize(xs: readonly number[]): Summary {
  return {
    n: xs.length,
    mean: mean(xs),
    sd: standardDeviation(xs, 1),
    min: xs.length ? Math.min(...xs) : Number.NaN,
    max: xs.length ? Math.max(...xs) : Number.NaN,
  };
}

export interface BoxStats {
  n: number;
  median: number;
  q1: number;
  q3: number;
  iqr: number;
  min: number;
  max: number;
  /** Tukey whiskers: the most extreme values within 1.5 IQR of the box. */
  whiskerLow: number;
  whiskerHigh: number;
}

export function boxStats(xs: readonly number[]): BoxStats {
  const q1 = quantile(xs, 0.25);
  const q3 = quantile(xs, 0.75);
  const iqr = q3 - q1;
  const inside = xs.filter((x) => x >= q1 - 1.5 * iqr && x <= q3 + 1.5 * iqr);
  return {
    n: xs.length,
    median: quantile(xs, 0.5),
    q1,
    q3,
    iqr,
    min: xs.length ? Math.min(...xs) : Number.NaN,
    max: xs.length ? Math.max(...xs) : Number.NaN,
    whiskerLow: inside.length ? Math.min(...inside) : Number.NaN,
    whiskerHigh: inside.length ? Math.max(...inside) : Number.NaN,
  };
}
