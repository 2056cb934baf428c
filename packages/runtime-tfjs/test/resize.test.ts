/**
 * The runtime side of adding tokens: `meanResizedRows` (HF mean_resizing), `replaceVariable`, and the optional
 * `addSpecialTokens` hook of `TfjsLanguageModel` (present only when both the tokenizer and the module can grow).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { canAddTokens, missingSingleTokens } from '@class-it/core';
/** The chat-role tokens of @class-it/instruct's default template. */
const DEFAULT_TEMPLATE_TOKENS = ['<|system|>', '<|user|>', '<|assistant|>'];
import type { CausalLMModule, ForwardOptions, ForwardOutput } from '../src/causal-lm.js';
import { initEngine } from '../src/engine/index.js';
import { meanResizedRows, replaceVariable, TfjsLanguageModel } from '../src/model/index.js';
import { trainByteLevelBpe } from '@class-it/tokenizers';
import { ToyCausalLM, WordTokenizer } from './toy-model.js';

let instances = 0;

/** logits = E[ids] E^T (tied, no context): enough to see rows and their gradients. */
class TiedToyLM implements CausalLMModule {
  readonly architecture = 'toy';
  readonly hfArchitectures = ['ToyForCausalLM'];
  readonly config: Record<string, unknown>;
  readonly variables = new Map<string, tf.Variable>();
  readonly hiddenSize = 4;
  readonly contextLength = 16;
  constructor(vocab: number, seed: number) {
    this.config = { model_type: 'toy', vocab_size: vocab };
    this.variables.set('emb.weight', tf.variable(tf.randomNormal([vocab, 4], 0, 1, 'float32', seed), true, `toy${++instances}/emb.weight`));
  }
  get vocabSize(): number { return this.config.vocab_size as number; }
  noWeightDecay(): boolean { return false; }
  forward(ids: tf.Tensor2D, _options: ForwardOptions): ForwardOutput {
    return tf.tidy(() => {
      const e = this.variables.get('emb.weight')!;
      const hidden = tf.gather(e, ids) as tf.Tensor3D;
      const [b, t] = ids.shape;
      const logits = tf.reshape(tf.matMul(tf.reshape(hidden, [b * t, 4]), e, false, true), [b, t, this.vocabSize]) as tf.Tensor3D;
      return { logits, hidden };
    });
  }
  resizeTokenEmbeddings(newVocabSize: number, seed: number): void {
    replaceVariable(this.variables, 'emb.weight', meanResizedRows(this.variables.get('emb.weight')! as tf.Tensor2D, newVocabSize, seed));
    this.config.vocab_size = newVocabSize;
  }
  exportWeights(): Map<string, { shape: number[]; data: Float32Array }> {
    return new Map([...this.variables].map(([k, v]) => [k, { shape: v.shape, data: v.dataSync() as Float32Array }]));
  }
  dispose(): void { this.variables.forEach((v) => v.dispose()); }
}

const CORPUS = ['the cat sat on the mat', 'a dog barks at the moon', 'she reads books every night'];
const bpe = () => trainByteLevelBpe(Array(3).fill(CORPUS).flat(), { vocabSize: 280, specialTokens: { eos: '<|endoftext|>' } });
const options = { architecture: 'toy', source: 'test', parameterCount: 0 };

beforeAll(async () => {
  await initEngine('cpu');
});

