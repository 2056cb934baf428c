/**
 * Batched log-probabilities of chosen tokens under a causal LM. Sequences are sorted by length into batches (of
 * at most `batchSize` sequences and `HIDDEN_STATES_PER_BATCH` hidden states), right-padded (attention mask 0 on
 * padding), run without dropout, and the results mapped back to request order. The model never lets a real token
 * see padding, so results do not depend on batch size or padding (beyond float32 rounding on the native engine).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ClassItError } from '@class-it/core';
import type { CausalLMModule } from '../causal-lm.js';
import { isNativeEngine, nativeLogSoftmax } from '../engine/native.js';

/**
 * Token budget of one batch, as hidden-state elements (tokens x hidden size): 2,048 tokens at width 256, 682 at 768.
 * A layer's activations are a few dozen such [tokens, hidden] tensors and the native engine's allocator keeps its
 * high-water mark, so this bounds scoring's memory (long sentences run in smaller batches).
 */
const HIDDEN_STATES_PER_BATCH = 1 << 19;

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
  /** How errors name query i (e.g. `logLikelihood request 3 ("The cat...")`); default `scoring query i`. */
  describeQuery?: (index: number) => string;
}

/** For each query, the natural-log probabilities at its `reads`, in order (float32 values). A value that is not
 *  finite (NaN or infinite logits: broken weights) is an error naming the query, never a silent null score. */
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
  const maxTokens = Math.max(1, Math.floor(HIDDEN_STATES_PER_BATCH / module.hiddenSize));
  for (let start = 0; start < order.length;) {
    // Up to batchSize sequences, fewer when they are long: a batch holds at most maxTokens tokens (padding included).
    const width = queries[order[start]].inputs.length;
    const members = order.slice(start, start + Math.max(1, Math.min(batchSize, Math.floor(maxTokens / width))));
    start += members.length;
    const ids = new Int32Array(members.length * width).fill(padId);
    const mask = new Float32Array(members.length * width);
    const positions: number[] = []; // row * width + p: the flat position each read is taken from
    const tokens: number[] = [];
    members.forEach((qi, row) => {
      const q = queries[qi];
      ids.set(q.inputs, row * width);
      mask.fill(1, row * width, row * width + q.inputs.length);
      for (const [p, v] of q.reads) {
        positions.push(row * width + p);
        tokens.push(v);
      }
    });
    const values = tokens.length === 0 ? new Float32Array(0) : readLogprobs(module, {
      ids,
      mask,
      shape: [members.length, width],
      positions: Int32Array.from(positions),
      tokens: Int32Array.from(tokens),
      temperature,
    });
    let offset = 0;
    for (const qi of members) {
      const n = queries[qi].reads.length;
      results[qi] = values.slice(offset, offset + n);
      offset += n;
      const bad = results[qi].findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) {
        const what = options.describeQuery?.(qi) ?? `scoring query ${qi}`;
        throw new ClassItError(`${what}: the log-probability of scored token ${bad + 1} is ${results[qi][bad]}; ` +
          'the model produced non-finite logits (are its weights finite?)');
      }
    }
    done += members.length;
    options.onBatch?.(done);
  }
  return results;
}

/** At most this many logits ([rows, V] elements, 16 MB) are in one log-softmax: rows are read a chunk at a time. */
const LOGITS_PER_CHUNK = 1 << 22;

interface BatchReads {
  /** Input ids and attention mask, [B, T] = `shape`, row-major. */
  ids: Int32Array;
  mask: Float32Array;
  shape: [number, number];
  /** Flat position (row * T + p) and token id of each read. */
  positions: Int32Array;
  tokens: Int32Array;
  temperature: number;
}

/**
 * log softmax(logits[position] / temperature)[token] for every read of one batch. The model runs once; its LM
 * head (`lmHead`, when the module has one) runs only on the rows read, `LOGITS_PER_CHUNK` logits at a time, so
 * no [B, T, V] logits tensor is ever materialised. The numbers are tf.logSoftmax's: (x - max) - log Σ exp(x - max),
 * read at the token (on native TensorFlow its one-kernel `LogSoftmax`, on the other engines without the [reads, V]
 * log-softmax).
 */
function readLogprobs(module: CausalLMModule, batch: BatchReads): Float32Array {
  const count = batch.tokens.length;
  const head = module.lmHead?.bind(module);
  const rows = tf.tidy(() => {
    const ids = tf.tensor2d(batch.ids, batch.shape, 'int32');
    const attentionMask = tf.tensor2d(batch.mask, batch.shape);
    const output = module.forward(ids, { training: false, attentionMask, hiddenOnly: head !== undefined });
    const source = head ? output.hidden : output.logits; // [B, T, H] or [B, T, V]
    const [b, t, width] = source.shape;
    return tf.gather(tf.reshape(source, [b * t, width]), tf.tensor1d(batch.positions, 'int32')) as tf.Tensor2D;
  });
  const out = new Float32Array(count);
  const chunk = Math.max(1, Math.floor(LOGITS_PER_CHUNK / module.vocabSize));
  try {
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const picked = tf.tidy(() => {
        const part = tf.slice(rows, [start, 0], [n, rows.shape[1]]);
        let logits = head ? head(part) : part;
        if (batch.temperature !== 1) logits = tf.div(logits, batch.temperature);
        const at = new Int32Array(2 * n);
        for (let i = 0; i < n; i++) {
          at[2 * i] = i;
          at[2 * i + 1] = batch.tokens[start + i]!;
        }
        const positions = tf.tensor2d(at, [n, 2], 'int32');
        // Native TensorFlow: its LogSoftmax kernel, the same formula in one kernel instead of five.
        if (isNativeEngine()) return tf.gatherND(nativeLogSoftmax(logits), positions).dataSync() as Float32Array;
        const shifted = tf.sub(logits, tf.max(logits, 1, true));
        const logSumExp = tf.log(tf.sum(tf.exp(shifted), 1));
        return tf.sub(tf.gatherND(shifted, positions), logSumExp).dataSync() as Float32Array;
      });
      out.set(picked, start);
    }
  } finally {
    rows.dispose();
  }
  return out;
}

/** Sum in float32, left to right (the reference sums float32 tensors). */
export function float32Sum(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum = Math.fround(sum + values[i]);
  return sum;
}
