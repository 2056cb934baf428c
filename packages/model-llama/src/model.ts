/**
 * The LLaMA decoder (HF `LlamaForCausalLM`) as a tfjs `CausalLMModule`, in the spirit of nanoGPT's model.py:
 *
 *   x = embed_tokens[ids]
 *   for each layer:  x = x + attention(rms_norm(x))      # rotary q/k, grouped-query attention, causal + masks
 *                    x = x + mlp(rms_norm(x))            # SwiGLU: down(silu(gate(x)) * up(x))
 *   hidden = rms_norm(x);  logits = hidden @ lm_head^T   # lm_head = embed_tokens when tied
 *
 * No biases anywhere. Variables are keyed by their HF tensor names; linear weights are stored as [in, out]
 * (the fast matmul layout on wasm) and transposed to HF's [out, in] by `exportWeights` / `fromHfWeights`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DataError, deriveIndexedSeed } from '@class-it/core';
import {
  attentionBias,
  dropout,
  embeddingLookup,
  matMul,
  meanResizedRows,
  replaceVariable,
  type CausalLMModule,
  type ForwardOptions,
  type ForwardOutput,
  type CachedForwardOptions,
  type KVCache,
} from '@class-it/runtime-tfjs';
import type { LlamaConfig } from './config.js';

/** tfjs variable names are global: each module instance prefixes its HF names with its own number. */
let modulesCreated = 0;

interface TensorSpec {
  name: string;
  /** Shape as stored here ([in, out] for linear weights). */
  shape: number[];
  kind: 'linear' | 'embedding' | 'norm';
}

/** Every parameter of a config, in HF order, with its shape and kind. */
export function llamaTensorSpecs(config: LlamaConfig): TensorSpec[] {
  const h = config.hidden_size;
  const q = config.num_attention_heads * config.head_dim;
  const kv = config.num_key_value_heads * config.head_dim;
  const ffn = config.intermediate_size;
  const specs: TensorSpec[] = [{ name: 'model.embed_tokens.weight', shape: [config.vocab_size, h], kind: 'embedding' }];
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    specs.push(
      { name: `${p}.input_layernorm.weight`, shape: [h], kind: 'norm' },
      { name: `${p}.self_attn.q_proj.weight`, shape: [h, q], kind: 'linear' },
      { name: `${p}.self_attn.k_proj.weight`, shape: [h, kv], kind: 'linear' },
      { name: `${p}.self_attn.v_proj.weight`, shape: [h, kv], kind: 'linear' },
      { name: `${p}.self_attn.o_proj.weight`, shape: [q, h], kind: 'linear' },
      { name: `${p}.post_attention_layernorm.weight`, shape: [h], kind: 'norm' },
      { name: `${p}.mlp.gate_proj.weight`, shape: [h, ffn], kind: 'linear' },
      { name: `${p}.mlp.up_proj.weight`, shape: [h, ffn], kind: 'linear' },
      { name: `${p}.mlp.down_proj.weight`, shape: [ffn, h], kind: 'linear' },
    );
  }
  specs.push({ name: 'model.norm.weight', shape: [h], kind: 'norm' });
  if (!config.tie_word_embeddings) specs.push({ name: 'lm_head.weight', shape: [h, config.vocab_size], kind: 'linear' });
  return specs;
}

/** HF names that carry no parameters of ours and may be skipped when loading (old rotary buffers). */
function isIgnorableHfTensor(name: string): boolean {
  return name.endsWith('.rotary_emb.inv_freq');
}

export class LlamaModule implements CausalLMModule {
  readonly architecture = 'llama';
  readonly hfArchitectures = ['LlamaForCausalLM'];
  /** forward passes `prefixSegmentIds` to `attentionBias`: scoring may share prefixes. */
  readonly supportsPrefixSegments = true;
  readonly variables = new Map<string, tf.Variable>();
  private specs: TensorSpec[];
  /** Rotary inverse frequencies, [head_dim / 2], computed as transformers does. */
  private readonly invFreq: tf.Tensor1D;

  private constructor(
    readonly config: LlamaConfig,
    initial: (spec: TensorSpec, index: number) => tf.Tensor,
  ) {
    this.specs = llamaTensorSpecs(config);
    const prefix = `llama${++modulesCreated}/`;
    this.specs.forEach((spec, index) => {
      const value = initial(spec, index);
      this.variables.set(spec.name, tf.variable(value, true, prefix + spec.name));
      value.dispose();
    });
    const half = config.head_dim / 2;
    const inv = new Float32Array(half);
    for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(config.rope_theta, (2 * i) / config.head_dim);
    this.invFreq = tf.tensor1d(inv);
  }