describe('meanResizedRows', () => {
  it('keeps the old rows bit for bit and puts new rows at the mean, with tiny seeded noise', () => {
    const old = tf.randomNormal([50, 6], 0.3, 2, 'float32', 11) as tf.Tensor2D;
    const grown = meanResizedRows(old, 54, 5);
    expect(grown.shape).toEqual([54, 6]);
    const data = grown.dataSync();
    expect(Array.from(data.subarray(0, 300))).toEqual(Array.from(old.dataSync()));
    const { mean } = tf.moments(old, 0);
    const m = mean.dataSync();
    const added = Array.from(data.subarray(300));
    added.forEach((x, i) => expect(Math.abs(x - m[i % 6]!)).toBeLessThan(2 * 6 * Math.sqrt(1e-9) + 1e-6));
    expect(new Set(added).size).toBeGreaterThan(6); // rows differ from each other
    const again = meanResizedRows(old, 54, 5);
    expect(Array.from(again.dataSync())).toEqual(Array.from(data)); // seeded
    expect(() => meanResizedRows(old, 49, 5)).toThrow(/only growing/);
    tf.dispose([old, grown, mean, again]);
  });

  it('leaks no tensors', () => {
    const old = tf.ones([10, 3]) as tf.Tensor2D;
    const n = tf.memory().numTensors;
    meanResizedRows(old, 12, 1).dispose();
    expect(tf.memory().numTensors).toBe(n);
    old.dispose();
  });
});

describe('TfjsLanguageModel.addSpecialTokens', () => {
  it('exists only when the tokenizer can add tokens and the module can resize', () => {
    const toy = new ToyCausalLM(); // cannot resize
    expect(canAddTokens(new TfjsLanguageModel(toy, new WordTokenizer(), options))).toBe(false);
    toy.dispose();
    const fixed = new TiedToyLM(280, 1);
    Object.defineProperty(fixed, 'resizeTokenEmbeddings', { value: undefined }); // an architecture without the method
    expect(canAddTokens(new TfjsLanguageModel(fixed, bpe(), options))).toBe(false);
    fixed.dispose();
    const tied = new TiedToyLM(280, 1);
    expect(canAddTokens(new TfjsLanguageModel(tied, new WordTokenizer(), options))).toBe(false);
    expect(canAddTokens(new TfjsLanguageModel(tied, bpe(), options))).toBe(true);
    tied.dispose();
  });

  it('swaps the tokenizer, grows the module, keeps old logits and counts parameters, without leaking', async () => {
    const module = new TiedToyLM(280, 2);
    const model = new TfjsLanguageModel(module, bpe(), { ...options, parameterCount: 280 * 4 });
    const ids = model.tokenizer.encode('the cat sat').ids;
    const logits = (m: TfjsLanguageModel, x: number[]) =>
      tf.tidy(() => Array.from(m.module.forward(tf.tensor2d([x], [1, x.length], 'int32'), { training: false }).logits.dataSync()));
    const before = logits(model, ids);
    const tensors = tf.memory().numTensors;
    await model.addSpecialTokens!(DEFAULT_TEMPLATE_TOKENS);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(missingSingleTokens(model.tokenizer, DEFAULT_TEMPLATE_TOKENS)).toEqual([]);
    expect(model.tokenizer.vocabSize).toBe(283);
    expect(module.vocabSize).toBe(283);
    expect(module.config.vocab_size).toBe(283);
    expect(model.info.parameterCount).toBe(283 * 4);
    const after = logits(model, ids);
    ids.forEach((_, t) => {
      for (let i = 0; i < 280; i++) expect(Math.abs(after[t * 283 + i]! - before[t * 280 + i]!)).toBeLessThan(1e-6);
    });
    // adding them again changes nothing
    await model.addSpecialTokens!(DEFAULT_TEMPLATE_TOKENS);
    expect(module.vocabSize).toBe(283);
    model.dispose();
  });

  it('does not grow a vocabulary that already has room for the new ids', async () => {
    const module = new TiedToyLM(300, 3);
    const model = new TfjsLanguageModel(module, bpe(), options);
    const weights = module.variables.get('emb.weight')!;
    await model.addSpecialTokens!(['<|user|>']);
    expect(model.tokenizer.tokenToId('<|user|>')).toBe(280);
    expect(module.vocabSize).toBe(300);
    expect(module.variables.get('emb.weight')).toBe(weights);
    model.dispose();
  });
});
