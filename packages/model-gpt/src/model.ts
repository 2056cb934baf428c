/**
 * GPT-2 decoder on tfjs (reads like nanoGPT's model.py): learned positions, pre-LayerNorm blocks of causal
 * self-attention and a GELU MLP, final LayerNorm, LM head tied to the token embedding. Variables carry HF
 * `GPT2LMHeadModel` names and layouts, so checkpoints map one-to-one onto model.safetensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { deriveIndexedSeed } from '@class-it/core';
import {
  type CausalLMModule, type ForwardOptions, type ForwardOutput, type CachedForwardOptions, type KVCache,
  matMul, linear, embeddingLookup, layerNorm, dropout, attentionBias, meanResizedRows, replaceVariable,
} from '@class-it/runtime-tfjs';
import type { GptConfig } from './config.js';
import { gptWeightSpecs, type NamedTensorData } from './weights.js';

export class GptModule implements CausalLMModule {
  readonly architecture = 'gpt2';
  readonly hfArchitectures = ['GPT2LMHeadModel'];
  /** forward passes `prefixSegmentIds` to `attentionBias`: scoring may share prefixes. */
  readonly supportsPrefixSegments = true;
  readonly variables = new Map<string, tf.Variable>();
  private dropoutCalls = 0;

  private constructor(readonly config: GptConfig, private readonly seed: number) {}

  /** Set all three dropout rates (the trainer's `dropout` setting); recorded in the saved config. */
  setDropout(rate: number): void {
    if (!(rate >= 0 && rate < 1)) throw new Error(`dropout must be in [0, 1), got ${rate}`);
    this.config.resid_pdrop = rate;
    this.config.embd_pdrop = rate;
    this.config.attn_pdrop = rate;
  }

  get hiddenSize(): number { return this.config.n_embd; }
  get vocabSize(): number { return this.config.vocab_size; }
  get contextLength(): number { return this.config.n_positions; }

  /**
   * A freshly initialised model (GPT-2 init: normal(0, initializer_range) for embeddings and Conv1D weights,
   * residual projections `c_proj` scaled by 1/sqrt(2 n_layer), zero biases, unit norms). `seed` fixes everything.
   */
  static create(config: GptConfig, seed: number): GptModule {
    const module = new GptModule(config, seed);
    const std = config.initializer_range;
    gptWeightSpecs(config).forEach((spec, index) => {
      const value = tf.tidy(() => {
        switch (spec.init) {
          case 'ones': return tf.ones(spec.shape);
          case 'zeros': return tf.zeros(spec.shape);
          case 'normal': return tf.randomNormal(spec.shape, 0, std, 'float32', deriveIndexedSeed(seed, index));
          case 'normal-residual':
            return tf.randomNormal(spec.shape, 0, std / Math.sqrt(2 * config.n_layer), 'float32', deriveIndexedSeed(seed, index));
        }
      });
      module.variables.set(spec.name, tf.variable(value, true));
      value.dispose();
    });
    return module;
  }

  /** A model holding given weights (already matched to our names, see `matchGptWeights`). */
  static fromWeights(config: GptConfig, weights: Map<string, NamedTensorData>, seed = 0): GptModule {
    const module = new GptModule(config, seed);
    for (const spec of gptWeightSpecs(config)) {
      const w = weights.get(spec.name);
      if (!w) throw new Error(`fromWeights: missing tensor '${spec.name}'`);
      const value = tf.tensor(w.data, spec.shape, 'float32');
      module.variables.set(spec.name, tf.variable(value, true));
      value.dispose();
    }
    return module;
  }

  noWeightDecay(name: string): boolean {
    // nanoGPT/AdamW convention: decay the matrices (embeddings included), not biases or LayerNorm gains.
    return name.endsWith('.bias') || /\.ln_(1|2|f)\./.test(name);
  }

  private v(name: string): tf.Variable {
    const variable = this.variables.get(name);
    if (!variable) throw new Error(`GPT module has no variable '${name}'`);
    return variable;
  }

  /** x [N, in] @ W [in, out] + b (HF Conv1D layout), then GPT-2's `gelu_new` for the MLP's first layer. */
  private linear(x: tf.Tensor2D, prefix: string, activation: 'none' | 'gelu_new' = 'none'): tf.Tensor2D {
    return linear(x, this.v(`${prefix}.weight`) as tf.Tensor2D, this.v(`${prefix}.bias`) as tf.Tensor1D, activation);
  }

  forward(ids: tf.Tensor2D, options: ForwardOptions): ForwardOutput {
    const [batch, time] = ids.shape;
    const c = this.config;
    if (time > c.n_positions) {
      throw new Error(`sequence of ${time} tokens is longer than the context window (n_positions=${c.n_positions})`);
    }
    const training = options.training;
    const baseSeed = options.dropoutSeed ?? deriveIndexedSeed(this.seed, 1_000_003 + this.dropoutCalls++);
    let site = 0;
    const drop = <T extends tf.Tensor>(x: T, rate: number): T => dropout(x, rate, deriveIndexedSeed(baseSeed, site++), training);

    return tf.tidy(() => {
      const positions = options.positionIds
        ? tf.cast(options.positionIds, 'int32')
        : tf.tile(tf.reshape(tf.range(0, time, 1, 'int32'), [1, time]), [batch, 1]);
      const tokenEmb = embeddingLookup(this.v('transformer.wte.weight') as tf.Tensor2D, ids);
      const posEmb = embeddingLookup(this.v('transformer.wpe.weight') as tf.Tensor2D, positions);
      let x = drop(tf.reshape(tf.add(tokenEmb, posEmb), [batch * time, c.n_embd]) as tf.Tensor2D, c.embd_pdrop);
      const bias = attentionBias(batch, time, options.attentionMask, options.segmentIds, options.prefixSegmentIds);

      for (let i = 0; i < c.n_layer; i++) {
        const p = `transformer.h.${i}`;
        // A tidy per layer frees its intermediates when the layer is done (tfjs keeps what a backward pass needs),
        // so inference holds one layer's activations at a time instead of every layer's.
        const input = x;
        x = tf.tidy(() => {
          const attended: tf.Tensor2D = tf.add(input, drop(this.attention(this.norm(input, `${p}.ln_1`), batch, time, bias, p, drop), c.resid_pdrop));
          const h = this.linear(this.norm(attended, `${p}.ln_2`), `${p}.mlp.c_fc`, 'gelu_new');
          return tf.add(attended, drop(this.linear(h, `${p}.mlp.c_proj`), c.resid_pdrop));
        });
      }

      const hidden = this.norm(x, 'transformer.ln_f');
      if (options.hiddenOnly) {
        return { logits: tf.zeros([batch, time, 0]) as tf.Tensor3D, hidden: tf.reshape(hidden, [batch, time, c.n_embd]) as tf.Tensor3D };
      }
      const logits = this.lmHead(hidden); // [B*T, V]
      return {
        logits: tf.reshape(logits, [batch, time, c.vocab_size]) as tf.Tensor3D,
        hidden: tf.reshape(hidden, [batch, time, c.n_embd]) as tf.Tensor3D,
      };
    });
  }

  /** The LM head (tied to the token embedding unless configured otherwise): hidden [N, d] -> logits [N, V]. */
  lmHead(hidden: tf.Tensor2D): tf.Tensor2D {
    const head = this.config.tie_word_embeddings ? this.v('transformer.wte.weight') : this.v('lm_head.weight');
    return matMul(hidden, head, false, true);
  }

  /** Incremental decoding (see `CausalLMModule.forwardCached`): the new tokens attend to `cache` and themselves;
   *  returns the next-token logits of the last new position, [B, V]. No dropout. */
  forwardCached(ids: tf.Tensor2D, cache: KVCache, options: CachedForwardOptions): tf.Tensor2D {
    const [batch, time] = ids.shape;
    const c = this.config;
    const noDropout = <T extends tf.Tensor>(x: T): T => x;
    return tf.tidy(() => {
      const tokenEmb = embeddingLookup(this.v('transformer.wte.weight') as tf.Tensor2D, ids);
      const posEmb = embeddingLookup(this.v('transformer.wpe.weight') as tf.Tensor2D, tf.cast(options.positionIds, 'int32'));
      let x = tf.reshape(tf.add(tokenEmb, posEmb), [batch * time, c.n_embd]) as tf.Tensor2D;
      for (let i = 0; i < c.n_layer; i++) {
        const p = `transformer.h.${i}`;
        x = tf.add(x, this.attention(this.norm(x, `${p}.ln_1`), batch, time, options.attentionBias, p, noDropout, { cache, layer: i }));
        x = tf.add(x, this.linear(this.linear(this.norm(x, `${p}.ln_2`), `${p}.mlp.c_fc`, 'gelu_new'), `${p}.mlp.c_proj`));
      }
      const last = tf.reshape(tf.slice(tf.reshape(x, [batch, time, c.n_embd]), [0, time - 1, 0], [batch, 1, c.n_embd]), [batch, c.n_embd]);
      const head = c.tie_word_embeddings ? this.v('transformer.wte.weight') : this.v('lm_head.weight');
      return matMul(this.norm(last as tf.Tensor2D, 'transformer.ln_f'), head, false, true);
    });
  }

  private norm(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    return layerNorm(x, this.v(`${prefix}.weight`) as tf.Tensor1D, this.v(`${prefix}.bias`) as tf.Tensor1D, this.config.layer_norm_epsilon);
  }

  /** Causal multi-head self-attention on x [B*T, d]; returns [B*T, d] after the output projection. With `cached`,
   *  the keys and values go into the cache and the queries attend to all of its positions (`bias` [B, 1, T, L]). */
  private attention(
    x: tf.Tensor2D, batch: number, time: number, bias: tf.Tensor4D, p: string,
    drop: <T extends tf.Tensor>(x: T, rate: number) => T, cached?: { cache: KVCache; layer: number },
  ): tf.Tensor2D {
    const { n_embd: d, n_head: heads } = this.config;
    const headDim = d / heads;
    const qkv = this.linear(x, `${p}.attn.c_attn`);
    const [q, newKey, newValue] = tf.split(qkv, 3, 1).map(
      (t) => tf.transpose(tf.reshape(t, [batch, time, heads, headDim]), [0, 2, 1, 3]) as tf.Tensor4D,
    ) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const { key: k, value: v } = cached ? cached.cache.append(cached.layer, newKey, newValue) : { key: newKey, value: newValue };
    const scores = tf.add(tf.mul(matMul(q, k, false, true), 1 / Math.sqrt(headDim)), bias);
    const weights = drop(tf.softmax(scores), this.config.attn_pdrop);
    const y = matMul(weights, v); // [B, H, T, hd]
    const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [batch * time, d]) as tf.Tensor2D;
    return this.linear(merged, `${p}.attn.c_proj`);
  }

  /**
   * Grow the vocabulary to `newVocabSize` (tokens added to the tokenizer): `transformer.wte.weight` (which is also
   * the LM head when tied) and an untied `lm_head.weight` get new rows around the mean of their old rows (HF
   * `resize_token_embeddings` with mean_resizing; see `meanResizedRows`); old rows are unchanged.
   */
  resizeTokenEmbeddings(newVocabSize: number, seed: number): void {
    const names = this.config.tie_word_embeddings ? ['transformer.wte.weight'] : ['transformer.wte.weight', 'lm_head.weight'];
    names.forEach((name, i) => {
      replaceVariable(this.variables, name, meanResizedRows(this.v(name) as tf.Tensor2D, newVocabSize, deriveIndexedSeed(seed, i)));
    });
    this.config.vocab_size = newVocabSize;
  }

  exportWeights(): Map<string, NamedTensorData> {
    const out = new Map<string, NamedTensorData>();
    for (const [name, variable] of this.variables) {
      out.set(name, { shape: [...variable.shape], data: variable.dataSync() as Float32Array });
    }
    return out;
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }
}
