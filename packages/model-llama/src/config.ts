/**
 * LLaMA config with HF `LlamaConfig` field names (so `config.json` opens in transformers), presets, validation
 * and the parameter count.
 */
import { ConfigError } from '@class-it/core';

export type LlamaConfig = {
  model_type: 'llama';
  architectures: string[];
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  hidden_act: 'silu';
  max_position_embeddings: number;
  initializer_range: number;
  rms_norm_eps: number;
  rope_theta: number;
  /** transformers >= 5 keeps the rotary settings here; written beside the classic `rope_theta` field. */
  rope_parameters: { rope_type: 'default'; rope_theta: number };
  rope_scaling: null;
  attention_bias: false;
  mlp_bias: false;
  attention_dropout: number;
  tie_word_embeddings: boolean;
  bos_token_id: number | null;
  eos_token_id: number | null;
  pad_token_id: number | null;
  torch_dtype: 'float32';
};

/** transformers' LlamaConfig defaults, except a small default size (the presets set real sizes). */
export const LLAMA_DEFAULTS: LlamaConfig = {
  model_type: 'llama',
  architectures: ['LlamaForCausalLM'],
  vocab_size: 32000,
  hidden_size: 768,
  intermediate_size: 2048,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  num_key_value_heads: 12,
  head_dim: 64,
  hidden_act: 'silu',
  max_position_embeddings: 512,
  initializer_range: 0.02,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  rope_parameters: { rope_type: 'default', rope_theta: 10000 },
  rope_scaling: null,
  attention_bias: false,
  mlp_bias: false,
  attention_dropout: 0,
  tie_word_embeddings: false,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: null,
  torch_dtype: 'float32',
};

export const LLAMA_PRESETS: Record<string, Partial<LlamaConfig>> = {
  /** For tests: well under 1M parameters with a small vocabulary; GQA (4 heads share 2 key/value heads). */
  'llama-tiny': {
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 128,
    vocab_size: 1000,
  },
  /** The CLASS-IT paper's larger size: 12 layers, 768 wide, FFN 2048, 32k vocabulary, about 134M parameters. */
  'llama-140m': {
    hidden_size: 768,
    intermediate_size: 2048,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    num_key_value_heads: 12,
    max_position_embeddings: 512,
    vocab_size: 32000,
  },
};

const POSITIVE_INTEGER_FIELDS = [
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'head_dim',
  'max_position_embeddings',
] as const;

/** Fields this implementation does not support, with the only value it accepts. */
const FIXED_FIELDS: Array<[string, unknown]> = [
  ['hidden_act', 'silu'],
  ['attention_bias', false],
  ['mlp_bias', false],
];

/**
 * A complete, validated config from a raw one (a config.json, or a preset plus overrides). `head_dim` defaults
 * to hidden_size / num_attention_heads and `num_key_value_heads` to num_attention_heads, as in transformers.
 * `where` names the source (a file or preset) in errors.
 */
