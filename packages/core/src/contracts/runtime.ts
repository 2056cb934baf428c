/**
 * A runtime plugin owns a tensor engine. It chooses a backend, and provides the trainer services and a
 * tokenizer loader/trainer (tokenisation needs no tensors, but the runtime package holds the BPE).
 */
import type { Trainer, ClassifierTrainer } from './trainer.js';
import type { Tokenizer, SpecialTokens } from './tokenizer.js';

export interface TokenizerTrainingOptions {
  vocabSize: number;
  specialTokens: SpecialTokens;
  /** Add a BOS at the start of every encoding (post-processor), as LLaMA tokenizers do. */
  addBos?: boolean;
  minFrequency?: number;
}

export interface Runtime {
  readonly name: string;
  /** Initialise the engine. `backend` is `auto` or a backend name; returns the backend chosen. */
  init(backend: string): Promise<string>;
  backend(): string;
  trainer(): Trainer;
  classifierTrainer(): ClassifierTrainer;
  loadTokenizer(dir: string): Promise<Tokenizer>;
  trainTokenizer(texts: Iterable<string>, options: TokenizerTrainingOptions): Promise<Tokenizer>;
}
