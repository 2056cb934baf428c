/** Spearman's ρ as scipy.stats.spearmanr computes it: Pearson correlation of average ranks (ties share the
 *  mean of their positions). NaN when either side is constant or shorter than 2. */
import { pearson } from '@class-it/eval-zeroshot-shared';

/** scipy.stats.rankdata(x, method='average'): ranks 1..n, ties get the mean rank. */
export function averageRanks(values: number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && order[end]![0] === order[start]![0]) end++;
    const rank = (start + 1 + end) / 2; // mean of positions start+1 .. end
    for (let k = start; k < end; k++) ranks[order[k]![1]] = rank;
    start = end;
  }
  return ranks;
}

export function spearman(x: number[], y: number[]): number {
  if (x.some(Number.isNaN) || y.some(Number.isNaN)) return NaN;
  return pearson(averageRanks(x), averageRanks(y));
}
