/**
 * GPT-2 config with HF `GPT2Config` field names (so config.json opens in transformers), presets, and the
 * parameter count of a config without building it.
 */
import { ConfigError } from '@class-it/core';

export interface GptConfig {
  model_type: 'gpt2';
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  /** MLP width; null means 4 * n_embd (as HF). */
  n_inner: number | null;
  activation_function: 'gelu_new';
  resid_pdrop: number;
  embd_pdrop: number;
  attn_pdrop: number;
  layer_norm_epsilon: number;
  initializer_range: number;
  scale_attn_weights: boolean;
  scale_attn_by_inverse_layer_idx: boolean;
  reorder_and_upcast_attn: boolean;
  tie_word_embeddings: boolean;
  bos_token_id: number | null;
  eos_token_id: number | null;
  pad_token_id?: number | null;
  [extra: string]: unknown;
}

/** HF GPT2Config defaults for the fields we use (vocab/size fields are overwritten by presets). */
export const GPT_DEFAULTS: GptConfig = {
  model_type: 'gpt2',
  vocab_size: 50257,
  n_positions: 1024,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  n_inner: null,
  activation_function: 'gelu_new',
  resid_pdrop: 0.1,
  embd_pdrop: 0.1,
  attn_pdrop: 0.1,
  layer_norm_epsilon: 1e-5,
  initializer_range: 0.02,
  scale_attn_weights: true,
  scale_attn_by_inverse_layer_idx: false,
  reorder_and_upcast_attn: false,
  tie_word_embeddings: true,
  bos_token_id: 50256,
  eos_token_id: 50256,
};

/** Presets. Parameter counts (tied embeddings): gpt-tiny 0.14M, gpt-10m 10.6M, gpt2-100m 98.0M, gpt-140m 139.0M. */
export const GPT_PRESETS: Record<string, Partial<GptConfig>> = {
  'gpt-tiny': { n_layer: 2, n_embd: 64, n_head: 2, n_positions: 128, vocab_size: 512 },
  'gpt-10m': { n_layer: 8, n_embd: 256, n_head: 4, n_positions: 512, vocab_size: 16384 },
  'gpt2-100m': { n_layer: 12, n_embd: 768, n_head: 12, n_positions: 512, vocab_size: 16384 },
  'gpt-140m': { n_layer: 16, n_embd: 768, n_head: 12, n_positions: 512, vocab_size: 32768 },
};

const INTEGER_FIELDS = ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head'] as const;
const RATE_FIELDS = ['resid_pdrop', 'embd_pdrop', 'attn_pdrop'] as const;

/** Defaults <- preset <- overrides, validated. `source` names where the config came from, for errors. */
export function resolveGptConfig(preset: string | undefined, overrides: Record<string, unknown> = {}, source = 'config'): GptConfig {
  let presetFields: Partial<GptConfig> = {};
  if (preset !== undefined) {
    const found = GPT_PRESETS[preset];
    if (!found) {
      throw new ConfigError(`unknown gpt preset '${preset}'; expected one of ${Object.keys(GPT_PRESETS).join(', ')}`, { field: 'preset' });
    }
    presetFields = found;
  }
  const config = { ...GPT_DEFAULTS, ...presetFields, ...overrides } as GptConfig;
  validateGptConfig(config, source);
  return config;
}

/** Check the fields the forward pass relies on; errors name the file (source) and the field. */
export function validateGptConfig(config: GptConfig, source = 'config'): void {
  if (config.model_type !== 'gpt2') {
    throw new ConfigError(`model_type must be 'gpt2', got ${JSON.stringify(config.model_type)}`, { file: source, field: 'model_type' });
  }
  for (const field of INTEGER_FIELDS) {
    const v = config[field];
    if (!Number.isInteger(v) || v <= 0) {
      throw new ConfigError(`must be a positive integer, got ${JSON.stringify(v)}`, { file: source, field });
    }
  }
  if (config.n_inner !== null && config.n_inner !== undefined && (!Number.isInteger(config.n_inner) || config.n_inner <= 0)) {
    throw new ConfigError(`must be null or a positive integer, got ${JSON.stringify(config.n_inner)}`, { file: source, field: 'n_inner' });
  }
  if (config.n_embd % config.n_head !== 0) {
    throw new ConfigError(`n_embd (${config.n_embd}) must be divisible by n_head (${config.n_head})`, { file: source, field: 'n_head' });
  }
  for (const field of RATE_FIELDS) {
    const v = config[field];
    if (typeof v !== 'number' || v < 0 || v >= 1) {
      throw new ConfigError(`must be a number in [0, 1), got ${JSON.stringify(v)}`, { file: source, field });
    }
  }
  if (!['gelu_new', 'gelu_pytorch_tanh'].includes(config.activation_function)) {
    throw new ConfigError(`only 'gelu_new' (tanh GELU) is implemented, got ${JSON.stringify(config.activation_function)}`, { file: source, field: 'activation_function' });
  }
  for (const flag of ['scale_attn_by_inverse_layer_idx', 'reorder_and_upcast_attn'] as const) {
    if (config[flag]) throw new ConfigError(`${flag}=true is not supported`, { file: source, field: flag });
  }
  if (config.scale_attn_weights === false) {
    throw new ConfigError('scale_attn_weights=false is not supported', { file: source, field: 'scale_attn_weights' });
  }
}

export function mlpWidth(config: GptConfig): number {
  return config.n_inner ?? 4 * config.n_embd;
}

/** Number of parameters (tied lm_head counted once, as HF's num_parameters()). */
export function gptParameterCount(config: GptConfig): number {
  const d = config.n_embd;
  const inner = mlpWidth(config);
  const perLayer = 2 * d /* ln_1 */ + (d * 3 * d + 3 * d) /* c_attn */ + (d * d + d) /* attn.c_proj */ +
    2 * d /* ln_2 */ + (d * inner + inner) /* c_fc */ + (inner * d + d); /* mlp.c_proj */
  const embeddings = config.vocab_size * d + config.n_positions * d;
  const head = config.tie_word_embeddings ? 0 : config.vocab_size * d;
  return embeddings + config.n_layer * perLayer + 2 * d + head;
}
