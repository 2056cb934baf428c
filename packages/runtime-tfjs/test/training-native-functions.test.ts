/**
 * The trainer on the native engine, where each micro-batch's loss and gradients run as a TensorFlow graph function
 * (src/training/micro-batch-gradients.ts): a killed run resumes to exactly (bit for bit) the weights of an
 * uninterrupted one, with dropout on and rows of uneven lengths, although the resumed run traces its first steps
 * again; the steps really ran as functions, one function for all lengths (padded to one width); the tensor count
 * stays flat. Skipped loudly without the
 * native engine built by `npm run setup:native`.
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainerSettings, TrainingContext, TrainingStageData } from '@class-it/core';
import { TfjsTrainer } from '../src/training/trainer.js';
import { nativeFunctionStats, nativeFunctionsAvailable } from '../src/engine/native-function.js';
import { maxAbsDiff, patternSequences, tinyModel, weightsOf } from './training-fixtures.js';
import { nativeEngine } from './native-engine.js';

const ready = (await nativeEngine()) && nativeFunctionsAvailable();
if (!ready) console.warn('SKIPPED native training-function tests: no native TensorFlow backend with graph functions (npm run setup:native)');

const settings: TrainerSettings = {
  learningRate: 5e-2, minLearningRateRatio: 0.1, warmupFraction: 0.2, weightDecay: 0.1, beta1: 0.9, beta2: 0.95,
  epsilon: 1e-8, gradClip: 1, batchSize: 3, gradAccumulation: 1, sequenceLength: 12, packing: false, seed: 5,
  checkpointEverySteps: 3, evalEverySteps: 100, milestoneWords: [], dropout: 0.1,
};

const ctx = (outDir: string, extra: Partial<TrainingContext> = {}): TrainingContext => ({ outDir, wordsSeenBefore: 0, log: () => undefined, ...extra });
const tmp = () => fs.mkdtemp(path.join(os.tmpdir(), 'trainer-native-'));

describe.skipIf(!ready)('training steps as graph functions (native engine)', () => {
  it('a killed run resumes to bit-identical weights, and the steps ran as functions', async () => {
    // uneven lengths: micro-batches of several shapes, each traced on its own
    const stages: TrainingStageData[] = [{ name: 's', sequences: patternSequences(24, { seed: 1, minLen: 3, maxLen: 10 }), epochs: 1, schedule: 'reset' }];
    const trainer = new TfjsTrainer();
    const { calls, registered } = nativeFunctionStats();
    const full = tinyModel({ seed: 2 });
    const fullSummary = await trainer.train(full, stages, settings, ctx(await tmp()));
    expect(fullSummary.steps).toBe(8);
    expect(nativeFunctionStats().calls - calls).toBe(8); // every micro-batch's numbers came from a function
    // rows of 3 to 10 tokens are padded to one width (the context window of 16 here): one function, not one a length
    expect(nativeFunctionStats().registered - registered).toBe(1);

    const dir = await tmp();
    await expect(trainer.train(tinyModel({ seed: 2 }), stages, settings, ctx(dir, {
      onProgress: (p) => {
        if (p.step === 4) throw new Error('simulated kill');
      },
    }))).rejects.toThrow('simulated kill');
    const resumed = tinyModel({ seed: 2 });
    const summary = await trainer.train(resumed, stages, settings, ctx(dir));
    expect(summary.resumedFromStep).toBe(3);
    expect(maxAbsDiff(weightsOf(full.module), weightsOf(resumed.module))).toBe(0);
  });

  it('does not grow the number of tensors across steps', async () => {
    const counts: number[] = [];
    const stages: TrainingStageData[] = [{ name: 's', sequences: patternSequences(24, { seed: 6 }), epochs: 1, schedule: 'reset' }];
    await new TfjsTrainer().train(tinyModel({ seed: 4 }), stages, { ...settings, batchSize: 2, gradAccumulation: 2 },
      ctx(await tmp(), { onProgress: () => counts.push(tf.memory().numTensors) }));
    expect(counts.length).toBe(6);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(counts[0]).toBe(counts[1]);
  });
});
