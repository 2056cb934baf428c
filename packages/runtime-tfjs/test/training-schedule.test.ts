import { describe, expect, it } from 'vitest';
import { learningRateAt, planLearningRate, scheduleSegments, warmupStepsFor } from '../src/training/schedule.js';
import { buildRows } from '../src/training/batching.js';
import { buildPlan, lastOptimizerReset, locateStep } from '../src/training/plan.js';
import type { TrainerSettings, TrainingSequence } from '@class-it/core';

const s = { learningRate: 1e-3, minLearningRateRatio: 0.1, warmupFraction: 0.1 };

describe('learning-rate schedule', () => {
  it('warms up linearly to the peak, then decays by cosine to the floor', () => {
    const total = 100;
    const warmup = warmupStepsFor(total, 0.1);
    expect(warmup).toBe(10);
    expect(learningRateAt(0, total, warmup, s)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(4, total, warmup, s)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(9, total, warmup, s)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(10, total, warmup, s)).toBeCloseTo(1e-3, 12);
    // halfway through the decay: cosine factor 0.5 -> 0.1 + 0.9 * 0.5
    expect(learningRateAt(55, total, warmup, s)).toBeCloseTo(0.55e-3, 12);
    // a quarter: 0.5 * (1 + cos(pi/4)) = 0.853553
    expect(learningRateAt(32.5, total, warmup, s)).toBeCloseTo(1e-3 * (0.1 + 0.9 * 0.8535533905932737), 12);
    expect(learningRateAt(99, total, warmup, s)).toBeGreaterThan(1e-4);
    expect(learningRateAt(99, total, warmup, s)).toBeLessThan(1.01e-4);
    expect(learningRateAt(100, total, warmup, s)).toBeCloseTo(1e-4, 12);
  });

  it('without warm-up starts at the peak', () => {
    expect(learningRateAt(0, 10, 0, s)).toBeCloseTo(1e-3, 12);
  });

  it('resets per stage or continues across stages', () => {
    const reset = scheduleSegments([{ steps: 20, schedule: 'reset' }, { steps: 30, schedule: 'reset' }], 0.1);
    expect(reset).toEqual([{ start: 0, length: 20, warmupSteps: 2 }, { start: 20, length: 30, warmupSteps: 3 }]);
    expect(planLearningRate(20, reset, s)).toBeCloseTo(1e-3 / 3, 12); // warm-up again
    const cont = scheduleSegments([{ steps: 20, schedule: 'reset' }, { steps: 30, schedule: 'continue' }], 0.1);
    expect(cont).toEqual([{ start: 0, length: 50, warmupSteps: 5 }]);
    expect(planLearningRate(20, cont, s)).toBeCloseTo(learningRateAt(20, 50, 5, s), 12);
    expect(planLearningRate(20, cont, s)).toBeLessThan(1e-3);
    expect(planLearningRate(20, cont, s)).toBeGreaterThan(planLearningRate(49, cont, s));
  });
});

const seq = (ids: number[], words = 1): TrainingSequence => ({ ids, lossWeights: ids.map(() => 1), words });

