import { describe, expect, it } from 'vitest';
import { AccuracyTally } from '../src/accuracy.js';
import { argmaxFirst, candidateRequest, softmaxFloat32 } from '../src/ranking.js';
import { formatTemperatureReport, PredictionCollector } from '../src/reference-output.js';

describe('argmaxFirst', () => {
  it('breaks exact ties toward index 0 (the correct candidate), like torch.max', () => {
    expect(argmaxFirst([-3, -3])).toBe(0);
    expect(argmaxFirst([-3, -2, -2])).toBe(1);
    expect(argmaxFirst([-5, -4, -1, -1, -9])).toBe(2);
  });
});

describe('candidateRequest', () => {
  it('splits a sentence into context and completion', () => {
    expect(candidateRequest('Box 1 contains the key.', 'the key.')).toEqual({ context: 'Box 1 contains ', continuation: 'the key.' });
    expect(candidateRequest('Whole sentence.', 'Whole sentence.')).toEqual({ context: '', continuation: 'Whole sentence.' });
  });
  it('rejects a completion that is not a suffix', () => {
    expect(() => candidateRequest('abc', 'x')).toThrow(/not a suffix/);
  });
});

describe('softmaxFloat32', () => {
  it('gives 0.5 for a tie and sums to ~1', () => {
    expect(softmaxFloat32([-7, -7])[0]).toBe(0.5);
    const p = softmaxFloat32([-1, -2, -3]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-1) + Math.exp(-2)), 6);
  });
});

describe('AccuracyTally and the report', () => {
  it('tallies per key in first-appearance order and macro-averages over UID', () => {
    const t = new AccuracyTally();
    const md = (uid: string, field: string): Array<[string, string]> => [['field', field], ['UID', uid]];
    t.add(md('b', 'syntax'), true);
    t.add(md('a', 'syntax'), false);
    t.add(md('b', 'morphology'), false);
    t.add(md('a', 'syntax'), true);
    t.add(md('a', 'syntax'), true);
    const acc = t.accuracies();
    expect([...acc.keys()]).toEqual(['field', 'UID']);
    expect([...acc.get('UID')!]).toEqual([['b', 50], ['a', (100 * 2) / 3]]);
    expect(t.macroAverage()).toBeCloseTo((50 + 200 / 3) / 2, 12);
    expect(t.totals('UID')).toEqual({ b: 2, a: 3 });
    const text = formatTemperatureReport({ temperature: 1, metric: 'ACCURACY', blocks: acc, average: t.macroAverage() });
    expect(text).toBe(
      'TEMPERATURE: 1.00\n\n### FIELD ACCURACY\nsyntax: 75.00\nmorphology: 0.00\n\n### UID ACCURACY\nb: 50.00\na: 66.67\n\n### AVERAGE ACCURACY\n58.33\n\n',
    );
  });

  it('numbers predictions per UID', () => {
    const p = new PredictionCollector();
    p.add('x', 'A');
    p.add('y', 'B');
    p.add('x', 'C', { prob: 0.5 });
    expect(p.toJSON()).toEqual({
      x: { predictions: [{ id: 'x_0', pred: 'A' }, { id: 'x_1', pred: 'C', prob: 0.5 }] },
      y: { predictions: [{ id: 'y_0', pred: 'B' }] },
    });
  });
});
