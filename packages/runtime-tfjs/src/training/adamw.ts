/**
 * AdamW with decoupled weight decay, written out as in torch.optim.AdamW (so a step can be checked by hand):
 *   p <- p * (1 - lr * wd)                      (not for biases and norms)
 *   m <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
 *   p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * plus gradient clipping by global norm. Moments are tf variables keyed by the module's variable names.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AdamWSettings {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export class AdamW {
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  /** Updates applied so far (the `t` of the bias corrections). */
  step = 0;

  constructor(
    private readonly params: Map<string, tf.Variable>,
    private readonly settings: AdamWSettings,
    private readonly decays: (name: string) => boolean,
  ) {
    // In a tidy: the zero tensors the moments start from are released; the variables are kept.
    tf.tidy(() => {
      for (const [name, p] of params) {
        this.m.set(name, tf.variable(tf.zerosLike(p), false));
        this.v.set(name, tf.variable(tf.zerosLike(p), false));
      }
    });
  }

  /** Apply one update with gradients `grads` (keyed like the params) at learning rate `lr`. */
  apply(grads: Map<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.settings;
    const bias1 = 1 - Math.pow(beta1, this.step);
    const bias2Sqrt = Math.sqrt(1 - Math.pow(beta2, this.step));
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue; // as torch: a parameter without a gradient is left alone (no decay, no moment update)
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      tf.tidy(() => {
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(mNew);
        v.assign(vNew);
        const decayed = weightDecay > 0 && this.decays(name) ? tf.mul(p, 1 - lr * weightDecay) : p;
        const denom = tf.add(tf.div(tf.sqrt(vNew), bias2Sqrt), epsilon);
        p.assign(tf.sub(decayed, tf.mul(tf.div(mNew, denom), lr / bias1)));
      });
    }
  }

  /** Start the moments from zero again (a new stage with `optimizerBetweenStages: reset`). */
  reset(): void {
    for (const [name, m] of this.m) {
      tf.tidy(() => {
        m.assign(tf.zerosLike(m));
        this.v.get(name)!.assign(tf.zerosLike(m));
      });
    }
    this.step = 0;
  }

  /** Replace the moments (resume). */
  load(m: Map<string, Float32Array>, v: Map<string, Float32Array>, step: number): void {
    for (const [name, variable] of this.m) {
      const mData = m.get(name);
      const vData = v.get(name);
      if (!mData || !vData) throw new Error(`optimizer state has no moments for '${name}'`);
      if (mData.length !== variable.size || vData.length !== variable.size) throw new Error(`optimizer moments of '${name}' have the wrong size`);
      tf.tidy(() => {
        variable.assign(tf.tensor(mData, variable.shape));
        this.v.get(name)!.assign(tf.tensor(vData, variable.shape));
      });
    }
    this.step = step;
  }

  dispose(): void {
    tf.dispose([...this.m.values(), ...this.v.values()]);
    this.m.clear();
    this.v.clear();
  }
}

/** Global L2 norm of a set of gradients (one number; one device read). */
export function globalNorm(grads: Iterable<tf.Tensor>): number {
  const list = [...grads];
  if (list.length === 0) return 0;
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
