/**
 * The `llama` architecture: create a fresh LLaMA from a preset, load and save HF `LlamaForCausalLM` checkpoint
 * directories. Everything that is not LLaMA-specific (checkpoint files, tokenizer, scoring, training) is the
 * runtime's; this file only maps between a checkpoint and a `LlamaModule`.
 */
import path from 'node:path';
import {
  ConfigError,
  type ArchitectureConfig,
  type CreateModelOptions,
  type ModelArchitecture,
  type TrainableModel,
} from '@class-it/core';
import { ensureEngine, readCheckpointDir, TfjsLanguageModel } from '@class-it/runtime-tfjs';
import { LLAMA_PRESETS, llamaParameterCount, presetConfig, resolveLlamaConfig, type LlamaConfig } from './config.js';
import { LlamaModule } from './model.js';

function wrap(
  module: LlamaModule, tokenizer: CreateModelOptions['tokenizer'], source: string, generationConfig?: Record<string, unknown>,
): TfjsLanguageModel {
  return new TfjsLanguageModel(module, tokenizer, {
    architecture: 'llama',
    source,
    parameterCount: llamaParameterCount(module.config),
    generationConfig,
  });
}

export class LlamaArchitecture implements ModelArchitecture {
  readonly name = 'llama';
  readonly modelTypes = ['llama'];
  readonly presets: Record<string, ArchitectureConfig> = LLAMA_PRESETS;
  /** LLaMA tokenizers put `<s>` before every sequence (the released CLASS_IT-140M, a LLaMA, has distinct bos/eos/pad ids). */
  readonly defaultAddBos = true;

  /**
   * A fresh model. The vocabulary is the tokenizer's (unless `overrides.vocab_size` says otherwise) and the
   * BOS/EOS/PAD ids come from the tokenizer, so the config.json written later matches the tokenizer files.
   */
  async create({ preset, overrides = {}, tokenizer, seed }: CreateModelOptions): Promise<TrainableModel> {
    await ensureEngine();
    const config = presetConfig(preset, {
      vocab_size: tokenizer.vocabSize,
      bos_token_id: tokenizer.specialId('bos') ?? null,
      eos_token_id: tokenizer.specialId('eos') ?? null,
      pad_token_id: tokenizer.specialId('pad') ?? null,
      ...overrides,
    });
    if (config.vocab_size < tokenizer.vocabSize) {
      throw new ConfigError(`vocab_size ${config.vocab_size} is smaller than the tokenizer's ${tokenizer.vocabSize} tokens`, {
        field: 'vocab_size',
      });
    }
    return wrap(LlamaModule.initialize(config, seed), tokenizer, preset ?? 'llama');
  }

  /** Open an HF LlamaForCausalLM checkpoint directory (ours or one written by transformers). */
  async load(dir: string): Promise<TrainableModel> {
    await ensureEngine();
    const checkpoint = await readCheckpointDir(dir);
    const configFile = path.join(dir, 'config.json');
    if (checkpoint.modelType !== 'llama') {
      throw new ConfigError(`model_type is '${checkpoint.modelType}', the llama architecture reads 'llama'`, {
        file: configFile,
        field: 'model_type',
      });
    }
    const config = resolveLlamaConfig(checkpoint.config, configFile);
    const module = LlamaModule.fromHfWeights(config, checkpoint.weights, checkpoint.weightsFile);
    checkpoint.weights.clear();
    return wrap(module, checkpoint.tokenizer, dir, checkpoint.generationConfig);
  }

  parameterCount(config: ArchitectureConfig): number {
    return llamaParameterCount(resolveLlamaConfig(config) as LlamaConfig);
  }
}
