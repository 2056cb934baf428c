import { describe, it, expect, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import {
  initEngine, ensureEngine, currentBackend, engineDetails, matMul, embeddingLookup, gelu, dropout, layerNorm, nativeFusedOps,
} from '../src/engine/index.js';
import { nativeEngine } from './native-engine.js';
import { plainGelu, plainLayerNorm } from './formulas.js';

/** Deterministic pseudo-random floats. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** matMul forward and both gradients for one layout, as plain arrays, on the current backend. */
function matMulWithGrads(shapeA: number[], shapeB: number[], tA: boolean, tB: boolean, wrapped: boolean) {
  return tf.tidy(() => {
    const a = tf.tensor(values(shapeA.reduce((x, y) => x * y), 1), shapeA);
    const b = tf.tensor(values(shapeB.reduce((x, y) => x * y), 2), shapeB);
    const f = (x: tf.Tensor, w: tf.Tensor) => (wrapped ? matMul(x, w, tA, tB) : tf.matMul(x, w, tA, tB));
    const y = f(a, b);
    const weight = tf.tensor(values(y.size, 3), y.shape);
    const [da, db] = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(f(x, w), weight)))([a, b]);
    return { y: y.dataSync().slice(), da: da.dataSync().slice(), db: db.dataSync().slice() };
  });
}

const LAYOUTS: Array<[boolean, boolean, number[], number[]]> = [
  [false, false, [5, 7], [7, 3]],
  [true, false, [7, 5], [7, 3]],
  [false, true, [5, 7], [3, 7]],
  [true, true, [7, 5], [3, 7]],
  [false, true, [2, 3, 5, 4], [2, 3, 6, 4]],
  [false, false, [4, 5, 6], [4, 6, 2]],
  // shapes where transposing the small result beats transposing a big operand (the flipped form)
  [true, false, [50, 3], [50, 2]],
  [false, true, [2, 40], [3, 40]],
  [true, true, [3, 2, 30, 4], [3, 2, 5, 30]],
];

/** The wrapper's values and gradients on `backend` equal tf.matMul's on the CPU backend, for every layout. */
async function expectMatMulAsCpu(backend: string): Promise<void> {
  for (const [tA, tB, sa, sb] of LAYOUTS) {
    await tf.setBackend('cpu');
    const ref = matMulWithGrads(sa, sb, tA, tB, false);
    await tf.setBackend(backend);
    const got = matMulWithGrads(sa, sb, tA, tB, true);
    expect(maxAbsDiff(got.y, ref.y)).toBeLessThan(1e-5);
    expect(maxAbsDiff(got.da, ref.da)).toBeLessThan(1e-5);
    expect(maxAbsDiff(got.db, ref.db)).toBeLessThan(1e-5);
  }
}

