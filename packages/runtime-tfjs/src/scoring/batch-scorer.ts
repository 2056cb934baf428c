/**
 * Batched log-probabilities of chosen tokens under a causal LM, without dropout, mapped back to request order.
 * - The queries become rows (`planScoringRows`): repeated and contained sequences run once, and sequences that
 *   share a prefix share a row.
 * - Rows go into batches of lines (`packBatches`) of at most `batchSize` lines and `HIDDEN_STATES_PER_BATCH` hidden
 *   states: sorted by length and right-padded (attention mask 0 on padding), and several short rows to a line,
 *   each its own segment with its own positions.
 * Sharing and packing need a module that honours segment, position and prefix segment ids
 * (`supportsPrefixSegments`); `CLASS_IT_SCORING_SHARED_PREFIXES=0` switches both off. No real token sees padding,
 * another row or another branch, so a result does not depend on the batch size, the padding or what else is scored,
 * beyond float32 rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ClassItError } from '@class-it/core';
import type { CausalLMModule } from '../causal-lm.js';
import { isNativeEngine, nativeLogSoftmax } from '../engine/native.js';
import { planScoringRows, type ScoringPlan } from './shared-prefix.js';
import { packBatches } from './packing.js';

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
    const outside = q.reads.find(([p]) => !(Number.isInteger(p) && p >= 0 && p < q.inputs.length));
    if (outside) throw new Error(`scoring query ${i} reads position ${outside[0]}, outside its ${q.inputs.length} input tokens`);
  }
  const maxTokens = Math.max(1, Math.floor(HIDDEN_STATES_PER_BATCH / module.hiddenSize));
  // Packing rows into lines and sharing prefixes both need a module that honours segment and position ids.
  const packs = module.supportsPrefixSegments === true && sharedPrefixesWanted();
  const plan = planScoringRows(queries, {
    sharePrefixes: packs,
    maxRowTokens: Math.min(module.contextLength, maxTokens),
    hiddenSize: module.hiddenSize,
  });
  const { rows } = plan;
  const values: Float32Array[] = new Array(rows.length); // per row, the log-probabilities of its reads
  const batches = packBatches(rows.map((r) => r.ids.length), {
    pack: packs, batchSize, maxTokens, maxWidth: module.contextLength, hiddenSize: module.hiddenSize,
  });
  let done = plan.answers.filter((a) => a.row < 0).length;
  for (const { width, lines } of batches) {
    // Segment and position ids only where a line holds several rows or a row shares a prefix; otherwise the
    // inputs are exactly those of one sequence per line.
    const size = lines.length * width;
    const ids = new Int32Array(size).fill(padId);
    const mask = new Float32Array(size);
    const segmented = lines.some((line) => line.length > 1 || rows[line[0]!]!.shared)
      ? { segments: new Int32Array(size).fill(-1), prefixSegments: new Int32Array(size).fill(-1), positionIds: new Int32Array(size) }
      : undefined;
    const positions: number[] = []; // line * width + p: the flat position each read is taken from
    const tokens: number[] = [];
    let segment = 0;
    lines.forEach((line, l) => {
      let at = l * width;
      for (const r of line) {
        const row = rows[r]!;
        ids.set(row.ids, at);
        mask.fill(1, at, at + row.ids.length);
        if (segmented) {
          let last = 0;
          for (let p = 0; p < row.ids.length; p++) {
            segmented.segments[at + p] = segment + row.segments[p]!;
            last = Math.max(last, row.segments[p]!);
          }
          segmented.prefixSegments.fill(segment, at, at + row.ids.length); // the row's prefix is its segment 0
          segmented.positionIds.set(row.positions, at);
          segment += last + 1;
        }
        for (const [p, v] of row.reads) {
          positions.push(at + p);
          tokens.push(v);
        }
        at += row.ids.length;
      }
    });
    const read = readLogprobs(module, {
      ids,
      mask,
      segmented,
      shape: [lines.length, width],
      positions: Int32Array.from(positions),
      tokens: Int32Array.from(tokens),
      temperature,
    });
    let offset = 0;
    for (const r of lines.flat()) {
      values[r] = read.subarray(offset, offset + rows[r]!.reads.length);
      offset += rows[r]!.reads.length;
      done += rows[r]!.queries;
      const bad = values[r]!.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw nonFinite(plan, r, bad, values[r]![bad]!, options);
    }
    options.onBatch?.(done);
  }
  if (rows.length === 0 && queries.length > 0) options.onBatch?.(done);
  return plan.answers.map(({ row, reads }) => Float32Array.from(reads, (k) => values[row]![k]!));
}

/** The error for a non-finite value (broken weights), naming the first query that reads it. */
function nonFinite(plan: ScoringPlan, row: number, read: number, value: number, options: BatchScoringOptions): ClassItError {
  const qi = plan.answers.findIndex((a) => a.row === row && a.reads.includes(read));
  const what = options.describeQuery?.(qi) ?? `scoring query ${qi}`;
  return new ClassItError(`${what}: the log-probability of scored token ${plan.answers[qi]!.reads.indexOf(read) + 1} is ${value}; ` +
    'the model produced non-finite logits (are its weights finite?)');
}

/** `CLASS_IT_SCORING_SHARED_PREFIXES=0` runs every sequence whole (for comparisons); any other value shares. */
function sharedPrefixesWanted(): boolean {
  const value = process.env.CLASS_IT_SCORING_SHARED_PREFIXES;
  if (value === undefined || value === '' || value === '1') return true;
  if (value === '0') return false;
  throw new ClassItError(`CLASS_IT_SCORING_SHARED_PREFIXES must be 0 or 1, got ${JSON.stringify(value)}`);
}

/** At most this many logits ([rows, V] elements, 16 MB) are in one log-softmax: rows are read a chunk at a time. */
const LOGITS_PER_CHUNK = 1 << 22;

interface BatchReads {
  /** Input ids and attention mask, [B, T] = `shape`, row-major. */
  ids: Int32Array;
  mask: Float32Array;
  /** With packed rows or shared prefixes: segment, prefix segment and position ids, [B, T]. */
  segmented?: { segments: Int32Array; prefixSegments: Int32Array; positionIds: Int32Array };
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
    const { segmented: s } = batch;
    const segmented = s ? {
      segmentIds: tf.tensor2d(s.segments, batch.shape, 'int32'),
      prefixSegmentIds: tf.tensor2d(s.prefixSegments, batch.shape, 'int32'),
      positionIds: tf.tensor2d(s.positionIds, batch.shape, 'int32'),
    } : {};
    const output = module.forward(ids, { training: false, attentionMask, hiddenOnly: head !== undefined, ...segmented });
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
