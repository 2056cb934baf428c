import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { attentionBias, MASKED } from '../src/model/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('attentionBias (the one attention mask of every architecture)', () => {
  it('masks future, padding and other segments', () => {
    const bias = tf.tidy(() => attentionBias(1, 3, tf.tensor2d([[1, 1, 0]]), tf.tensor2d([[1, 2, 2]])).arraySync()[0]![0]!);
    expect(bias[0]).toEqual([0, MASKED, MASKED]);
    expect(bias[1]).toEqual([MASKED, 0, MASKED]);
    expect(bias[2]).toEqual([MASKED, 0, MASKED]);
    expect(MASKED).toBe(-1e9);
  });

  it('is causal only, [1, 1, T, T], without masks; per row [B, 1, T, T] with padding', () => {
    const causal = tf.tidy(() => attentionBias(2, 3));
    expect(causal.shape).toEqual([1, 1, 3, 3]);
    expect(causal.arraySync()[0]![0]).toEqual([[0, MASKED, MASKED], [0, 0, MASKED], [0, 0, 0]]);
    const padded = tf.tidy(() => attentionBias(2, 2, tf.tensor2d([[1, 1], [1, 0]])));
    expect(padded.shape).toEqual([2, 1, 2, 2]);
    expect(padded.arraySync()[1]![0]).toEqual([[0, MASKED], [0, MASKED]]);
    // allowed pairs add +0, so a score of -0 keeps its sign and softmax sees exactly the scores
    expect(Object.is(causal.dataSync()[0], 0)).toBe(true);
    tf.dispose([causal, padded]);
  });

  it('lets each branch of a shared-prefix row see the prefix and itself, never another branch', () => {
    // [prefix prefix | branch 1 | branch 2 branch 2], every branch's prefix segment 0
    const bias = tf.tidy(() => attentionBias(1, 5, undefined, tf.tensor2d([[0, 0, 1, 2, 2]], undefined, 'int32'),
      tf.tensor2d([[0, 0, 0, 0, 0]], undefined, 'int32')).arraySync()[0]![0]!);
    const M = MASKED;
    expect(bias).toEqual([
      [0, M, M, M, M],
      [0, 0, M, M, M],
      [0, 0, 0, M, M],
      [0, 0, M, 0, M],
      [0, 0, M, 0, 0],
    ]);
    expect(() => attentionBias(1, 2, undefined, undefined, tf.tensor2d([[0, 0]]))).toThrow(/needs segmentIds/);
  });
});
