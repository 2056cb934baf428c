/**
 * The contract between the tfjs runtime (trainer, scorer, classifier trainer) and architecture plugins
 * (model-gpt, model-llama). An architecture implements `CausalLMModule` with tfjs ops; everything else in the
 * runtime works on this interface only, so a new architecture needs no change outside its own package.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { KVCache } from './generation/kv-cache.js';

export interface ForwardOptions {
  /** Dropout on (training) or off. */
  training: boolean;
  /** 1 for real tokens, 0 for padding, shape [B, T]. Padding never attends and is never attended to. */
  attentionMask?: tf.Tensor2D;
  /** Packing: tokens attend only to earlier tokens of the same segment id, shape [B, T]. */
  segmentIds?: tf.Tensor2D;
  /** Position ids, shape [B, T] (default 0..T-1; with packing, positions restart in each segment). */
  positionIds?: tf.Tensor2D;
  /**
   * Shared prefixes (scoring), with `segmentIds`, shape [B, T]: a token also attends to the earlier tokens whose
   * segment id equals its entry here. A row [prefix | branch 1 | branch 2] with segment ids [0.. | 1.. | 2..], prefix
   * segment ids all 0 and each branch's positions continuing the prefix's, gives each branch the numbers of
   * prefix + branch run alone. Only passed to a module whose `supportsPrefixSegments` is true.
   */
  prefixSegmentIds?: tf.Tensor2D;
  /** Seed for this call's dropout masks (determinism). */
  dropoutSeed?: number;
  /** Skip the LM head when only `hidden` is needed (classification): `logits` is then an empty [B, T, 0]
   *  tensor. A module may ignore this (it only saves time and memory). */
  hiddenOnly?: boolean;
}

/** Inputs of one incremental-decoding step besides the new token ids (see `CausalLMModule.forwardCached`). */
export interface CachedForwardOptions {
  /** Position id of each new token, [B, T]. */
  positionIds: tf.Tensor2D;
  /** Additive attention bias [B, 1, T, keys] over the cache's keys after this step (`KVCache.keyWidth`; +0 allowed,
   *  `MASKED` blocked): the causal and padding rules, and positions not written yet, built by the runtime
   *  (`cachedAttentionBias`). */
  attentionBias: tf.Tensor4D;
}

export interface ForwardOutput {
  /** [B, T, V] next-token logits. */
  logits: tf.Tensor3D;
  /** [B, T, H] final hidden states (after the final norm), for classification heads. */
  hidden: tf.Tensor3D;
}

export interface CausalLMModule {
  readonly architecture: string;
  /** HF config (GPT2Config / LlamaConfig field names). */
  readonly config: Record<string, unknown>;
  /**
   * HF class names its checkpoints are saved under (config.json `architectures`, e.g. `GPT2LMHeadModel`): the
   * causal-LM class, which transformers' `AutoModelForCausalLM` opens. A fine-tuned classifier's backbone is saved
   * under the same names (its head goes to a separate file).
   */
  readonly hfArchitectures: readonly string[];
  readonly hiddenSize: number;
  readonly vocabSize: number;
  readonly contextLength: number;
  /** Trainable variables keyed by HF tensor name (e.g. `transformer.h.0.attn.c_attn.weight`). */
  readonly variables: Map<string, tf.Variable>;
  /** Names of variables that get no weight decay (biases, norms, by AdamW convention). */
  noWeightDecay(name: string): boolean;
  /**
   * True when `forward` honours `segmentIds`, `positionIds` and `prefixSegmentIds` (passes the segment ids to the
   * runtime's `attentionBias`). The scorer then packs several short sequences into one line and runs sequences that
   * share a prefix in one row, the prefix computed once; without it (a plugin built before the option existed),
   * every sequence runs whole, one to a line.
   */
  readonly supportsPrefixSegments?: boolean;
  /** Causal forward pass. ids: [B, T] int32. Must be called inside tf.tidy or have its outputs disposed. */
  forward(ids: tf.Tensor2D, options: ForwardOptions): ForwardOutput;
  /**
   * Optional: the LM head alone, final hidden states [N, H] (rows of `forward(..., { hiddenOnly: true }).hidden`)
   * to next-token logits [N, V], the numbers `forward` gives for those rows. Scoring uses it to compute logits only
   * at the positions it reads, a few hundred rows at a time (without it, it takes them from the full [B, T, V]).
   * Must be called inside tf.tidy or have its output disposed.
   */
  lmHead?(hidden: tf.Tensor2D): tf.Tensor2D;
  /**
   * Optional: incremental decoding (generation). Run the new tokens `ids` [B, T] attending to the keys/values in
   * `cache` and their own, append their keys/values to `cache`, and return the next-token logits of the last new
   * position, [B, V]. Same numbers as `forward` on the whole sequence. Must be called inside tf.tidy or have its
   * output disposed. Without it, generation re-runs the whole sequence each step.
   */
  forwardCached?(ids: tf.Tensor2D, cache: KVCache, options: CachedForwardOptions): tf.Tensor2D;
  /** Weights in HF layout for model.safetensors (name -> float32 tensor data and shape). */
  exportWeights(): Map<string, { shape: number[]; data: Float32Array }>;
  /**
   * Optional: grow the token embedding (and an untied LM head) to `newVocabSize` rows, for tokens added to the
   * tokenizer. Existing rows stay bit-identical; new rows are initialised like HF's `resize_token_embeddings`
   * with `mean_resizing` (see `meanResizedRows`), seeded by `seed`. Updates `config.vocab_size`, disposes the old
   * variables and keeps the HF names. Call it before an optimizer is built on `variables`.
   */
  resizeTokenEmbeddings?(newVocabSize: number, seed: number): void;
  dispose(): void;
}

/** A model object that carries a tfjs module (the runtime's `TfjsLanguageModel` does). */
export interface HasCausalLMModule {
  readonly module: CausalLMModule;
}

/** The tfjs module behind a core `TrainableModel`, or a clear error if the model is not a tfjs one. */
export function causalModuleOf(model: unknown): CausalLMModule {
  const module = (model as Partial<HasCausalLMModule> | null)?.module;
  if (!module || typeof module.forward !== 'function') {
    throw new Error('this model was not created by the tfjs runtime (it has no CausalLMModule)');
  }
  return module;
}