describe('batching and the plan', () => {
  it('shifts targets inside each sequence and truncates to the sequence length', () => {
    const [row] = buildRows([{ ids: [5, 6, 7, 8, 9], lossWeights: [1, 0, 1, 1, 1], words: 2 }], 4, false);
    expect(row!.ids).toEqual([5, 6, 7, 8]);
    expect(row!.targets).toEqual([6, 7, 8, 0]);
    expect(row!.weights).toEqual([0, 1, 1, 0]);
    expect(row!.words).toBe(2);
  });

  it('packs whole sequences into rows with restarting positions and no cross-segment targets', () => {
    const rows = buildRows([seq([1, 2, 3]), seq([4, 5]), seq([6, 7, 8, 9])], 6, true);
    expect(rows.length).toBe(2);
    expect(rows[0]!.ids).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0]!.segmentIds).toEqual([1, 1, 1, 2, 2]);
    expect(rows[0]!.positions).toEqual([0, 1, 2, 0, 1]);
    expect(rows[0]!.targets).toEqual([2, 3, 0, 5, 0]);
    expect(rows[0]!.weights).toEqual([1, 1, 0, 1, 0]);
    expect(rows[0]!.words).toBe(2);
    expect(rows[1]!.ids).toEqual([6, 7, 8, 9]);
    // A sequence longer than a row is truncated into a row of its own.
    expect(buildRows([seq([1, 2]), seq([3, 4, 5, 6, 7, 8, 9]), seq([1])], 6, true).map((r) => r.ids)).toEqual([[1, 2], [3, 4, 5, 6, 7, 8], [1]]);
  });

  it('groups micro-batches into optimizer steps, keeping order; maxSteps cuts the plan', () => {
    const settings = { sequenceLength: 4, packing: false, batchSize: 2, gradAccumulation: 2, warmupFraction: 0 } as TrainerSettings;
    const stages = [
      { name: 'a', sequences: Array.from({ length: 7 }, (_, i) => seq([i, i + 1])), epochs: 2, schedule: 'reset' as const },
      { name: 'b', sequences: [seq([1, 2])], epochs: 1, schedule: 'continue' as const },
    ];
    const plan = buildPlan(stages, settings);
    expect(plan.totalSteps).toBe(5);
    const firstIds = (step: number) => locateStep(plan, step).microBatches.map((m) => m.map((r) => r.ids[0]));
    expect([0, 1, 2, 3].map(firstIds)).toEqual([[[0, 1], [2, 3]], [[4, 5], [6]], [[0, 1], [2, 3]], [[4, 5], [6]]]);
    expect(locateStep(plan, 4).microBatches.map((m) => m.map((r) => r.ids))).toEqual([[[1, 2]]]);
    expect(locateStep(plan, 3)).toMatchObject({ epoch: 1, stepInEpoch: 1, stepInStage: 3 });
    expect(locateStep(plan, 4).stage.name).toBe('b');
    expect(plan.segments).toEqual([{ start: 0, length: 5, warmupSteps: 0 }]);
    const cut = buildPlan(stages, { ...settings, maxSteps: 3 });
    expect(cut.totalSteps).toBe(3);
    expect(cut.stages.map((st) => st.name)).toEqual(['a']);
  });

  it('reshuffleEpochs: the first epoch keeps the given order, every later one is its own seeded, stage-local permutation', () => {
    const settings = { sequenceLength: 4, packing: false, batchSize: 5, gradAccumulation: 1, warmupFraction: 0, seed: 3, reshuffleEpochs: true } as TrainerSettings;
    const stage = (name: string) => ({ name, sequences: Array.from({ length: 10 }, (_, i) => seq([i, 100])), epochs: 3, schedule: 'reset' as const });
    const plan = buildPlan([stage('a'), stage('b')], settings);
    const epochOf = (first: number) => [first, first + 1].flatMap((step) => locateStep(plan, step).microBatches.flat().map((r) => r.ids[0]));
    const [e0, e1, e2] = [0, 2, 4].map(epochOf);
    expect(e0).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const e of [e1!, e2!]) expect([...e].sort((x, y) => x - y)).toEqual(e0);
    expect(e1).not.toEqual(e0);
    expect(e2).not.toEqual(e1);
    // Rebuilt from the same settings (a resumed run), the same orders; the second stage's orders are its own.
    const again = buildPlan([stage('a'), stage('b')], settings);
    expect([2, 3].flatMap((step) => locateStep(again, step).microBatches.flat().map((r) => r.ids[0]))).toEqual(e1);
    expect(epochOf(6)).toEqual(e0);
    expect(epochOf(8)).not.toEqual(e1);
    // Without it, every epoch replays the given order (pretraining orders its epochs itself).
    const replay = buildPlan([stage('a')], { ...settings, reshuffleEpochs: false });
    expect([2, 3].flatMap((step) => locateStep(replay, step).microBatches.flat().map((r) => r.ids[0]))).toEqual(e0);
  });

  it('lastOptimizerReset: the stage start the AdamW moments restarted from, with reset; 0 with keep', () => {
    const settings = { sequenceLength: 4, packing: false, batchSize: 1, gradAccumulation: 1, warmupFraction: 0 } as TrainerSettings;
    const plan = buildPlan([
      { name: 'a', sequences: [seq([1, 2]), seq([2, 3])], epochs: 1, schedule: 'reset' as const },
      { name: 'b', sequences: [seq([1, 2]), seq([2, 3]), seq([3, 4])], epochs: 1, schedule: 'reset' as const },
    ], settings);
    expect([0, 1, 2, 4].map((step) => lastOptimizerReset(plan, step, 'reset'))).toEqual([0, 0, 2, 2]);
    expect(lastOptimizerReset(plan, 4, 'keep')).toBe(0);
  });
});
