import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, matMul, wasmBatchedMatMulAvailable } from '../src/engine/index.js';
import { wasmBatchedProduct } from '../src/engine/wasm-batched.js';

function tensor(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * (1 + (i % 5))), shape);
}

describe('wasm batched products: one XNNPACK GEMM per batch entry', () => {
  beforeAll(async () => {
    await initEngine('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('passes its probe on the installed tfjs-backend-wasm, and matMul runs it from 8 rows per batch entry', async () => {
    const kernelsOf = async (rows: number) => (await tf.profile(() => {
      const a = tensor([2, 3, rows, 5], 1);
      const b = tensor([2, 3, 5, 2], 2);
      const y = matMul(a, b);
      tf.dispose([a, b]);
      return y;
    })).kernelNames;
    expect(await kernelsOf(8)).toContain('ClassItWasmBatchedMatMul');
    expect(wasmBatchedMatMulAvailable()).toBe(true);
    const fewRows = await kernelsOf(1); // a decoding step's one query row: tfjs-backend-wasm's own kernel
    expect(fewRows).toContain('BatchMatMul');
    expect(fewRows).not.toContain('ClassItWasmBatchedMatMul');
  });

  it('equals tf.matMul on 3-D and 4-D operands, odd sizes included', () => {
    for (const [sa, sb] of [[[3, 5, 7], [3, 7, 4]], [[2, 3, 17, 9], [2, 3, 9, 13]], [[4, 1, 64], [4, 64, 33]], [[5, 6, 1], [5, 1, 3]]]) {
      const diff = tf.tidy(() => {
        const a = tensor(sa!, 3);
        const b = tensor(sb!, 4);
        return tf.max(tf.abs(tf.sub(wasmBatchedProduct(a, b), tf.matMul(a, b)))).dataSync()[0]!;
      });
      expect(diff).toBeLessThan(1e-4);
    }
  });

  it('computes each entry alone: an entry gives the same bits in any batch', () => {
    tf.tidy(() => {
      const a = tensor([6, 19, 24], 5);
      const b = tensor([6, 24, 11], 6);
      const whole = wasmBatchedProduct(a, b).arraySync() as number[][][];
      for (const i of [0, 3, 5]) {
        const alone = wasmBatchedProduct(tf.slice(a, [i, 0, 0], [1, 19, 24]), tf.slice(b, [i, 0, 0], [1, 24, 11])).arraySync() as number[][][];
        expect(alone[0]).toEqual(whole[i]);
        const pair = wasmBatchedProduct(tf.concat([tf.slice(a, [i, 0, 0], [1, 19, 24]), a], 0), tf.concat([tf.slice(b, [i, 0, 0], [1, 24, 11]), b], 0));
        expect((pair.arraySync() as number[][][])[0]).toEqual(whole[i]);
      }
    });
  });

  it('leaves no tensor and no backend buffer behind', () => {
    const a = tensor([8, 4, 16, 8], 7);
    const b = tensor([8, 4, 8, 16], 8);
    tf.dispose(wasmBatchedProduct(a, b)); // the first call's setup outside the count
    const tensors = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    for (let i = 0; i < 5; i++) tf.dispose(wasmBatchedProduct(a, b));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    tf.dispose([a, b]);
  });

  it('refuses operands it cannot multiply, naming the shapes', () => {
    tf.tidy(() => {
      expect(() => wasmBatchedProduct(tensor([2, 3, 4], 1), tensor([3, 4, 5], 2))).toThrow(/\[2,3,4\].*\[3,4,5\]/);
      expect(() => wasmBatchedProduct(tensor([2, 3, 4], 1), tensor([2, 5, 5], 2))).toThrow(/equal batch dims/);
      expect(() => wasmBatchedProduct(tensor([3, 4], 1), tensor([4, 5], 2))).toThrow(/wasmBatchedProduct/);
    });
  });
});