  /**
   * A fresh model: linear and embedding weights ~ N(0, initializer_range), norms 1 (as transformers). Tensor i
   * (in HF order) draws from seed `deriveIndexedSeed(seed, i)`, as GPT does.
   */
  static initialize(config: LlamaConfig, seed: number): LlamaModule {
    return new LlamaModule(config, (spec, index) =>
      spec.kind === 'norm'
        ? tf.ones(spec.shape)
        : tf.randomNormal(spec.shape, 0, config.initializer_range, 'float32', deriveIndexedSeed(seed, index)),
    );
  }

  /** A model from HF-layout tensors (a `model.safetensors`); `file` names the source in errors. */
  static fromHfWeights(
    config: LlamaConfig,
    tensors: Map<string, { shape: number[]; data: Float32Array }>,
    file = 'model.safetensors',
  ): LlamaModule {
    const specs = llamaTensorSpecs(config);
    const known = new Set(specs.map((s) => s.name));
    for (const name of tensors.keys()) {
      const tiedHead = name === 'lm_head.weight' && config.tie_word_embeddings;
      if (!known.has(name) && !tiedHead && !isIgnorableHfTensor(name)) {
        throw new DataError(`unexpected tensor '${name}' for a LLaMA model (is this a llama checkpoint?)`, { file });
      }
    }
    return new LlamaModule(config, (spec) => {
      const stored = tensors.get(spec.name);
      if (!stored) throw new DataError(`missing tensor '${spec.name}'`, { file });
      const hfShape = spec.kind === 'linear' ? [spec.shape[1]!, spec.shape[0]!] : spec.shape;
      if (stored.shape.length !== hfShape.length || stored.shape.some((d, i) => d !== hfShape[i])) {
        throw new DataError(
          `tensor '${spec.name}' has shape [${stored.shape}], config.json implies [${hfShape}]`,
          { file },
        );
      }
      return tf.tidy(() => {
        const t = tf.tensor(stored.data, hfShape, 'float32');
        return spec.kind === 'linear' ? tf.transpose(t) : t;
      });
    });
  }

  get hiddenSize(): number {
    return this.config.hidden_size;
  }
  get vocabSize(): number {
    return this.config.vocab_size;
  }
  get contextLength(): number {
    return this.config.max_position_embeddings;
  }

  noWeightDecay(name: string): boolean {
    return this.variables.get(name)?.rank === 1; // the RMSNorm gains (there are no biases)
  }

  forward(ids: tf.Tensor2D, options: ForwardOptions): ForwardOutput {
    const [batch, time] = ids.shape;
    if (time > this.contextLength) {
      throw new Error(`sequence length ${time} exceeds max_position_embeddings ${this.contextLength}`);
    }
    return tf.tidy(() => {
      const c = this.config;
      const positions = options.positionIds ?? tf.tile(tf.reshape(tf.range(0, time, 1, 'int32'), [1, time]), [batch, 1]);
      const rotary = this.rotaryCosSin(positions as tf.Tensor2D);
      const bias = attentionBias(batch, time, options.attentionMask, options.segmentIds, options.prefixSegmentIds);
      let x = embeddingLookup(this.weight('model.embed_tokens.weight') as tf.Tensor2D, ids) as tf.Tensor3D;
      for (let i = 0; i < c.num_hidden_layers; i++) {
        const p = `model.layers.${i}`;
        const seed = options.dropoutSeed === undefined ? undefined : deriveIndexedSeed(options.dropoutSeed, i);
        // A tidy per layer frees its intermediates when the layer is done (tfjs keeps what a backward pass needs),
        // so inference holds one layer's activations at a time instead of every layer's.
        const input = x;
        x = tf.tidy(() => {
          const attended: tf.Tensor3D = tf.add(input, this.attention(p, this.rmsNorm(input, `${p}.input_layernorm.weight`), rotary, bias, options.training, seed));
          return tf.add(attended, this.mlp(p, this.rmsNorm(attended, `${p}.post_attention_layernorm.weight`)));
        });
      }
      const hidden = this.rmsNorm(x, 'model.norm.weight');
      if (options.hiddenOnly) return { logits: tf.zeros([batch, time, 0]) as tf.Tensor3D, hidden };
      const logits = this.lmHead(tf.reshape(hidden, [batch * time, c.hidden_size]) as tf.Tensor2D);
      return { logits: tf.reshape(logits, [batch, time, c.vocab_size]) as tf.Tensor3D, hidden };
    });
  }

