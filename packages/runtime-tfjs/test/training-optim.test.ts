import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { AdamW, clipByGlobalNorm, globalNorm } from '../src/training/adamw.js';
import { batchTensors, tokenCrossEntropy, weightedLoss } from '../src/training/loss.js';
import { buildRows } from '../src/training/batching.js';
import { tinyModel } from './training-fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('AdamW', () => {
  it('matches a hand-computed two-step update (decay on weights, none on biases)', () => {
    const w = tf.variable(tf.tensor1d([0.5, -1.0]), true, 'adamw-test/w');
    const b = tf.variable(tf.tensor1d([0.25]), true, 'adamw-test/b');
    const params = new Map([['w', w], ['b', b]]);
    const cfg = { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1 };
    const opt = new AdamW(params, cfg, (name) => name === 'w');
    const gradSteps = [
      { w: [0.2, -0.4], b: [1.0] },
      { w: [-0.1, 0.3], b: [0.5] },
    ];
    const lrs = [1e-2, 5e-3];
    // Reference in float64, torch.optim.AdamW semantics.
    const ref = { w: [0.5, -1.0], b: [0.25] };
    const m = { w: [0, 0], b: [0] };
    const v = { w: [0, 0], b: [0] };
    gradSteps.forEach((g, i) => {
      const t = i + 1;
      const lr = lrs[i]!;
      for (const name of ['w', 'b'] as const) {
        for (let j = 0; j < ref[name].length; j++) {
          const grad = g[name][j]!;
          if (name === 'w') ref.w[j]! *= 1 - lr * cfg.weightDecay;
          m[name][j] = cfg.beta1 * m[name][j]! + (1 - cfg.beta1) * grad;
          v[name][j] = cfg.beta2 * v[name][j]! + (1 - cfg.beta2) * grad * grad;
          const denom = Math.sqrt(v[name][j]!) / Math.sqrt(1 - cfg.beta2 ** t) + cfg.epsilon;
          ref[name][j]! -= (lr / (1 - cfg.beta1 ** t)) * (m[name][j]! / denom);
        }
      }
      const grads = new Map<string, tf.Tensor>([['w', tf.tensor1d(g.w)], ['b', tf.tensor1d(g.b)]]);
      opt.apply(grads, lr);
      tf.dispose([...grads.values()]);
    });
    const got = { w: Array.from(w.dataSync()), b: Array.from(b.dataSync()) };
    got.w.forEach((x, j) => expect(x).toBeCloseTo(ref.w[j]!, 6));
    expect(got.b[0]).toBeCloseTo(ref.b[0]!, 6);
    // The first step moves each weight by about lr (Adam's normalised step) plus decay.
    expect(ref.w[0]).toBeLessThan(0.5 - 0.01);
    opt.dispose();
    tf.dispose([w, b]);
  });

  it('holds exactly two moment tensors per parameter and releases them on dispose', () => {
    const w = tf.variable(tf.zeros([3, 2]), true, 'adamw-count/w');
    const before = tf.memory().numTensors;
    const opt = new AdamW(new Map([['w', w]]), { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 }, () => true);
    expect(tf.memory().numTensors).toBe(before + 2);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });

  it('reset starts the moments and the bias-correction step from zero: the next update equals a fresh optimizer\'s', () => {
    const cfg = { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0 };
    const w1 = tf.variable(tf.tensor1d([0.5, -1.0]), true, 'adamw-reset/w1');
    const w2 = tf.variable(tf.tensor1d([0.5, -1.0]), true, 'adamw-reset/w2');
    const used = new AdamW(new Map([['w', w1]]), cfg, () => true);
    const fresh = new AdamW(new Map([['w', w2]]), cfg, () => true);
    const g = (xs: number[]) => new Map([['w', tf.tensor1d(xs)]]);
    used.apply(g([3, -2]), 1e-2);
    w1.assign(tf.tensor1d([0.5, -1.0]));
    const before = tf.memory().numTensors;
    used.reset();
    expect(tf.memory().numTensors).toBe(before);
    expect(used.step).toBe(0);
    used.apply(g([0.2, -0.4]), 1e-2);
    fresh.apply(g([0.2, -0.4]), 1e-2);
    expect(Array.from(w1.dataSync())).toEqual(Array.from(w2.dataSync()));
    used.dispose();
    fresh.dispose();
    w1.dispose();
    w2.dispose();
  });
});

