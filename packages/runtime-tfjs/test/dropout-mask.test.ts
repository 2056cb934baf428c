import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { deriveIndexedSeed } from '@class-it/core';
import { initEngine, dropout } from '../src/engine/index.js';
import { dropoutMask } from '../src/engine/dropout-mask.js';

/** The dropout this replaced: tfjs's own uniform draw, >= rate, times 1 / (1 - rate). */
function tfjsMask(shape: number[], rate: number, seed: number): Float32Array {
  return tf.tidy(() => {
    const keep = tf.cast(tf.greaterEqual(tf.randomUniform(shape, 0, 1, 'float32', seed), rate), 'float32');
    return tf.mul(keep, 1 / (1 - rate)).dataSync() as Float32Array;
  });
}

describe('dropoutMask', () => {
  beforeAll(async () => {
    await initEngine('cpu');
  });

  it('is bit-identical to the mask drawn with tf.randomUniform, for any seed and rate', () => {
    const seeds = [0, 1, 42, 123456789, 4294967295, deriveIndexedSeed(7, 1_000_003), deriveIndexedSeed(deriveIndexedSeed(1, 5), 17)];
    for (const seed of seeds) {
      for (const rate of [0.1, 0.25, 1 / 3, 0.5, 0.9]) {
        const want = tfjsMask([3, 1000], rate, seed);
        const got = dropoutMask(3000, rate, seed);
        expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
      }
    }
  });

  it('keeps about 1 - rate of the elements, scaled by 1 / (1 - rate)', () => {
    const mask = dropoutMask(100_000, 0.1, 3);
    const kept = mask.filter((v) => v !== 0);
    expect(kept.length / mask.length).toBeGreaterThan(0.89);
    expect(kept.length / mask.length).toBeLessThan(0.91);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.9)]));
  });

  it('dropout gives the values and gradient of the tf.randomUniform formulation', () => {
    const x = tf.randomNormal([4, 64, 32], 0, 1, 'float32', 9);
    const old = (t: tf.Tensor) => tf.mul(t, tf.mul(tf.cast(tf.greaterEqual(tf.randomUniform(t.shape, 0, 1, 'float32', 11), 0.1), 'float32'), 1 / 0.9));
    const weight = tf.randomNormal(x.shape, 0, 1, 'float32', 10);
    const [want, wantGrad] = tf.tidy(() => [old(x).dataSync(), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(old(t), weight)))(x).dataSync()]);
    const [got, gotGrad] = tf.tidy(() => [
      dropout(x, 0.1, 11, true).dataSync(),
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(dropout(t, 0.1, 11, true), weight)))(x).dataSync(),
    ]);
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(Array.from(gotGrad)).toEqual(Array.from(wantGrad));
    tf.dispose([x, weight]);
  });
});
