/**
 * Batched log-probabilities of chosen tokens under a causal LM. Sequences are sorted by length into batches,
 * right-padded (attention mask 0 on padding), run without dropout, and the results mapped back to request
 * order. The model never lets a real token see padding, so results do not depend on batch size or padding.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CausalLMModule } from '../causal-lm.js';

/** One sequence to run and the log-probabilities to read from it. */
export interface LogprobQuery {
  /** Model input ids (what is fed). */
  inputs: number[];
  /** Pairs [position p, token id v]: read log softmax(logits[p])[v]. */
  reads: Array<[number, number]>;
}

export interface BatchScoringOptions {
  batchSize: number;
  temperature: number;
  padId: number;
  onBatch?: (done: number) => void;
}

/** For each query, the natural-log probabilities at its `reads`, in order (float32 values). */
export function batchedLogprobs(module: CausalLMModule, queries: LogprobQuery[], options: BatchScoringOptions): Float32Array[] {
  const { batchSize, temperature, padId } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  if (!(temperature > 0)) throw new Error(`temperature must be > 0, got ${temperature}`);
  for (const [i, q] of queries.entries()) {
    if (q.inputs.length === 0) throw new Error(`scoring query ${i} has no input tokens`);
    if (q.inputs.length > module.contextLength) {
      throw new Error(`scoring query ${i} has ${q.inputs.length} input tokens, more than the context window (${module.contextLength})`);
    }
  }
  const order = queries.map((_, i) => i).sort((a, b) => queries[b].inputs.length - queries[a].inputs.length || a - b);
  const results: Float32Array[] = new Array(queries.length);
  let done = 0;
  for (let start = 0; start < order.length; start += batchSize) {
    const members = order.slice(start, start + batchSize);
    const width = queries[members[0]].inputs.length;
    const ids = new Int32Array(members.length * width).fill(padId);
    const mask = new Float32Array(members.length * width);
    const gatherIndex: number[] = [];
    const tokenIndex: number[] = [];
    members.forEach((qi, row) => {
      const q = queries[qi];
      ids.set(q.inputs, row * width);
      mask.fill(1, row * width, row * width + q.inputs.length);
      for (const [p, v] of q.reads) {
        gatherIndex.push(row, p);
        tokenIndex.push(v);
      }
    });
    const values = tf.tidy(() => {
      if (tokenIndex.length === 0) return new Float32Array(0);
      const input = tf.tensor2d(ids, [members.length, width], 'int32');
      const attentionMask = tf.tensor2d(mask, [members.length, width]);
      const { logits } = module.forward(input, { training: false, attentionMask });
      let rows = tf.gatherND(logits, tf.tensor2d(gatherIndex, [tokenIndex.length, 2], 'int32')) as tf.Tensor2D; // [N, V]
      if (temperature !== 1) rows = tf.div(rows, temperature);
      const logp = tf.logSoftmax(rows);
      const picked = tf.gatherND(logp, tf.tensor2d(tokenIndex.flatMap((v, n) => [n, v]), [tokenIndex.length, 2], 'int32'));
      return picked.dataSync() as Float32Array;
    });
    let offset = 0;
    for (const qi of members) {
      const n = queries[qi].reads.length;
      results[qi] = values.slice(offset, offset + n);
      offset += n;
    }
    done += members.length;
    options.onBatch?.(done);
  }
  return results;
}

/** Sum in float32, left to right (the reference sums float32 tensors). */
export function float32Sum(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum = Math.fround(sum + values[i]);
  return sum;
}
