/** Curriculum stages (examples) → trainer stages (token sequences), order kept. */
import type { TrainingStage } from '@class-it/core';
import type { TrainingStageData } from '@class-it/core';
import type { ExampleFormatter } from './sequences.js';
import { lengthBucketOrder } from './bucketing.js';
import { deriveSeed } from '@class-it/core';

export interface StageFormatOptions {
  /** Length bucketing (off when absent). */
  bucketing?: { batchSize: number; windowBatches: number; seed: number };
}

export function formatStages(stages: TrainingStage[], formatter: ExampleFormatter, options: StageFormatOptions = {}): TrainingStageData[] {
  return stages.map((stage) => {
    let sequences = stage.examples.map((e) => formatter.format(e)).filter((s) => s !== undefined);
    if (options.bucketing) {
      const { batchSize, windowBatches, seed } = options.bucketing;
      sequences = lengthBucketOrder(sequences, batchSize, windowBatches, deriveSeed(seed, `bucketing:${stage.name}`));
    }
    return { name: stage.name, sequences, epochs: stage.epochs, schedule: stage.schedule };
  });
}