describe('gradient clipping', () => {
  it('computes the global norm and scales every gradient by max/(norm+1e-6) when above the limit', () => {
    const grads = new Map<string, tf.Tensor>([['a', tf.tensor1d([3, 0])], ['b', tf.tensor1d([4])]]);
    const norm = globalNorm(grads.values());
    expect(norm).toBeCloseTo(5, 6);
    clipByGlobalNorm(grads, norm, 1);
    expect(Array.from(grads.get('a')!.dataSync())[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    expect(globalNorm(grads.values())).toBeCloseTo(1, 5);
    clipByGlobalNorm(grads, 1, 10); // below the limit: unchanged
    expect(globalNorm(grads.values())).toBeCloseTo(1, 5);
    tf.dispose([...grads.values()]);
  });
});

describe('weighted token cross-entropy', () => {
  it('equals -log softmax and has the softmax - onehot gradient', () => {
    const logits = tf.tensor2d([[1, 2, 0.5], [0.1, -1, 3]]);
    const targets = tf.tensor1d([1, 2], 'int32');
    const ce = tokenCrossEntropy(logits, targets).arraySync();
    const ref = tf.neg(tf.logSoftmax(logits)).arraySync() as number[][];
    expect(ce[0]).toBeCloseTo(ref[0]![1]!, 5);
    expect(ce[1]).toBeCloseTo(ref[1]![2]!, 5);
    const dlogits = tf.grad((x: tf.Tensor) => tf.sum(tokenCrossEntropy(x as tf.Tensor2D, targets)))(logits).arraySync() as number[][];
    const probs = tf.softmax(logits).arraySync() as number[][];
    expect(dlogits[0]![1]).toBeCloseTo(probs[0]![1]! - 1, 5);
    expect(dlogits[0]![0]).toBeCloseTo(probs[0]![0]!, 5);
    tf.dispose([logits, targets]);
  });

  it('gives the same values and gradients on WASM as on the CPU backend (no UnsortedSegmentSum needed)', async () => {
    const run = () => {
      const logits = tf.tensor2d([[1, 2, 0.5, -1], [0.1, -1, 3, 0], [2, 2, 2, 2]]);
      const targets = tf.tensor1d([1, 3, 3], 'int32');
      const weights = tf.tensor1d([0.5, 0, 1]);
      const f = (x: tf.Tensor) => tf.sum(tf.mul(tokenCrossEntropy(x as tf.Tensor2D, targets), weights));
      const out = { value: f(logits).dataSync()[0]!, grad: Array.from(tf.grad(f)(logits).dataSync()) };
      tf.dispose([logits, targets, weights]);
      return out;
    };
    const cpu = run();
    await tf.setBackend('wasm');
    try {
      const wasm = run();
      expect(wasm.value).toBeCloseTo(cpu.value, 5);
      wasm.grad.forEach((g, i) => expect(g).toBeCloseTo(cpu.grad[i]!, 5));
      expect(wasm.grad.slice(4, 8).every((g) => g === 0)).toBe(true); // weight 0 row
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('gives masked tokens exactly zero gradient', () => {
    const model = tinyModel({ vocab: 9, context: 8, hidden: 6, seed: 3 });
    const module = model.module;
    // Two rows; row 1 is fully masked. Gradients w.r.t. the logits of masked positions must be exactly 0.
    const rows = buildRows([
      { ids: [1, 2, 3, 4], lossWeights: [0, 0, 1, 1], words: 1 },
      { ids: [5, 6, 7, 8], lossWeights: [0, 0, 0, 0], words: 1 },
    ], 8, false);
    const batch = batchTensors(rows, 2);
    const { logits } = module.forward(batch.ids, { training: false });
    const [b, t, v] = logits.shape;
    const dLogits = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tokenCrossEntropy(tf.reshape(x, [b * t, v]) as tf.Tensor2D, batch.targets), batch.weights)))(logits);
    const g = dLogits.arraySync() as number[][][];
    // row 0: position 0 predicts id 2 with weight 0, position 1 predicts 3 (weight 1), 2 predicts 4 (weight 1), 3 nothing.
    expect(g[0]![0]!.every((x) => x === 0)).toBe(true);
    expect(g[0]![1]!.some((x) => x !== 0)).toBe(true);
    expect(g[0]![3]!.every((x) => x === 0)).toBe(true);
    expect(g[1]!.flat().every((x) => x === 0)).toBe(true);
    // The fully masked row does not matter: other ids there give the same loss, bit for bit.
    const loss1 = weightedLoss(module, batch, false).dataSync()[0]!;
    const rows3 = buildRows([
      { ids: [1, 2, 3, 4], lossWeights: [0, 0, 1, 1], words: 1 },
      { ids: [8, 0, 2, 1], lossWeights: [0, 0, 0, 0], words: 1 },
    ], 8, false);
    const batch3 = batchTensors(rows3, 2);
    expect(weightedLoss(module, batch3, false).dataSync()[0]).toBe(loss1);
    tf.dispose([logits, dLogits, batch.ids, batch.targets, batch.weights, batch3.ids, batch3.targets, batch3.weights]);
    model.dispose();
  });
});
