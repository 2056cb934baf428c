/**
 * The batch scorer's memory rules: no tensor outlives its batch, and the LM-head path (logits only at the rows
 * read, a chunk at a time) gives the numbers of the full [B, T, V] path.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/index.js';
import { batchedLogprobs, type LogprobQuery } from '../src/scoring/index.js';
import type { CausalLMModule, ForwardOptions, ForwardOutput } from '../src/causal-lm.js';
import { ToyCausalLM } from './toy-model.js';

/** A causal LM with a large vocabulary (so one batch's reads span several log-softmax chunks); `lmHead` optional. */
class WideVocabLM implements CausalLMModule {
  readonly architecture = 'wide';
  readonly hfArchitectures = ['WideForCausalLM'];
  readonly config = { model_type: 'wide' };
  readonly hiddenSize = 4;
  readonly vocabSize = 40_000;
  readonly contextLength = 16;
  readonly variables = new Map<string, tf.Variable>();
  lmHead?: (hidden: tf.Tensor2D) => tf.Tensor2D;

  constructor(withHead: boolean) {
    this.variables.set('emb', tf.variable(tf.randomNormal([this.vocabSize, 4], 0, 1, 'float32', 3)));
    this.variables.set('out', tf.variable(tf.randomNormal([this.vocabSize, 4], 0, 2, 'float32', 4)));
    if (withHead) this.lmHead = (hidden) => tf.matMul(hidden, this.variables.get('out')!, false, true);
  }
  noWeightDecay(): boolean { return false; }
  forward(ids: tf.Tensor2D, options: ForwardOptions): ForwardOutput {
    const [b, t] = ids.shape;
    return tf.tidy(() => {
      const lower = tf.linalg.bandPart(tf.ones([t, t]), -1, 0);
      const mean = tf.div(lower, tf.sum(lower, 1, true));
      const hidden = tf.matMul(tf.tile(tf.expandDims(mean, 0), [b, 1, 1]), tf.gather(this.variables.get('emb')!, ids)) as tf.Tensor3D;
      if (options.hiddenOnly) return { logits: tf.zeros([b, t, 0]) as tf.Tensor3D, hidden };
      const logits = tf.matMul(tf.reshape(hidden, [b * t, 4]), this.variables.get('out')!, false, true);
      return { logits: tf.reshape(logits, [b, t, this.vocabSize]) as tf.Tensor3D, hidden };
    });
  }
  exportWeights(): Map<string, { shape: number[]; data: Float32Array }> { return new Map(); }
  dispose(): void { this.variables.forEach((v) => v.dispose()); }
}

/** `count` queries of 2..15 tokens reading every position, ids below `vocab`. */
function queries(count: number, vocab: number): LogprobQuery[] {
  let s = 11;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  return Array.from({ length: count }, () => {
    const ids = Array.from({ length: 2 + (next() % 14) }, () => next() % vocab);
    return { inputs: ids.slice(0, -1), reads: ids.slice(1).map((v, p) => [p, v] as [number, number]) };
  });
}

describe('batch scorer memory', () => {
  beforeAll(async () => {
    await initEngine('wasm');
  });

  for (const [label, make] of [
    ['full logits (no lmHead)', () => new ToyCausalLM(16, 5)],
    ['lmHead, chunked log-softmax', () => new WideVocabLM(true)],
  ] as Array<[string, () => CausalLMModule]>) {
    it(`keeps no tensor alive across batches: ${label}`, () => {
      const module = make();
      const before = tf.memory().numTensors;
      const during: number[] = [];
      const qs = queries(40, module.vocabSize);
      const out = batchedLogprobs(module, qs, { batchSize: 6, temperature: 1, padId: 0, onBatch: () => during.push(tf.memory().numTensors) });
      expect(during.length).toBe(7); // 40 queries in batches of 6
      expect(during).toEqual(during.map(() => before));
      expect(tf.memory().numTensors).toBe(before);
      expect(out.every((v, i) => v.length === qs[i]!.reads.length && v.every(Number.isFinite))).toBe(true);
      module.dispose();
    });
  }

  it('the lmHead path, chunk by chunk, gives the numbers of the full-logits path and of tf.logSoftmax', () => {
    const withHead = new WideVocabLM(true);
    const without = new WideVocabLM(false);
    const qs = queries(30, withHead.vocabSize); // ~220 reads a batch: three 104-row chunks at V = 40,000
    for (const temperature of [1, 2.5]) {
      const a = batchedLogprobs(withHead, qs, { batchSize: 30, temperature, padId: 0 });
      const b = batchedLogprobs(without, qs, { batchSize: 30, temperature, padId: 0 });
      a.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - b[i]![j]!)).toBeLessThan(1e-5)));
      // One query by hand: log softmax over the whole row.
      const q = qs[3]!;
      const want = tf.tidy(() => {
        const { logits } = without.forward(tf.tensor2d([q.inputs], [1, q.inputs.length], 'int32'), { training: false });
        return (tf.logSoftmax(tf.div(logits, temperature)) as tf.Tensor3D).arraySync()[0]!;
      });
      q.reads.forEach(([p, v], j) => expect(Math.abs(a[3]![j]! - want[p]![v]!)).toBeLessThan(1e-5));
    }
    withHead.dispose();
    without.dispose();
  });
});
