/**
 * The training run of the checkpoint fault-injection test (checkpoint-faults.test.ts), shared by the test and its
 * child process (fault-child-train.ts): the tiny model, two stages, dropout on, 10 steps with checkpoints after
 * steps 4, 8 and 10. The clock is frozen while it trains: `tokens_per_s` (the only timing in metrics.jsonl) is
 * then 0, so the metrics of two runs can be compared byte for byte.
 */
import type { TrainerSettings, TrainingStageData, TrainingSummary } from '@class-it/core';
import { TfjsTrainer } from '../src/training/trainer.js';
import { patternSequences, tinyModel } from './training-fixtures.js';

export const FAULT_RUN_STEPS = 10;
export const FAULT_RUN_CHECKPOINT_STEPS = [4, 8, 10];

const stages: TrainingStageData[] = [
  { name: 'first', sequences: patternSequences(12, { seed: 1 }), epochs: 2, schedule: 'reset' },
  { name: 'second', sequences: patternSequences(6, { seed: 2 }), epochs: 1, schedule: 'continue' },
];

const settings: TrainerSettings = {
  learningRate: 5e-2, minLearningRateRatio: 0.1, warmupFraction: 0.2, weightDecay: 0.1, beta1: 0.9, beta2: 0.95, epsilon: 1e-8,
  gradClip: 1, batchSize: 3, gradAccumulation: 1, sequenceLength: 12, packing: false, seed: 5, dropout: 0.1,
  checkpointEverySteps: 4, evalEverySteps: 3, milestoneWords: [],
};

/**
 * Train (or resume) the fault-test run in `outDir`; its final weights land in `outDir/final/weights.json`. With
 * `stopAfterStep` it throws once that step's metrics line is written (before a checkpoint of that step).
 */
export async function trainFaultRun(outDir: string, stopAfterStep?: number): Promise<TrainingSummary> {
  Object.defineProperty(performance, 'now', { value: () => 0, configurable: true });
  try {
    return await new TfjsTrainer().train(tinyModel({ seed: 2 }), stages, settings, {
      outDir, wordsSeenBefore: 0, log: () => undefined, evalSequences: patternSequences(4, { seed: 3 }),
      onProgress: ({ step }) => {
        if (step === stopAfterStep) throw new Error(`stopped after step ${step}`);
      },
    });
  } finally {
    delete (performance as { now?: unknown }).now;
  }
}
