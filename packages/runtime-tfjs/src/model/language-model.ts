/**
 * `TfjsLanguageModel`: the core `TrainableModel` around any architecture's `CausalLMModule` and a tokenizer.
 * Scoring goes through the one BabyLM rule in ../scoring; saving writes an HF checkpoint directory through
 * ../checkpoint. Architecture plugins (model-gpt, model-llama) only build the module.
 *
 * When the tokenizer can add tokens (a `BpeTokenizer`) and the module can grow its embeddings, the model offers
 * core's optional hook `addSpecialTokens(tokens)` (instruction tuning uses it to add the chat-role tokens to a
 * checkpoint pretrained without them); after it, `save(dir)` writes a consistent checkpoint (config.vocab_size =
 * embedding rows, tokenizer.json with the added tokens) that loads in ours and in transformers.
 */
import {
  deriveIndexedSeed, hashString,
  type LogLikelihoodRequest, type LogLikelihoodResult, type ModelInfo, type TrainableModel, type Tokenizer,
  type GenerationDefaults, type GenerationOptions, type GenerationOutput, type GenerationPrompt, type TextGenerator,
} from '@class-it/core';
import type { CausalLMModule, HasCausalLMModule } from '../causal-lm.js';
import { currentBackend } from '../engine/backend.js';
import { scoreLogLikelihood, scoreNextToken, type TfjsScoringOptions } from '../scoring/scorer.js';
import { saveCheckpointDir } from '../checkpoint/checkpoint-dir.js';
import { generateText } from '../generation/generate.js';
import { resolveGenerationDefaults } from '../generation/generation-config.js';

/** A tokenizer that can return a copy of itself with more special tokens (`BpeTokenizer` can). */
interface CanAddSpecialTokens extends Tokenizer {
  withAddedSpecialTokens(tokens: string[]): Tokenizer;
}

function canAddSpecialTokens(tokenizer: Tokenizer): tokenizer is CanAddSpecialTokens {
  return typeof (tokenizer as Partial<CanAddSpecialTokens>).withAddedSpecialTokens === 'function';
}

/** A seed for the new embedding rows that depends only on what is added (runs are reproducible). */
function seedOfTokens(tokens: string[], vocabSize: number): number {
  return deriveIndexedSeed(hashString(tokens.join('\u0000')), vocabSize);
}

function variableSize(module: CausalLMModule): number {
  let n = 0;
  for (const v of module.variables.values()) n += v.size;
  return n;
}

export interface TfjsLanguageModelOptions {
  /** Architecture plugin name, e.g. `gpt`, `llama`. */
  architecture: string;
  /** Directory the weights came from, or the preset name of a fresh model. */
  source: string;
  parameterCount: number;
  /** The checkpoint's generation_config.json, when it has one (generation defaults; written back by `save`). */
  generationConfig?: Record<string, unknown>;
}

export class TfjsLanguageModel implements TrainableModel, TextGenerator, HasCausalLMModule {
  private currentTokenizer: Tokenizer;
  /**
   * Core's optional hook (see core `canAddTokens`): add `tokens` as special tokens and grow the embeddings to the
   * new vocabulary. Present only when the tokenizer can add tokens and the module can resize its embeddings.
   */
  readonly addSpecialTokens?: (tokens: string[]) => Promise<void>;

  constructor(
    readonly module: CausalLMModule,
    tokenizer: Tokenizer,
    private readonly options: TfjsLanguageModelOptions,
  ) {
    if (tokenizer.vocabSize > module.vocabSize) {
      throw new Error(`tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary has only ${module.vocabSize}`);
    }
    this.currentTokenizer = tokenizer;
    if (canAddSpecialTokens(tokenizer) && typeof module.resizeTokenEmbeddings === 'function') {
      this.addSpecialTokens = async (tokens) => this.addTokens(tokens);
    }
  }

  /** The tokenizer (replaced by `addSpecialTokens`). */
  get tokenizer(): Tokenizer { return this.currentTokenizer; }

  get architecture(): string { return this.options.architecture; }
  get config(): Record<string, unknown> { return this.module.config; }
  get hiddenSize(): number { return this.module.hiddenSize; }

  get info(): ModelInfo {
    return {
      architecture: this.options.architecture,
      source: this.options.source,
      parameterCount: this.options.parameterCount,
      backend: currentBackend(),
      contextLength: this.module.contextLength,
    };
  }

  async logLikelihood(requests: LogLikelihoodRequest[], options?: TfjsScoringOptions): Promise<LogLikelihoodResult[]> {
    return scoreLogLikelihood(this.module, this.tokenizer, requests, options);
  }

  async nextTokenLogprobs(requests: Array<{ context: string; tokenId: number }>, options?: TfjsScoringOptions): Promise<number[]> {
    return scoreNextToken(this.module, this.tokenizer, requests, options);
  }

  /** Generation defaults: the checkpoint's generation_config.json over HF's (see ../generation/generation-config.ts). */
  get generationDefaults(): GenerationDefaults {
    return resolveGenerationDefaults(this.options.generationConfig, this.module.config, this.currentTokenizer);
  }

  /** Generate continuations with the KV cache when the module has one (see ../generation/generate.ts). */
  async generate(prompts: GenerationPrompt[], options?: GenerationOptions): Promise<GenerationOutput[]> {
    return generateText(this.module, this.currentTokenizer, this.generationDefaults, prompts, options);
  }

  /**
   * Add `tokens` as special tokens (ids after the last one; tokens already present only become special) and grow
   * the module's embeddings to the tokenizer's new size. A vocabulary that already has room (config.vocab_size
   * larger than the tokenizer, as in padded checkpoints) is not grown. Call it before training starts.
   */
  private addTokens(tokens: string[]): void {
    const tokenizer = this.currentTokenizer;
    const resize = this.module.resizeTokenEmbeddings;
    if (!canAddSpecialTokens(tokenizer) || !resize) throw new Error('this model cannot add tokens');
    const grown = tokenizer.withAddedSpecialTokens(tokens);
    const newVocabSize = Math.max(grown.vocabSize, this.module.vocabSize);
    if (newVocabSize > this.module.vocabSize) {
      const before = variableSize(this.module);
      resize.call(this.module, newVocabSize, seedOfTokens(tokens, this.module.vocabSize));
      this.options.parameterCount += variableSize(this.module) - before;
    }
    this.currentTokenizer = grown;
  }

  async save(dir: string): Promise<void> {
    await saveCheckpointDir(dir, {
      config: this.module.config,
      hfArchitectures: [...this.module.hfArchitectures],
      weights: this.module.exportWeights(),
      tokenizer: this.currentTokenizer,
      generationConfig: this.options.generationConfig,
    });
  }

  dispose(): void {
    this.module.dispose();
  }
}
