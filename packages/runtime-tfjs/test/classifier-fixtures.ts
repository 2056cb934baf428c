/** A learnable synthetic classification task and a tiny tfjs model + BPE tokenizer for classifier tests. */
import * as tf from '@tensorflow/tfjs-core';
import type { ClassificationExample, ClassifierRecipe, TrainableModel } from '@class-it/core';
import { trainByteLevelBpe } from '@class-it/tokenizers';
import { tinyModel } from './training-fixtures.js';

const WORDS = ['the', 'cat', 'dog', 'sat', 'on', 'a', 'mat', 'red', 'big', 'ran', 'to', 'park'];

/** Sentences of 3-7 words; label 1 iff the sentence contains "apple" (half of them, at a random position). */
export function containsWordTask(count: number, seed: number): ClassificationExample[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const out: ClassificationExample[] = [];
  for (let i = 0; i < count; i++) {
    const words = Array.from({ length: 3 + Math.floor(rand() * 5) }, () => WORDS[Math.floor(rand() * WORDS.length)]!);
    const label = i % 2;
    if (label === 1) words[Math.floor(rand() * words.length)] = 'apple';
    out.push({ textA: words.slice(0, 2).join(' '), textB: ' ' + words.slice(2).join(' '), label });
  }
  return out;
}

export function classifierModel(seed = 3): TrainableModel {
  const tokenizer = trainByteLevelBpe([...WORDS, 'apple'].map((w) => `${w} ${w} ${w} the ${w}`), {
    vocabSize: 300, specialTokens: { eos: '<|endoftext|>' },
  });
  const model = tinyModel({ vocab: 300, context: 32, hidden: 16, seed });
  return { ...model, tokenizer, module: model.module } as TrainableModel;
}

export function recipe(overrides: Partial<ClassifierRecipe> = {}): ClassifierRecipe {
  return {
    learningRate: 3e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01, batchSize: 8, evalBatchSize: 16,
    epochs: 3, warmupFraction: 0.06, minFactor: 0.1, maxLength: 32, seed: 42, dropout: 0.1, pooling: 'last', paddingSide: 'right',
    ...overrides,
  };
}

export function accuracyOf(predictions: number[], examples: ClassificationExample[]): number {
  return predictions.filter((p, i) => p === examples[i]!.label).length / examples.length;
}

export function numTensors(): number {
  return tf.memory().numTensors;
}
