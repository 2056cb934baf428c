/**
 * AdamW with decoupled weight decay, as torch.optim.AdamW:
 *   p <- p * (1 - lr * wd)                      (not for biases and norms)
 *   m <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
 *   p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * plus gradient clipping by global norm. The moments are kept per parameter (keyed by the module's variable
 * names) where the engine runs the update fastest (adam-moments.ts: tfjs variables, or TensorFlow resource
 * variables and its fused Adam kernel on the native engine).
 */
import * as tf from '@tensorflow/tfjs-core';
import { isNativeEngine, nativeHalfSquaredNorm } from '../engine/native.js';
import { NativeAdamMoments, TfjsAdamMoments, type AdamMoments } from './adam-moments.js';

export interface AdamWSettings {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export class AdamW {
  private readonly moments: AdamMoments;
  /** Updates applied so far (the `t` of the bias corrections). */
  step = 0;

  constructor(
    private readonly params: Map<string, tf.Variable>,
    private readonly settings: AdamWSettings,
    private readonly decays: (name: string) => boolean,
  ) {
    this.moments = isNativeEngine() ? new NativeAdamMoments(params) : new TfjsAdamMoments(params);
  }

  /** Apply one update with gradients `grads` (keyed like the params) at learning rate `lr`. */
  apply(grads: Map<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.settings;
    const step = { lr, beta1, beta2, epsilon, t: this.step };
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue; // as torch: a parameter without a gradient is left alone (no decay, no moment update)
      const decayFactor = weightDecay > 0 && this.decays(name) ? 1 - lr * weightDecay : undefined;
      this.moments.update(name, p, g, decayFactor, step);
    }
  }

  /** Each parameter's moments, read back (for checkpoints), in parameter order. */
  exportMoments(): Map<string, { shape: number[]; m: Float32Array; v: Float32Array }> {
    return new Map([...this.params].map(([name, p]) => [name, { shape: [...p.shape], ...this.moments.read(name) }]));
  }

  /** Start the moments from zero again (a new stage with `optimizerBetweenStages: reset`). */
  reset(): void {
    this.moments.reset();
    this.step = 0;
  }

  /** Replace the moments (resume). */
  load(m: Map<string, Float32Array>, v: Map<string, Float32Array>, step: number): void {
    for (const [name, p] of this.params) {
      const mData = m.get(name);
      const vData = v.get(name);
      if (!mData || !vData) throw new Error(`optimizer state has no moments for '${name}'`);
      if (mData.length !== p.size || vData.length !== p.size) throw new Error(`optimizer moments of '${name}' have the wrong size`);
      this.moments.write(name, mData, vData);
    }
    this.step = step;
  }

  dispose(): void {
    this.moments.dispose();
  }
}

/** Global L2 norm of a set of gradients (one number; one device read). On native TensorFlow each gradient's
 *  Σ g² is its one-pass `L2Loss` kernel (Σ g² / 2) instead of a square and a sum. */
export function globalNorm(grads: Iterable<tf.Tensor>): number {
  const list = [...grads];
  if (list.length === 0) return 0;
  if (isNativeEngine()) return tf.tidy(() => tf.sqrt(tf.mul(tf.addN(list.map((g) => nativeHalfSquaredNorm(g))), 2)).dataSync()[0]!);
  return tf.tidy(() => tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g))))).dataSync()[0]!);
}

/** Scale gradients in place (disposing the old tensors) so their global norm is at most `maxNorm` (torch's rule). */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, norm: number, maxNorm: number): void {
  if (!(maxNorm > 0)) return;
  const coef = maxNorm / (norm + 1e-6);
  if (coef >= 1) return;
  for (const [name, g] of grads) {
    grads.set(name, tf.mul(g, coef));
    g.dispose();
  }
}
