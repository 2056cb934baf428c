/**
 * Test doubles for the runtime: a word-level tokenizer with GPT-2-like offsets (a leading space belongs to
 * the next word) and an optional BOS, and a tiny causal LM (cumulative mean of embeddings) that implements
 * `CausalLMModule`. Shared by the scoring and checkpoint tests.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Encoding, Tokenizer, SpecialTokens } from '@class-it/core';
import type { CausalLMModule, ForwardOptions, ForwardOutput } from '../src/causal-lm.js';

export class WordTokenizer implements Tokenizer {
  readonly vocabSize = 50;
  readonly specialTokens: SpecialTokens;
  constructor(private readonly bos = false) {
    this.specialTokens = bos ? { bos: '<s>', eos: '<s>', pad: '<s>' } : { eos: '<s>' };
  }
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): Encoding {
    const ids: number[] = [];
    const offsets: Array<[number, number]> = [];
    const mask: number[] = [];
    if (this.bos && options.addSpecialTokens !== false) { ids.push(0); offsets.push([0, 0]); mask.push(1); }
    for (const m of text.matchAll(/ ?[^ ]+| +$/g)) {
      ids.push(this.idOf(m[0]));
      offsets.push([m.index!, m.index! + m[0].length]);
      mask.push(0);
    }
    return { ids, offsets, specialTokensMask: mask };
  }
  private idOf(piece: string): number {
    let h = 7;
    for (const ch of piece) h = (h * 31 + ch.charCodeAt(0)) % 49;
    return h + 1;
  }
  decode(): string { throw new Error('not needed'); }
  tokenToId(token: string): number | undefined { return token === '<s>' ? 0 : this.idOf(token); }
  idToToken(id: number): string | undefined { return id === 0 ? '<s>' : `w${id}`; }
  specialId(name: 'bos' | 'eos' | 'pad' | 'unk'): number | undefined {
    return this.specialTokens[name] ? 0 : undefined;
  }
  async save(): Promise<void> { throw new Error('not needed'); }
}

/** logits_t = (mean_{s<=t} E[x_s] + P[t]) W^T: causal, so right padding cannot reach real tokens. */
export class ToyCausalLM implements CausalLMModule {
  readonly architecture = 'toy';
  readonly hfArchitectures = ['ToyForCausalLM'];
  readonly config = { model_type: 'toy' };
  readonly hiddenSize = 8;
  readonly vocabSize = 50;
  readonly variables = new Map<string, tf.Variable>();
  constructor(readonly contextLength = 12, seed = 1) {
    this.variables.set('emb', tf.variable(tf.randomNormal([50, 8], 0, 1, 'float32', seed)));
    this.variables.set('pos', tf.variable(tf.randomNormal([contextLength, 8], 0, 1, 'float32', seed + 1)));
    this.variables.set('out', tf.variable(tf.randomNormal([50, 8], 0, 1, 'float32', seed + 2)));
  }
  noWeightDecay(): boolean { return false; }
  forward(ids: tf.Tensor2D, _options: ForwardOptions): ForwardOutput {
    const [b, t] = ids.shape;
    if (t > this.contextLength) throw new Error('too long');
    return tf.tidy(() => {
      const e = tf.gather(this.variables.get('emb')!, ids); // [B,T,8]
      const lower = tf.linalg.bandPart(tf.ones([t, t]), -1, 0);
      const avg = tf.div(lower, tf.sum(lower, 1, true)); // row-normalised
      const mixed = tf.matMul(tf.tile(tf.expandDims(avg, 0), [b, 1, 1]), e);
      const hidden = tf.add(mixed, tf.slice(this.variables.get('pos')!, [0, 0], [t, 8])) as tf.Tensor3D;
      const logits = tf.reshape(tf.matMul(tf.reshape(hidden, [b * t, 8]), this.variables.get('out')!, false, true), [b, t, 50]) as tf.Tensor3D;
      return { logits, hidden };
    });
  }
  /** Reference: log-softmax of every position for one unpadded sequence. */
  logSoftmaxRows(ids: number[]): number[][] {
    return tf.tidy(() => tf.logSoftmax(this.forward(tf.tensor2d([ids], [1, ids.length], 'int32'), { training: false }).logits).arraySync()[0]);
  }
  exportWeights(): Map<string, { shape: number[]; data: Float32Array }> {
    return new Map([...this.variables].map(([k, v]) => [k, { shape: v.shape, data: v.dataSync() as Float32Array }]));
  }
  dispose(): void { this.variables.forEach((v) => v.dispose()); }
}
