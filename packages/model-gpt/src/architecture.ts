/**
 * The `gpt` architecture (core `ModelArchitecture`): create a fresh GPT-2 from a preset, load an HF GPT-2
 * checkpoint directory (ours or one from the Hub), count parameters. Scoring, saving and the checkpoint
 * format are the runtime's (`TfjsLanguageModel`, `readCheckpointDir`); this file only maps configs and names.
 */
import type { ArchitectureConfig, CreateModelOptions, ModelArchitecture, TrainableModel, Tokenizer } from '@class-it/core';
import { TfjsLanguageModel, readCheckpointDir, ensureEngine } from '@class-it/runtime-tfjs';
import path from 'node:path';
import { GPT_PRESETS, gptParameterCount, resolveGptConfig, type GptConfig } from './config.js';
import { matchGptWeights } from './weights.js';
import { GptModule } from './model.js';

/** Token ids the config records, from the tokenizer (HF GPT-2 uses eos as bos when there is no bos). */
function tokenIdsOf(tokenizer: Tokenizer): Partial<GptConfig> {
  const eos = tokenizer.specialId('eos') ?? null;
  const bos = tokenizer.specialId('bos') ?? eos;
  const pad = tokenizer.specialId('pad');
  return { bos_token_id: bos, eos_token_id: eos, ...(pad !== undefined ? { pad_token_id: pad } : {}) };
}

export function gptLanguageModel(
  module: GptModule, tokenizer: Tokenizer, source: string, generationConfig?: Record<string, unknown>,
): TfjsLanguageModel {
  return new TfjsLanguageModel(module, tokenizer, {
    architecture: 'gpt',
    source,
    parameterCount: gptParameterCount(module.config),
    generationConfig,
  });
}

export class GptArchitecture implements ModelArchitecture {
  readonly name = 'gpt';
  readonly modelTypes = ['gpt2'];
  readonly presets: Record<string, ArchitectureConfig> = GPT_PRESETS;
  /** GPT-2's tokenizer adds no BOS: a trained one does not either unless `pretrain.addBos` says so. */
  readonly defaultAddBos = false;

  async create(options: CreateModelOptions): Promise<TrainableModel> {
    await ensureEngine();
    const { tokenizer, seed } = options;
    // The embedding follows the tokenizer unless vocab_size is overridden explicitly.
    const config = resolveGptConfig(options.preset, {
      vocab_size: tokenizer.vocabSize,
      ...tokenIdsOf(tokenizer),
      ...options.overrides,
    });
    return gptLanguageModel(GptModule.create(config, seed), tokenizer, options.preset ?? 'gpt');
  }

  async load(dir: string): Promise<TrainableModel> {
    await ensureEngine();
    const checkpoint = await readCheckpointDir(dir);
    const config = resolveGptConfig(undefined, checkpoint.config, path.join(dir, 'config.json'));
    const weights = matchGptWeights(config, checkpoint.weights, checkpoint.weightsFile);
    return gptLanguageModel(GptModule.fromWeights(config, weights), checkpoint.tokenizer, dir, checkpoint.generationConfig);
  }

  parameterCount(config: ArchitectureConfig): number {
    return gptParameterCount(resolveGptConfig(undefined, config));
  }
}