  /** The LM head (the token embedding when tied): hidden [N, hidden_size] -> logits [N, V]. */
  lmHead(hidden: tf.Tensor2D): tf.Tensor2D {
    return this.config.tie_word_embeddings
      ? matMul(hidden, this.weight('model.embed_tokens.weight'), false, true)
      : matMul(hidden, this.weight('lm_head.weight'));
  }

  /** Incremental decoding (see `CausalLMModule.forwardCached`): the new tokens attend to `cache` and themselves;
   *  returns the next-token logits of the last new position, [B, V]. No dropout. */
  forwardCached(ids: tf.Tensor2D, cache: KVCache, options: CachedForwardOptions): tf.Tensor2D {
    const [batch, time] = ids.shape;
    return tf.tidy(() => {
      const c = this.config;
      const rotary = this.rotaryCosSin(options.positionIds);
      let x = embeddingLookup(this.weight('model.embed_tokens.weight') as tf.Tensor2D, ids) as tf.Tensor3D;
      for (let i = 0; i < c.num_hidden_layers; i++) {
        const p = `model.layers.${i}`;
        const normed = this.rmsNorm(x, `${p}.input_layernorm.weight`);
        x = tf.add(x, this.attention(p, normed, rotary, options.attentionBias, false, undefined, { cache, layer: i }));
        x = tf.add(x, this.mlp(p, this.rmsNorm(x, `${p}.post_attention_layernorm.weight`)));
      }
      const last = tf.slice(x, [0, time - 1, 0], [batch, 1, c.hidden_size]) as tf.Tensor3D;
      const hidden = tf.reshape(this.rmsNorm(last, 'model.norm.weight'), [batch, c.hidden_size]) as tf.Tensor2D;
      return c.tie_word_embeddings
        ? matMul(hidden, this.weight('model.embed_tokens.weight'), false, true)
        : matMul(hidden, this.weight('lm_head.weight'));
    });
  }

