/**
 * oneDNN's fused kernels on the native engine (src/engine/native-fused.ts): with the patched binding (revision 2)
 * both pass their probe; `layerNorm` and `linear` (x·W + b, and GPT-2's GELU of it) then give the op-by-op formulas'
 * values within float32 rounding, follow a weight that changes, and step aside under a gradient tape (the gradient
 * is the hand-written one, not a missing one). Skipped loudly without the native engine (`npm run setup:native`).
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { gelu, layerNorm, linear, matMul } from '../src/engine/ops.js';
import { nativeFusedOps } from '../src/engine/native-fused.js';
import { nativeBackend } from '../src/engine/native.js';
import { nativeEngine } from './native-engine.js';
import { plainGelu, plainLayerNorm } from './formulas.js';

const native = await nativeEngine();
const patched = native && Number((nativeBackend().binding as unknown as { CLASS_IT_PATCH?: number }).CLASS_IT_PATCH) >= 2;
if (!patched) console.warn('SKIPPED native-fused tests: no native TensorFlow backend with the patched binding (npm run setup:native)');

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe.skipIf(!patched)('oneDNN fused kernels on the native engine', () => {
  const x = tf.randomNormal([37, 48], 0, 1.5, 'float32', 1) as tf.Tensor2D;
  const w = tf.randomNormal([48, 96], 0, 0.2, 'float32', 2) as tf.Tensor2D;
  const b = tf.randomNormal([96], 0, 0.5, 'float32', 3) as tf.Tensor1D;
  const gain = tf.randomUniform([48], 0.5, 1.5, 'float32', 4) as tf.Tensor1D;
  const shift = tf.randomNormal([48], 0, 0.1, 'float32', 5) as tf.Tensor1D;

  it('both pass the probe and give the formulas within float32 rounding', () => {
    tf.tidy(() => {
      expect(maxDiff(layerNorm(x, gain, shift, 1e-5), plainLayerNorm(x, gain, shift, 1e-5))).toBeLessThan(1e-5);
      expect(nativeFusedOps()).toEqual({ layerNorm: true, linear: true });
      const affine = tf.add(tf.matMul(x, w), b);
      expect(maxDiff(linear(x, w, b), affine)).toBeLessThan(1e-5);
      expect(maxDiff(linear(x, w, b, 'gelu_new'), plainGelu(affine))).toBeLessThan(1e-5);
      // a 3-D input is normalised over its last axis too
      const x3 = tf.reshape(x, [1, 37, 48]);
      expect(maxDiff(tf.reshape(layerNorm(x3, gain, shift, 1e-5), [37, 48]), plainLayerNorm(x, gain, shift, 1e-5))).toBeLessThan(1e-5);
    });
  });

  it('reads the weights of every call (no stale copy of a changed variable)', () => {
    const weight = tf.variable(w);
    tf.tidy(() => {
      const before = linear(x, weight as tf.Tensor2D, b, 'gelu_new');
      weight.assign(tf.mul(w, -0.5) as tf.Tensor2D);
      const after = linear(x, weight as tf.Tensor2D, b, 'gelu_new');
      expect(maxDiff(after, plainGelu(tf.add(tf.matMul(x, tf.mul(w, -0.5)), b)))).toBeLessThan(1e-5);
      expect(maxDiff(after, before)).toBeGreaterThan(0.1);
    });
    weight.dispose();
  });

  it('steps aside under a gradient tape: the gradients are the hand-written ones', () => {
    tf.tidy(() => {
      const loss = (input: tf.Tensor) => tf.sum(tf.mul(linear(layerNorm(input as tf.Tensor2D, gain, shift, 1e-5), w, b, 'gelu_new'), 0.1));
      const reference = (input: tf.Tensor) => tf.sum(tf.mul(gelu(tf.add(matMul(plainLayerNorm(input as tf.Tensor2D, gain, shift, 1e-5) as tf.Tensor2D, w), b)), 0.1));
      const dx = tf.grad(loss)(x);
      expect(maxDiff(dx, tf.grad(reference)(x))).toBeLessThan(1e-4);
      expect(tf.max(tf.abs(dx)).dataSync()[0]).toBeGreaterThan(1e-3);
    });
  });

  it('leaves no tensor behind', () => {
    linear(x, w, b, 'gelu_new').dispose(); // warm
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      tf.tidy(() => {
        linear(layerNorm(x, gain, shift, 1e-5), w, b, 'gelu_new');
      });
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