export function resolveLlamaConfig(raw: Record<string, unknown>, where = 'llama config'): LlamaConfig {
  const heads = (raw.num_attention_heads ?? LLAMA_DEFAULTS.num_attention_heads) as number;
  const hidden = (raw.hidden_size ?? LLAMA_DEFAULTS.hidden_size) as number;
  const ropeTheta = ropeThetaOf(raw, where);
  const merged: Record<string, unknown> = {
    ...LLAMA_DEFAULTS,
    num_key_value_heads: raw.num_key_value_heads ?? heads,
    head_dim: raw.head_dim ?? (Number.isInteger(hidden / heads) ? hidden / heads : undefined),
    ...stripNullish(raw, ['num_key_value_heads', 'head_dim']),
    rope_theta: ropeTheta,
    model_type: 'llama',
    architectures: ['LlamaForCausalLM'],
  };
  for (const field of POSITIVE_INTEGER_FIELDS) {
    const value = merged[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new ConfigError(`must be a positive integer, got ${JSON.stringify(value)}`, { file: where, field });
    }
  }
  for (const field of ['rms_norm_eps', 'rope_theta', 'initializer_range'] as const) {
    const value = merged[field];
    if (typeof value !== 'number' || !(value > 0)) {
      throw new ConfigError(`must be a positive number, got ${JSON.stringify(value)}`, { file: where, field });
    }
  }
  const dropout = merged.attention_dropout;
  if (typeof dropout !== 'number' || dropout < 0 || dropout >= 1) {
    throw new ConfigError(`must be a number in [0, 1), got ${JSON.stringify(dropout)}`, {
      file: where,
      field: 'attention_dropout',
    });
  }
  for (const [field, only] of FIXED_FIELDS) {
    if (merged[field] !== only) {
      throw new ConfigError(`only ${JSON.stringify(only)} is supported, got ${JSON.stringify(merged[field])}`, {
        file: where,
        field,
      });
    }
  }
  merged.rope_scaling = null;
  merged.rope_parameters = { rope_type: 'default', rope_theta: merged.rope_theta };
  const kvHeads = merged.num_key_value_heads as number;
  if ((merged.num_attention_heads as number) % kvHeads !== 0) {
    throw new ConfigError(
      `num_attention_heads (${merged.num_attention_heads}) must be a multiple of num_key_value_heads (${kvHeads})`,
      { file: where, field: 'num_key_value_heads' },
    );
  }
  if ((merged.head_dim as number) % 2 !== 0) {
    throw new ConfigError(`must be even for rotary embeddings, got ${merged.head_dim}`, { file: where, field: 'head_dim' });
  }
  if (typeof merged.tie_word_embeddings !== 'boolean') {
    throw new ConfigError('must be true or false', { file: where, field: 'tie_word_embeddings' });
  }
  for (const field of ['bos_token_id', 'eos_token_id', 'pad_token_id'] as const) {
    const value = merged[field];
    if (Array.isArray(value) && value.length > 0 && value.every((v) => Number.isInteger(v))) {
      continue; // transformers allows a list of eos ids; keep it for the round trip
    }
    if (value !== null && value !== undefined && !Number.isInteger(value)) {
      throw new ConfigError(`must be an integer or null, got ${JSON.stringify(value)}`, { file: where, field });
    }
    if (value === undefined) merged[field] = null;
  }
  merged.torch_dtype = 'float32';
  return merged as unknown as LlamaConfig;
}

/**
 * The rotary base from either spelling: transformers 4 (`rope_theta`, `rope_scaling: null`) or 5
 * (`rope_parameters: {rope_type: "default", rope_theta}`). Only plain (unscaled) rotary embeddings are supported.
 */
function ropeThetaOf(raw: Record<string, unknown>, where: string): unknown {
  for (const field of ['rope_scaling', 'rope_parameters'] as const) {
    const value = raw[field] as Record<string, unknown> | null | undefined;
    if (value === null || value === undefined) continue;
    const type = value.rope_type ?? value.type;
    if (typeof value !== 'object' || (type !== undefined && type !== 'default')) {
      throw new ConfigError(`only default (unscaled) rotary embeddings are supported, got ${JSON.stringify(value)}`, {
        file: where,
        field,
      });
    }
    if (value.partial_rotary_factor !== undefined && value.partial_rotary_factor !== 1) {
      throw new ConfigError('partial rotary embeddings are not supported', { file: where, field });
    }
    if (raw.rope_theta === undefined && value.rope_theta !== undefined) return value.rope_theta;
  }
  return raw.rope_theta ?? LLAMA_DEFAULTS.rope_theta;
}

function stripNullish(raw: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  for (const key of keys) if (out[key] === null || out[key] === undefined) delete out[key];
  return out;
}

/** Preset (by name) plus overrides, validated. */
export function presetConfig(preset: string | undefined, overrides: Record<string, unknown> = {}): LlamaConfig {
  if (preset !== undefined && !(preset in LLAMA_PRESETS)) {
    throw new ConfigError(`unknown llama preset '${preset}' (known: ${Object.keys(LLAMA_PRESETS).join(', ')})`, {
      field: 'preset',
    });
  }
  const base = preset ? LLAMA_PRESETS[preset]! : {};
  return resolveLlamaConfig({ ...base, ...overrides }, preset ? `preset ${preset}` : 'llama config');
}

/** Number of trainable parameters (tied embeddings counted once), without building the model. */
export function llamaParameterCount(config: LlamaConfig): number {
  const h = config.hidden_size;
  const qWidth = config.num_attention_heads * config.head_dim;
  const kvWidth = config.num_key_value_heads * config.head_dim;
  const attention = h * qWidth + 2 * h * kvWidth + qWidth * h;
  const mlp = 3 * h * config.intermediate_size;
  const perLayer = attention + mlp + 2 * h;
  const embeddings = config.vocab_size * h * (config.tie_word_embeddings ? 1 : 2);
  return config.num_hidden_layers * perLayer + h + embeddings;
}