  /** HF LlamaRMSNorm: weight * x / sqrt(mean(x^2) + eps). */
  private rmsNorm(x: tf.Tensor3D, name: string): tf.Tensor3D {
    const variance = tf.mean(tf.mul(x, x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, this.config.rms_norm_eps))), this.weight(name));
  }

  private attention(
    p: string,
    x: tf.Tensor3D,
    rotary: { cos: tf.Tensor; sin: tf.Tensor },
    bias: tf.Tensor,
    training: boolean,
    seed: number | undefined,
    cached?: { cache: KVCache; layer: number },
  ): tf.Tensor3D {
    const c = this.config;
    const [batch, time] = x.shape;
    const heads = c.num_attention_heads;
    const kvHeads = c.num_key_value_heads;
    const hd = c.head_dim;
    const split = (t: tf.Tensor3D, n: number) => tf.transpose(tf.reshape(t, [batch, time, n, hd]), [0, 2, 1, 3]); // [B,n,T,hd]
    const q = applyRotary(split(linear(x, this.weight(`${p}.self_attn.q_proj.weight`)), heads), rotary);
    const newKey = applyRotary(split(linear(x, this.weight(`${p}.self_attn.k_proj.weight`)), kvHeads), rotary) as tf.Tensor4D;
    const newValue = split(linear(x, this.weight(`${p}.self_attn.v_proj.weight`)), kvHeads) as tf.Tensor4D;
    // With a cache, the keys and values join it and the queries attend to all of its positions (bias [B,1,T,L]).
    const { key: k, value: v } = cached ? cached.cache.append(cached.layer, newKey, newValue) : { key: newKey, value: newValue };
    const keys = k.shape[2];
    // Grouped-query attention (HF repeat_kv: key/value head j serves query heads j*g .. j*g+g-1). Instead of
    // copying k and v g times, the g query heads of a group are stacked along time: [B, kvHeads, g*T, hd].
    const group = heads / kvHeads;
    const grouped = (t: tf.Tensor, width: number) => tf.reshape(t, [batch, kvHeads, group * time, width]);
    const scores = tf.reshape(matMul(grouped(q, hd), k, false, true), [batch, heads, time, keys]);
    const masked = tf.add(tf.mul(scores, 1 / Math.sqrt(hd)), bias); // [B,heads,T,keys]
    const probs = dropout(tf.softmax(masked, -1), c.attention_dropout, seed, training);
    const attended = tf.reshape(matMul(grouped(probs, keys), v), [batch, heads, time, hd]);
    const y = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [batch, time, heads * hd]) as tf.Tensor3D;
    return linear(y, this.weight(`${p}.self_attn.o_proj.weight`));
  }

  /** SwiGLU: down(silu(gate(x)) * up(x)). */
  private mlp(p: string, x: tf.Tensor3D): tf.Tensor3D {
    const gate = linear(x, this.weight(`${p}.mlp.gate_proj.weight`));
    const up = linear(x, this.weight(`${p}.mlp.up_proj.weight`));
    return linear(tf.mul(tf.mul(gate, tf.sigmoid(gate)), up), this.weight(`${p}.mlp.down_proj.weight`));
  }

  /** cos/sin of the rotary angles, [B, 1, T, head_dim] (HF convention: the half-frequencies repeated twice). */
  private rotaryCosSin(positions: tf.Tensor2D): { cos: tf.Tensor; sin: tf.Tensor } {
    const [batch, time] = positions.shape;
    const freqs = tf.mul(tf.reshape(tf.cast(positions, 'float32'), [batch, time, 1]), this.invFreq); // [B,T,hd/2]
    const angles = tf.expandDims(tf.concat([freqs, freqs], -1), 1);
    return { cos: tf.cos(angles), sin: tf.sin(angles) };
  }

  private weight(name: string): tf.Variable {
    const v = this.variables.get(name);
    if (!v) throw new Error(`llama: no variable ${name}`);
    return v;
  }

  /**
   * Grow the vocabulary to `newVocabSize` (tokens added to the tokenizer): `model.embed_tokens.weight` and an
   * untied `lm_head.weight` (stored [hidden, vocab] here, so grown as its transpose) get new rows around the mean
   * of their old rows (HF `resize_token_embeddings` with mean_resizing; see `meanResizedRows`); old rows unchanged.
   */
  resizeTokenEmbeddings(newVocabSize: number, seed: number): void {
    const embed = 'model.embed_tokens.weight';
    replaceVariable(this.variables, embed, meanResizedRows(this.weight(embed) as tf.Tensor2D, newVocabSize, deriveIndexedSeed(seed, 0)));
    if (!this.config.tie_word_embeddings) {
      const head = 'lm_head.weight';
      const grown = tf.tidy(() => {
        const rows = tf.transpose(this.weight(head)) as tf.Tensor2D; // [vocab, hidden], as HF stores it
        return tf.transpose(meanResizedRows(rows, newVocabSize, deriveIndexedSeed(seed, 1)));
      });
      replaceVariable(this.variables, head, grown);
    }
    this.config.vocab_size = newVocabSize;
    this.specs = llamaTensorSpecs(this.config);
  }

  exportWeights(): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const spec of this.specs) {
      const variable = this.weight(spec.name);
      const hf = spec.kind === 'linear' ? tf.transpose(variable) : variable;
      out.set(spec.name, { shape: hf.shape.slice(), data: hf.dataSync() as Float32Array });
      if (hf !== variable) hf.dispose();
    }
    return out;
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
    this.invFreq.dispose();
  }
}

/** x [B, T, in] @ w [in, out] -> [B, T, out]. */
function linear(x: tf.Tensor3D, w: tf.Tensor2D | tf.Variable): tf.Tensor3D {
  const [batch, time, width] = x.shape;
  return tf.reshape(matMul(tf.reshape(x, [batch * time, width]), w), [batch, time, w.shape[1]!]);
}

/** HF apply_rotary_pos_emb: x * cos + rotate_half(x) * sin, rotate_half(x) = [-x2, x1]. */
function applyRotary(x: tf.Tensor, { cos, sin }: { cos: tf.Tensor; sin: tf.Tensor }): tf.Tensor {
  const [x1, x2] = tf.split(x, 2, -1) as [tf.Tensor, tf.Tensor];
  return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], -1), sin));
}
