/** The default engine: on wasm (NN-only matMuls, scatterND embedding gradient) the forward pass and every
 *  gradient equal the cpu backend's. */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@class-it/runtime-tfjs';
import { describe, expect, it } from 'vitest';
import { presetConfig } from '../src/config.js';
import { LlamaModule } from '../src/model.js';

function lossAndGrads(backend: string): Promise<{ loss: number; logits: Float32Array; grads: Map<string, Float32Array> }> {
  return initEngine(backend).then(() => {
    const config = presetConfig('llama-tiny', { vocab_size: 97, initializer_range: 0.1 });
    const m = LlamaModule.initialize(config, 21);
    const ids = tf.tensor2d([[1, 5, 9, 20, 7, 3], [4, 96, 8, 2, 6, 0]], undefined, 'int32');
    const targets = tf.tensor2d([[5, 9, 20, 7, 3, 1], [96, 8, 2, 6, 0, 0]], undefined, 'int32');
    const options = {
      training: false,
      attentionMask: tf.tensor2d([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]]),
      segmentIds: tf.tensor2d([[0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0]], undefined, 'int32'),
      positionIds: tf.tensor2d([[0, 1, 2, 0, 1, 2], [0, 1, 2, 3, 4, 5]], undefined, 'int32'),
    };
    const logits = tf.tidy(() => m.forward(ids, options).logits.dataSync() as Float32Array);
    const { value, grads } = tf.variableGrads(() => {
      const out = m.forward(ids, options).logits;
      const logp = tf.logSoftmax(out, -1);
      return tf.neg(tf.mean(tf.sum(tf.mul(logp, tf.oneHot(targets, 97)), -1))) as tf.Scalar;
    });
    const byName = new Map([...m.variables].map(([key, v]) => [key, grads[v.name]!.dataSync() as Float32Array]));
    const loss = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads), ids, targets, ...Object.values(options).filter((x) => x instanceof tf.Tensor)]);
    m.dispose();
    return { loss, logits, grads: byName };
  });
}

describe('llama on the wasm backend', () => {
  it('logits, loss and gradients equal the cpu backend', async () => {
    const cpu = await lossAndGrads('cpu');
    const wasm = await lossAndGrads('wasm');
    expect(wasm.loss).toBeCloseTo(cpu.loss, 4);
    const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    expect(maxDiff(wasm.logits, cpu.logits)).toBeLessThan(1e-4);
    expect(wasm.grads.size).toBe(cpu.grads.size);
    for (const [name, g] of cpu.grads) {
      const scale = Math.max(1e-3, ...Array.from(g, Math.abs));
      expect(maxDiff(wasm.grads.get(name)!, g) / scale, name).toBeLessThan(1e-3);
    }
  });
});
