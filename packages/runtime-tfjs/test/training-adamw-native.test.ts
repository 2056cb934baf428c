/**
 * AdamW on native TensorFlow (TensorFlow resource variables and its fused ResourceApplyAdam kernel) against the
 * tfjs form on the CPU backend: same updates to float32 rounding, over steps with and without decay, a reset and a
 * resume from exported moments; no tensor left behind.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/index.js';
import { nativeEngine } from './native-engine.js';
import { AdamW, globalNorm } from '../src/training/adamw.js';

const SETTINGS = { beta1: 0.9, beta2: 0.95, epsilon: 1e-3, weightDecay: 0.1 }; // a large epsilon: its placement matters
const SHAPES: Record<string, number[]> = { 'w': [7, 5], 'b': [5], 'emb': [3, 4, 2] };

function series(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2;
  }
  return out;
}

/** Runs a fixed schedule on the current backend: 3 steps, export, 2 more, reset, 1 more; returns every snapshot. */
function schedule(): { params: Float32Array[][]; moments: Array<Map<string, { m: Float32Array; v: Float32Array }>> } {
  const params = new Map(Object.entries(SHAPES).map(([name, shape], i) =>
    [name, tf.tidy(() => tf.variable(tf.tensor(series(shape.reduce((a, b) => a * b), 10 + i), shape), true))]));
  const opt = new AdamW(params, SETTINGS, (name) => name !== 'b');
  const snapshots: Float32Array[][] = [];
  const moments: Array<Map<string, { m: Float32Array; v: Float32Array }>> = [];
  const step = (k: number, lr: number) => {
    const grads = new Map([...params].map(([name, p], i) => [name, tf.tensor(series(p.size, 100 * k + i), p.shape)]));
    opt.apply(grads, lr);
    tf.dispose([...grads.values()]);
    snapshots.push([...params.values()].map((p) => p.dataSync().slice() as Float32Array));
  };
  [1, 2, 3].forEach((k) => step(k, 1e-2 * k));
  moments.push(opt.exportMoments());
  // Resume: a new optimizer loads the moments and step count, and continues as the old one would.
  const resumed = new AdamW(params, SETTINGS, (name) => name !== 'b');
  const exported = opt.exportMoments();
  resumed.load(new Map([...exported].map(([k, e]) => [k, e.m])), new Map([...exported].map(([k, e]) => [k, e.v])), opt.step);
  opt.dispose();
  const continueWith = resumed;
  const stepWith = (k: number, lr: number) => {
    const grads = new Map([...params].filter(([name]) => k !== 4 || name !== 'emb') // a parameter without a gradient is left alone
      .map(([name, p], i) => [name, tf.tensor(series(p.size, 100 * k + i), p.shape)]));
    continueWith.apply(grads, lr);
    tf.dispose([...grads.values()]);
    snapshots.push([...params.values()].map((p) => p.dataSync().slice() as Float32Array));
  };
  [4, 5].forEach((k) => stepWith(k, 3e-3));
  moments.push(continueWith.exportMoments());
  continueWith.reset();
  expect(continueWith.step).toBe(0);
  stepWith(6, 1e-2);
  continueWith.dispose();
  tf.dispose([...params.values()]);
  return { params: snapshots, moments };
}

describe('AdamW on native TensorFlow', () => {
  it('gives the tfjs form\'s updates and moments (float32 rounding), through resume and reset, leaving no tensor', async () => {
    if (!(await nativeEngine())) {
      console.warn('SKIPPED: AdamW on native TensorFlow: @tensorflow/tfjs-node is not installed (npm run setup:native)');
      return;
    }
    const before = tf.memory().numTensors;
    const native = schedule();
    expect(tf.memory().numTensors).toBe(before);
    await initEngine('cpu');
    const reference = schedule();
    expect(native.params.length).toBe(reference.params.length);
    native.params.forEach((snapshot, s) => snapshot.forEach((values, i) => {
      const want = reference.params[s]![i]!;
      for (let j = 0; j < values.length; j++) expect(Math.abs(values[j]! - want[j]!)).toBeLessThan(1e-6 + 1e-6 * Math.abs(want[j]!));
    }));
    // The parameter without a gradient at step 4 did not move (no decay either).
    const emb = [...Object.keys(SHAPES)].indexOf('emb');
    expect(Array.from(native.params[3]![emb]!)).toEqual(Array.from(native.params[2]![emb]!));
    native.moments.forEach((byName, s) => {
      for (const [name, { m, v }] of byName) {
        const want = reference.moments[s]!.get(name)!;
        for (let j = 0; j < m.length; j++) {
          expect(Math.abs(m[j]! - want.m[j]!)).toBeLessThan(1e-6);
          expect(Math.abs(v[j]! - want.v[j]!)).toBeLessThan(1e-6);
        }
        expect(Math.max(...Array.from(v))).toBeGreaterThan(0);
      }
    });
  });
});

describe('globalNorm on native TensorFlow', () => {
  it('equals the CPU backend\'s Σ g² norm (its L2Loss kernel), leaving no tensor', async () => {
    if (!(await nativeEngine())) {
      console.warn('SKIPPED: globalNorm on native TensorFlow: @tensorflow/tfjs-node is not installed (npm run setup:native)');
      return;
    }
    const norm = () => {
      const grads = [tf.tensor(series(300 * 70, 1), [300, 70]), tf.tensor1d([3, 4]), tf.tensor(series(24, 2), [2, 3, 4])];
      const value = globalNorm(grads);
      tf.dispose(grads);
      return value;
    };
    const before = tf.memory().numTensors;
    const native = norm();
    expect(tf.memory().numTensors).toBe(before);
    await initEngine('cpu');
    const cpu = norm();
    expect(Math.abs(native - cpu)).toBeLessThan(1e-5 * cpu);
    expect(cpu).toBeGreaterThan(5);
  });
});