describe('engine', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('initEngine picks a named backend and reports it', async () => {
    expect(await initEngine('cpu')).toBe('cpu');
    expect(currentBackend()).toBe('cpu');
    expect(await initEngine('wasm')).toBe('wasm');
    expect(currentBackend()).toBe('wasm');
    expect(engineDetails()?.provider).toBe('@tensorflow/tfjs-backend-wasm');
    await expect(initEngine('metal')).rejects.toThrow(/unknown backend 'metal'/);
  });

  it('ensureEngine keeps the engine an application chose, and starts the default one when none was', async () => {
    await initEngine('cpu');
    await ensureEngine();
    expect(currentBackend()).toBe('cpu');
    await tf.setBackend('wasm'); // a backend switched behind initEngine's back: no engine was chosen
    expect(engineDetails()).toBeUndefined();
    await ensureEngine();
    expect(engineDetails()?.choice).toBe('auto');
    expect(['tensorflow', 'wasm']).toContain(currentBackend());
  });

  it('auto picks native TensorFlow when it is installed, else wasm', async () => {
    const chosen = await initEngine('auto');
    expect(['tensorflow', 'wasm']).toContain(chosen);
    if (chosen === 'wasm') {
      console.warn(`NOTE: native TensorFlow not loaded (${engineDetails()?.skipped.join('; ')}); auto chose wasm`);
    }
  });

  it('matMul wrapper gives tf.matMul values and gradients on wasm, for every layout', async () => {
    await expectMatMulAsCpu('wasm');
  });

  it('matMul gives tf.matMul values and gradients on native TensorFlow (its 2-D MatMul kernel), for every layout', async () => {
    if ((await initEngine('auto')) !== 'tensorflow') {
      console.warn('SKIPPED: matMul on native TensorFlow: @tensorflow/tfjs-node is not installed (npm run setup:native)');
      return;
    }
    const before = tf.memory().numTensors;
    await expectMatMulAsCpu('tensorflow');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('batched products of one row (a decoding step\'s attention) on native TensorFlow: tf.matMul\'s values', async () => {
    if ((await initEngine('auto')) !== 'tensorflow') {
      console.warn('SKIPPED: one-row matMul on native TensorFlow: @tensorflow/tfjs-node is not installed (npm run setup:native)');
      return;
    }
    const cases: Array<[boolean, boolean, number[], number[]]> = [
      [false, true, [1, 4, 1, 64], [1, 4, 144, 64]], // q·kᵀ
      [false, false, [8, 4, 1, 144], [8, 4, 144, 64]], // weights·v
      [true, false, [2, 3, 5, 1], [2, 3, 5, 7]],
    ];
    for (const [tA, tB, sa, sb] of cases) {
      const product = async (backend: string) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const a = tf.tensor(values(sa.reduce((x, y) => x * y), 1), sa);
          const b = tf.tensor(values(sb.reduce((x, y) => x * y), 2), sb);
          return (backend === 'cpu' ? tf.matMul(a, b, tA, tB) : matMul(a, b, tA, tB)).dataSync().slice();
        });
      };
      const want = await product('cpu');
      const before = tf.memory().numTensors;
      const got = await product('tensorflow');
      expect(tf.memory().numTensors).toBe(before);
      expect(got.length).toBe(want.length);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    }
  });

  it('embeddingLookup gradient sums duplicate ids (scatterND) on wasm and cpu', async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const { rows, grad } = tf.tidy(() => {
        const table = tf.tensor2d(values(6 * 4, 5), [6, 4]);
        const ids = tf.tensor2d([[1, 3, 1], [0, 1, 5]], [2, 3], 'int32');
        const upstream = tf.tensor3d(values(2 * 3 * 4, 6), [2, 3, 4]);
        const rows = embeddingLookup(table, ids);
        const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, ids), upstream)))(table);
        return { rows: rows.arraySync() as number[][][], grad: grad.arraySync() as number[][] };
      });
      const table = values(24, 5);
      const up = values(24, 6);
      expect(rows[0][1]).toEqual(Array.from(table.slice(12, 16)));
      // id 1 appears 3 times: at (0,0), (0,2), (1,1)
      for (let d = 0; d < 4; d++) {
        expect(grad[1][d]).toBeCloseTo(up[0 * 4 + d] + up[2 * 4 + d] + up[4 * 4 + d], 5);
        expect(grad[2][d]).toBe(0);
      }
    }
  });

  it('gelu is the tanh approximation and layerNorm normalises the last axis', async () => {
    await tf.setBackend('wasm');
    const xs = [-3, -1, -0.1, 0, 0.5, 2];
    const got = tf.tidy(() => gelu(tf.tensor1d(xs)).arraySync() as number[]);
    xs.forEach((x, i) => {
      const want = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
      expect(got[i]).toBeCloseTo(want, 5);
    });
    const ln = tf.tidy(() => layerNorm(tf.tensor2d([[1, 2, 3, 4]]), tf.ones([4]) as tf.Tensor1D, tf.zeros([4]) as tf.Tensor1D, 1e-5).arraySync() as number[][]);
    const sd = Math.sqrt(1.25 + 1e-5);
    expect(ln[0][0]).toBeCloseTo(-1.5 / sd, 5);
  });

  /** gelu and layerNorm (hand-written gradients) against the plain formulas under tfjs's automatic gradient. On the
   *  native engine the layer norm's forward value (no tape) is oneDNN's kernel: equal within float32 rounding. */
  function expectNormAndGeluAsFormula(): void {
    const x = tf.tensor(values(6 * 5 * 16, 4).map((v) => v * 6), [6, 5, 16]);
    const w = tf.tensor1d(values(16, 5).map((v) => 1 + v));
    const b = tf.tensor1d(values(16, 6));
    const up = tf.tensor(values(6 * 5 * 16, 7), [6, 5, 16]);
    const plainNorm = (t: tf.Tensor, gain: tf.Tensor, shift: tf.Tensor) => plainLayerNorm(t, gain, shift, 1e-5);
    const read = (ts: tf.Tensor[]) => ts.map((t) => t.dataSync().slice());
    const [geluGot, geluWant, normGot, normWant] = tf.tidy(() => [
      read([gelu(x), ...tf.grads((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), up)))([x])]),
      read([plainGelu(x), ...tf.grads((t: tf.Tensor) => tf.sum(tf.mul(plainGelu(t), up)))([x])]),
      read([layerNorm(x, w as tf.Tensor1D, b as tf.Tensor1D, 1e-5),
        ...tf.grads((t: tf.Tensor, g: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(layerNorm(t, g as tf.Tensor1D, s as tf.Tensor1D, 1e-5), up)))([x, w, b])]),
      read([plainNorm(x, w, b), ...tf.grads((t: tf.Tensor, g: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(plainNorm(t, g, s), up)))([x, w, b])]),
    ]);
    // Forward values: the same ops in the same order, so the same float32 numbers (on wasm, 1 + tanh(u) is computed
    // as 2 sigmoid(2u): equal to rounding); gradients agree to rounding.
    if (tf.getBackend() === 'wasm') expect(maxAbsDiff(geluGot[0], geluWant[0])).toBeLessThan(1e-5);
    else expect(Array.from(geluGot[0])).toEqual(Array.from(geluWant[0]));
    if (tf.getBackend() === 'tensorflow' && nativeFusedOps()?.layerNorm) expect(maxAbsDiff(normGot[0], normWant[0])).toBeLessThan(1e-5);
    else expect(Array.from(normGot[0])).toEqual(Array.from(normWant[0]));
    expect(maxAbsDiff(geluGot[1], geluWant[1])).toBeLessThan(1e-5);
    for (let i = 1; i < 4; i++) expect(maxAbsDiff(normGot[i], normWant[i])).toBeLessThan(1e-4);
    expect(Math.max(...normGot[1].map(Math.abs))).toBeGreaterThan(0.1); // a gradient worth comparing
    tf.dispose([x, w, b, up]);
  }

  it('gelu and layerNorm: the formulas\' values, and their automatic gradients, on wasm and cpu', async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      expectNormAndGeluAsFormula();
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('gelu and layerNorm: the formulas\' values and gradients on native TensorFlow', async () => {
    if (!(await nativeEngine())) {
      console.warn('SKIPPED: gelu/layerNorm gradients on native TensorFlow: @tensorflow/tfjs-node is not installed (npm run setup:native)');
      return;
    }
    const before = tf.memory().numTensors;
    expectNormAndGeluAsFormula();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('dropout on native TensorFlow: reproducible from its seed, about rate dropped, kept ones scaled, gradient = mask', async () => {
    if (!(await nativeEngine())) {
      console.warn('SKIPPED: dropout on native TensorFlow: @tensorflow/tfjs-node is not installed (npm run setup:native)');
      return;
    }
    const before = tf.memory().numTensors;
    const run = (seed: number) => tf.tidy(() => dropout(tf.ones([100, 1000]), 0.1, seed, true).dataSync().slice());
    const a = run(7);
    expect(Buffer.from(a.buffer).equals(Buffer.from(run(7).buffer))).toBe(true);
    expect(Array.from(a.slice(0, 1000))).not.toEqual(Array.from(run(8).slice(0, 1000)));
    expect(Array.from(run(2 ** 32 - 1).slice(0, 1000))).not.toEqual(Array.from(run(2 ** 31 - 1).slice(0, 1000)));
    const dropped = a.filter((v) => v === 0).length / a.length;
    expect(dropped).toBeGreaterThan(0.095);
    expect(dropped).toBeLessThan(0.105);
    expect(new Set(a.filter((v) => v !== 0))).toEqual(new Set([Math.fround(1 / 0.9)]));
    const x = tf.tensor(values(2000, 3), [20, 100]);
    const [y, dx] = tf.tidy(() => [dropout(x, 0.3, 11, true).dataSync().slice(), tf.grad((t: tf.Tensor) => tf.sum(dropout(t, 0.3, 11, true)))(x).dataSync().slice()]);
    const xs = x.dataSync();
    for (let i = 0; i < xs.length; i++) expect(y[i]).toBe(Math.fround(xs[i] * dx[i]));
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('dropout is reproducible from its seed and off outside training', async () => {
    await tf.setBackend('wasm');
    const run = (seed: number) => tf.tidy(() => dropout(tf.ones([1000]), 0.25, seed, true).dataSync().slice());
    const a = run(7);
    expect(Array.from(a)).toEqual(Array.from(run(7)));
    expect(Array.from(a)).not.toEqual(Array.from(run(8)));
    const zeros = a.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(180);
    expect(zeros).toBeLessThan(320);
    expect(a.find((v) => v !== 0)).toBeCloseTo(1 / 0.75, 5);
    const x = tf.ones([3]);
    expect(dropout(x, 0.5, 1, false)).toBe(x);
    x.dispose();
  });
});
