import { describe, expect, it } from 'vitest';
import { accuracy, f1Binary, matthewsCorrelation, resultsTxt, predictionsJson } from '../src/index.js';

describe('metrics (hand-computed)', () => {
  // TP = 2 (0, 4), FN = 2 (1, 6), FP = 1 (3), TN = 3 (2, 5, 7)
  const labels = [1, 1, 0, 0, 1, 0, 1, 0];
  const preds = [1, 0, 0, 1, 1, 0, 0, 0];

  it('accuracy = correct / n', () => {
    expect(accuracy(labels, preds)).toBe(5 / 8);
  });

  it('binary F1 of class 1 = 2TP / (2TP + FP + FN)', () => {
    expect(f1Binary(labels, preds)).toBeCloseTo(4 / 7, 15);
    // precision 2/3, recall 2/4 -> harmonic mean 4/7
    const p = 2 / 3, r = 2 / 4;
    expect(f1Binary(labels, preds)).toBeCloseTo((2 * p * r) / (p + r), 15);
  });

  it('binary MCC = (TP·TN − FP·FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))', () => {
    expect(matthewsCorrelation(labels, preds)).toBeCloseTo((2 * 3 - 1 * 2) / Math.sqrt(3 * 4 * 4 * 5), 15);
    expect(matthewsCorrelation(labels, preds)).toBeCloseTo(0.2581988897471611, 14);
  });

  it('multi-class MCC (sklearn form)', () => {
    // t = [2,2,2], p = [3,1,2], correct = 3, n = 6 -> (18 - 12) / sqrt((36 - 12)(36 - 14))
    expect(matthewsCorrelation([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 2])).toBeCloseTo(6 / Math.sqrt(24 * 22), 15);
  });

  it('degenerate cases give 0 as sklearn does', () => {
    expect(f1Binary([0, 0, 0], [0, 0, 0])).toBe(0);
    expect(f1Binary([1, 1, 0], [0, 0, 0])).toBe(0);
    expect(matthewsCorrelation([1, 0, 1], [1, 1, 1])).toBe(0);
    expect(matthewsCorrelation([1, 0, 1, 0], [1, 0, 1, 0])).toBe(1);
    expect(matthewsCorrelation([1, 0, 1, 0], [0, 1, 0, 1])).toBe(-1);
  });

  it('rejects mismatched lengths', () => {
    expect(() => accuracy([1, 0], [1])).toThrow(/2 labels but 1 predictions/);
  });
});

describe('reference output files', () => {
  it('results.txt writes each value as Python str(float) (core pyFloatRepr)', () => {
    expect(resultsTxt({ accuracy: 1, f1: 87 / 139, mcc: 0.00001 }, ['accuracy', 'f1', 'mcc'])).toBe('accuracy: 1.0\nf1: 0.6258992805755396\nmcc: 1e-05\n');
    expect(resultsTxt({ mcc: NaN }, ['mcc'])).toBe('mcc: nan\n');
  });

  it('results.txt lists the metrics in order', () => {
    expect(resultsTxt({ accuracy: 0.75, f1: 0.5, mcc: 0 }, ['accuracy', 'f1', 'mcc'])).toBe('accuracy: 0.75\nf1: 0.5\nmcc: 0.0\n');
  });

  it('predictions.json has the reference layout', () => {
    expect(predictionsJson('rte', [1, 0])).toEqual({ rte: { predictions: [{ id: 'rte_0', pred: 1 }, { id: 'rte_1', pred: 0 }] } });
  });
});
