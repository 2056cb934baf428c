/**
 * The language-model contract, as narrow as lm-evaluation-harness's: an evaluator asks for log-likelihoods of
 * (context, continuation) pairs and never touches tensors; a model knows nothing of benchmarks.
 */
import type { Tokenizer } from './tokenizer.js';

/** Score `continuation` given `context`. The scored text is `context + continuation` (plain concatenation). */
export interface LogLikelihoodRequest {
  context: string;
  continuation: string;
}

export interface LogLikelihoodResult {
  /** Sum of natural-log probabilities of the scored tokens (float32 arithmetic, as the reference). */
  logprob: number;
  /** The scored tokens (their strings) and their natural-log probabilities, in order. */
  tokens: string[];
  tokenLogprobs: number[];
}

export interface ScoringOptions {
  /** Sequences per forward pass; results never depend on it. */
  batchSize?: number;
  /** Softmax temperature (the reference's default 1.0). */
  temperature?: number;
  /** Called with the number of requests finished so far. */
  onProgress?: (done: number, total: number) => void;
}

/** What a model says about itself (written into results files). */
export interface ModelInfo {
  architecture: string;
  /** Directory the weights came from, or a preset name for a fresh model. */
  source: string;
  parameterCount: number;
  /** The tensor backend in use, e.g. `wasm`, `tensorflow`. */
  backend: string;
  contextLength: number;
}

export interface LanguageModel {
  readonly info: ModelInfo;
  readonly tokenizer: Tokenizer;
  /**
   * BabyLM causal scoring rule (spec §2.2): tokenise `context + continuation` with special tokens, score every
   * token whose end offset lies past the start of the continuation, never the first token of the sequence.
   */
  logLikelihood(requests: LogLikelihoodRequest[], options?: ScoringOptions): Promise<LogLikelihoodResult[]>;
  /**
   * log P(next token = tokenId | context) read at the last position of `tokenize(context)` (special tokens
   * added as the tokenizer does). Used by the reading-time surprisal rule (spec §8.2).
   */
  nextTokenLogprobs(requests: Array<{ context: string; tokenId: number }>, options?: ScoringOptions): Promise<number[]>;
  /** Release engine memory held by the model. */
  dispose(): void;
}
