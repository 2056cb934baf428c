/**
 * `TfjsRuntime`: core's `Runtime` on TensorFlow.js. It picks the engine (backend), hands out the trainers,
 * and loads or trains byte-level BPE tokenizers.
 */
import type { ClassifierTrainer, Runtime, Tokenizer, TokenizerTrainingOptions, Trainer } from '@class-it/core';
import { currentBackend, initEngine } from './engine/backend.js';
import { TfjsTrainer } from './training/trainer.js';
import { TfjsClassifierTrainer } from './classifier/trainer.js';
import { loadTokenizer } from '@class-it/tokenizers';
import { trainByteLevelBpe } from '@class-it/tokenizers';

export class TfjsRuntime implements Runtime {
  readonly name = 'tfjs';
  private trainerInstance?: TfjsTrainer;
  private classifierInstance?: TfjsClassifierTrainer;

  /** `auto` tries native TensorFlow (GPU, then CPU), then WASM; or name one: tensorflow, wasm, cpu. */
  init(backend: string): Promise<string> {
    return initEngine(backend);
  }

  backend(): string {
    return currentBackend();
  }

  trainer(): Trainer {
    return (this.trainerInstance ??= new TfjsTrainer());
  }

  classifierTrainer(): ClassifierTrainer {
    return (this.classifierInstance ??= new TfjsClassifierTrainer());
  }

  loadTokenizer(dir: string): Promise<Tokenizer> {
    return loadTokenizer(dir);
  }

  async trainTokenizer(texts: Iterable<string>, options: TokenizerTrainingOptions): Promise<Tokenizer> {
    return trainByteLevelBpe(texts, {
      vocabSize: options.vocabSize,
      specialTokens: options.specialTokens,
      addBos: options.addBos,
      minFrequency: options.minFrequency,
    });
  }
}
