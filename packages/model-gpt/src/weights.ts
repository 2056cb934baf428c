/**
 * GPT-2 tensor names and layouts, exactly as HF `GPT2LMHeadModel` stores them in model.safetensors:
 * Conv1D weights are [in, out] (so x @ W needs no transpose), embeddings [rows, n_embd]. A tied `lm_head.weight`
 * is not stored (transformers drops tied copies when saving); an untied one is [vocab, n_embd].
 */
import { DataError } from '@class-it/core';
import { type GptConfig, mlpWidth } from './config.js';

export interface WeightSpec {
  name: string;
  shape: number[];
  init: 'normal' | 'normal-residual' | 'zeros' | 'ones';
}

/** Every stored tensor of a config, in HF order. */
export function gptWeightSpecs(config: GptConfig): WeightSpec[] {
  const d = config.n_embd;
  const inner = mlpWidth(config);
  const specs: WeightSpec[] = [
    { name: 'transformer.wte.weight', shape: [config.vocab_size, d], init: 'normal' },
    { name: 'transformer.wpe.weight', shape: [config.n_positions, d], init: 'normal' },
  ];
  for (let i = 0; i < config.n_layer; i++) {
    const p = `transformer.h.${i}`;
    specs.push(
      { name: `${p}.ln_1.weight`, shape: [d], init: 'ones' },
      { name: `${p}.ln_1.bias`, shape: [d], init: 'zeros' },
      { name: `${p}.attn.c_attn.weight`, shape: [d, 3 * d], init: 'normal' },
      { name: `${p}.attn.c_attn.bias`, shape: [3 * d], init: 'zeros' },
      { name: `${p}.attn.c_proj.weight`, shape: [d, d], init: 'normal-residual' },
      { name: `${p}.attn.c_proj.bias`, shape: [d], init: 'zeros' },
      { name: `${p}.ln_2.weight`, shape: [d], init: 'ones' },
      { name: `${p}.ln_2.bias`, shape: [d], init: 'zeros' },
      { name: `${p}.mlp.c_fc.weight`, shape: [d, inner], init: 'normal' },
      { name: `${p}.mlp.c_fc.bias`, shape: [inner], init: 'zeros' },
      { name: `${p}.mlp.c_proj.weight`, shape: [inner, d], init: 'normal-residual' },
      { name: `${p}.mlp.c_proj.bias`, shape: [d], init: 'zeros' },
    );
  }
  specs.push(
    { name: 'transformer.ln_f.weight', shape: [d], init: 'ones' },
    { name: 'transformer.ln_f.bias', shape: [d], init: 'zeros' },
  );
  if (!config.tie_word_embeddings) specs.push({ name: 'lm_head.weight', shape: [config.vocab_size, d], init: 'normal' });
  return specs;
}

/** Tensors HF checkpoints may hold that are not parameters (old causal-mask buffers). */
function isBuffer(name: string): boolean {
  return /\.attn\.(bias|masked_bias)$/.test(name);
}

export interface NamedTensorData {
  shape: number[];
  data: Float32Array;
}

/**
 * Map a checkpoint's tensors onto our names: accepts the `transformer.` prefix or none (checkpoints saved from
 * `GPT2Model`, e.g. the original `gpt2` on the Hub), skips attention-mask buffers and a tied `lm_head.weight`,
 * and rejects missing, unexpected or mis-shaped tensors with an error naming the file and the tensor.
 */
export function matchGptWeights(config: GptConfig, tensors: Map<string, NamedTensorData>, file: string): Map<string, NamedTensorData> {
  const specs = gptWeightSpecs(config);
  const wanted = new Map(specs.map((s) => [s.name, s]));
  const out = new Map<string, NamedTensorData>();
  for (const [rawName, tensor] of tensors) {
    if (isBuffer(rawName)) continue;
    let name = rawName;
    if (!wanted.has(name) && wanted.has(`transformer.${name}`)) name = `transformer.${name}`;
    if (name === 'lm_head.weight' && config.tie_word_embeddings) continue;
    const spec = wanted.get(name);
    if (!spec) throw new DataError(`unexpected tensor '${rawName}' for a GPT-2 with this config.json`, { file, field: rawName });
    if (spec.shape.join(',') !== tensor.shape.join(',')) {
      throw new DataError(`tensor '${rawName}' has shape [${tensor.shape}], config.json implies [${spec.shape}]`, { file, field: rawName });
    }
    out.set(name, tensor);
  }
  const missing = specs.filter((s) => !out.has(s.name)).map((s) => s.name);
  if (missing.length > 0) {
    throw new DataError(`missing tensors: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (+${missing.length - 5} more)` : ''}`, { file });
  }
  return out;
}
