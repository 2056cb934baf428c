/**
 * Length bucketing inside one stage: consecutive windows of `batchSize * windowBatches` sequences (in curriculum
 * order) are sorted by length and cut into batches, and the batches of each window are shuffled with the seed.
 * Sequences never move to another window, so the curriculum's coarse order (and stage boundaries) is kept while
 * padding inside a batch shrinks.
 */
import type { TrainingSequence } from '@class-it/core';
import { Random } from '@class-it/core';

export function lengthBucketOrder(sequences: TrainingSequence[], batchSize: number, windowBatches: number, seed: number): TrainingSequence[] {
  if (batchSize < 1 || windowBatches < 1) throw new Error('batchSize and windowBatches must be >= 1');
  const window = batchSize * windowBatches;
  const out: TrainingSequence[] = [];
  for (let start = 0, w = 0; start < sequences.length; start += window, w++) {
    const sorted = sequences.slice(start, start + window).map((s, i) => ({ s, i }))
      .sort((a, b) => a.s.ids.length - b.s.ids.length || a.i - b.i).map((x) => x.s);
    const batches: TrainingSequence[][] = [];
    for (let b = 0; b < sorted.length; b += batchSize) batches.push(sorted.slice(b, b + batchSize));
    for (const batch of Random.derive(seed, `bucket-window-${w}`).shuffle(batches)) out.push(...batch);
  }
  return out;
}
