/**
 * `TfjsLanguageModel`: the core `TrainableModel` around any architecture's `CausalLMModule` and a tokenizer.
 * Scoring goes through the one BabyLM rule in ../scoring; saving writes an HF checkpoint directory through
 * ../checkpoint. Architecture plugins (model-gpt, model-llama) only build the module.
 */
import type {
  LogLikelihoodRequest, LogLikelihoodResult, ModelInfo, TrainableModel, Tokenizer,
} from '@class-it/core';
import type { CausalLMModule, HasCausalLMModule } from '../causal-lm.js';
import { currentBackend } from '../engine/backend.js';
import { scoreLogLikelihood, scoreNextToken, type TfjsScoringOptions } from '../scoring/scorer.js';
import { saveCheckpointDir } from '../checkpoint/checkpoint-dir.js';

export interface TfjsLanguageModelOptions {
  /** Architecture plugin name, e.g. `gpt`, `llama`. */
  architecture: string;
  /** HF class names for config.json `architectures`, e.g. `['GPT2LMHeadModel']`. */
  hfArchitectures: string[];
  /** Directory the weights came from, or the preset name of a fresh model. */
  source: string;
  parameterCount: number;
}

export class TfjsLanguageModel implements TrainableModel, HasCausalLMModule {
  constructor(
    readonly module: CausalLMModule,
    readonly tokenizer: Tokenizer,
    private readonly options: TfjsLanguageModelOptions,
  ) {
    if (tokenizer.vocabSize > module.vocabSize) {
      throw new Error(`tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary has only ${module.vocabSize}`);
    }
  }

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

  async save(dir: string): Promise<void> {
    await saveCheckpointDir(dir, {
      config: this.module.config,
      hfArchitectures: this.options.hfArchitectures,
      weights: this.module.exportWeights(),
      tokenizer: this.tokenizer,
    });
  }

  dispose(): void {
    this.module.dispose();
  }
}
