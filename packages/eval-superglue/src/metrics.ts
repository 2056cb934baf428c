/**
 * Classification metrics as scikit-learn 1.6 computes them (`accuracy_score`, `f1_score(average='binary',
 * pos_label=1)`, `matthews_corrcoef`), written out so each can be checked by hand.
 */
import type { MetricName } from './tasks.js';

function checkLengths(labels: number[], predictions: number[]): void {
  if (labels.length !== predictions.length) {
    throw new Error(`metrics: ${labels.length} labels but ${predictions.length} predictions`);
  }
  if (labels.length === 0) throw new Error('metrics: no examples');
}

export function accuracy(labels: number[], predictions: number[]): number {
  checkLengths(labels, predictions);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predictions[i]) correct++;
  return correct / labels.length;
}

/** F1 of the positive class 1: 2·TP / (2·TP + FP + FN); 0 when there is no positive at all (sklearn's
 *  `zero_division` default). */
export function f1Binary(labels: number[], predictions: number[]): number {
  checkLengths(labels, predictions);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const gold = labels[i] === 1;
    const pred = predictions[i] === 1;
    if (gold && pred) tp++;
    else if (pred) fp++;
    else if (gold) fn++;
  }
  const denominator = 2 * tp + fp + fn;
  return denominator === 0 ? 0 : (2 * tp) / denominator;
}

/** Matthews correlation (multi-class form, as sklearn): from the confusion matrix C with row sums t (gold) and
 *  column sums p (predicted), (c·s − t·p) / sqrt((s² − p·p)(s² − t·t)), where c = trace and s = sample count;
 *  0 when either variance term is 0. */
export function matthewsCorrelation(labels: number[], predictions: number[]): number {
  checkLengths(labels, predictions);
  const goldCount = new Map<number, number>();
  const predCount = new Map<number, number>();
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    goldCount.set(labels[i]!, (goldCount.get(labels[i]!) ?? 0) + 1);
    predCount.set(predictions[i]!, (predCount.get(predictions[i]!) ?? 0) + 1);
    if (labels[i] === predictions[i]) correct++;
  }
  const n = labels.length;
  let goldDotPred = 0;
  for (const [label, t] of goldCount) goldDotPred += t * (predCount.get(label) ?? 0);
  const sumSquares = (m: Map<number, number>) => [...m.values()].reduce((acc, v) => acc + v * v, 0);
  const covGoldPred = correct * n - goldDotPred;
  const covPredPred = n * n - sumSquares(predCount);
  const covGoldGold = n * n - sumSquares(goldCount);
  if (covPredPred * covGoldGold === 0) return 0;
  return covGoldPred / Math.sqrt(covGoldGold * covPredPred);
}

export const METRICS: Record<MetricName, (labels: number[], predictions: number[]) => number> = {
  accuracy,
  f1: f1Binary,
  mcc: matthewsCorrelation,
};

export function computeMetrics(names: MetricName[], labels: number[], predictions: number[]): Partial<Record<MetricName, number>> {
  const out: Partial<Record<MetricName, number>> = {};
  for (const name of names) out[name] = METRICS[name](labels, predictions);
  return out;
}
