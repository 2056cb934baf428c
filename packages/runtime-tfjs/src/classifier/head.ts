/**
 * The reference classification head (spec §9.2, `classifier_model.py`):
 *   LayerNorm(H, eps 1e-5, no affine) -> Linear(H, H) -> GELU (erf) -> LayerNorm(H, eps 1e-5, no affine)
 *   -> Dropout(p) -> Linear(H, numLabels)
 * with PyTorch's default Linear init: kaiming_uniform(a = sqrt 5) weights and uniform biases, both
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Weights are kept as [in, out] (x @ W); `exportTorch` gives torch's [out, in].
 */
import * as tf from '@tensorflow/tfjs-core';
import { deriveIndexedSeed } from '@class-it/core';
import { dropout, matMul } from '../engine/ops.js';

export const HEAD_PREFIX = 'classifier.';
const LN_EPS = 1e-5;

/** LayerNorm over the last axis without gain or bias (biased variance, as torch). */
export function layerNormNoAffine<T extends tf.Tensor>(x: T, epsilon = LN_EPS): T {
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const mean = tf.mean(x, axis, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.mul(centred, centred), axis, true);
    return tf.mul(centred, tf.rsqrt(tf.add(variance, epsilon))) as T;
  });
}

/** torch.nn.GELU() default: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)). */
export function geluErf<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as T);
}

export class ClassificationHead {
  readonly variables = new Map<string, tf.Variable>();

  constructor(readonly hiddenSize: number, readonly numLabels: number, seed: number, readonly dropoutRate: number) {
    const bound = 1 / Math.sqrt(hiddenSize); // fan_in is H for both linears
    const shapes: Array<[string, number[]]> = [
      ['dense.weight', [hiddenSize, hiddenSize]],
      ['dense.bias', [hiddenSize]],
      ['out_proj.weight', [hiddenSize, numLabels]],
      ['out_proj.bias', [numLabels]],
    ];
    shapes.forEach(([name, shape], i) => {
      const init = tf.randomUniform(shape, -bound, bound, 'float32', deriveIndexedSeed(seed, 7001 + i));
      this.variables.set(HEAD_PREFIX + name, tf.variable(init, true));
      init.dispose();
    });
  }

  private v(name: string): tf.Variable {
    return this.variables.get(HEAD_PREFIX + name)!;
  }

  /** pooled [B, H] -> logits [B, numLabels]. */
  apply(pooled: tf.Tensor2D, training: boolean, dropoutSeed?: number): tf.Tensor2D {
    return tf.tidy(() => {
      let x = layerNormNoAffine(pooled);
      x = tf.add(matMul(x, this.v('dense.weight')), this.v('dense.bias'));
      x = layerNormNoAffine(geluErf(x));
      x = dropout(x, this.dropoutRate, dropoutSeed, training);
      return tf.add(matMul(x, this.v('out_proj.weight')), this.v('out_proj.bias')) as tf.Tensor2D;
    });
  }

  /** Weights in torch layout (`classifier.dense.weight` [out, in], ...), for `classifier.safetensors`. */
  exportTorch(): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, v] of this.variables) {
      const t = v.rank === 2 ? tf.transpose(v) : v;
      out.set(name, { shape: [...t.shape], data: t.dataSync() as Float32Array });
      if (t !== v) t.dispose();
    }
    return out;
  }

  dispose(): void {
    tf.dispose([...this.variables.values()]);
    this.variables.clear();
  }
}
