import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { TrainerSettings, TrainingContext, TrainingSequence, TrainingStageData } from '@class-it/core';
import { milestoneName as milestoneDirName } from '@class-it/core';
import { TfjsTrainer } from '../src/training/trainer.js';
import { evaluationLoss } from '../src/training/trainer.js';
import { buildRows } from '../src/training/batching.js';
import { maxAbsDiff, patternSequences, tinyModel, weightsOf } from './training-fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const base: TrainerSettings = {
  learningRate: 5e-2,
  minLearningRateRatio: 0.1,
  warmupFraction: 0.2,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  epsilon: 1e-8,
  gradClip: 1,
  batchSize: 4,
  gradAccumulation: 1,
  sequenceLength: 12,
  packing: false,
  seed: 5,
  checkpointEverySteps: 100,
  evalEverySteps: 100,
  milestoneWords: [],
};

async function tmp(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'trainer-'));
}

function ctx(outDir: string, extra: Partial<TrainingContext> = {}): TrainingContext {
  return { outDir, wordsSeenBefore: 0, log: () => undefined, ...extra };
}

function stage(sequences: TrainingSequence[], epochs = 1, name = 's', schedule: 'reset' | 'continue' = 'reset'): TrainingStageData {
  return { name, sequences, epochs, schedule };
}

/** Sequences with uneven lengths and some masked tokens, so normalisation matters. */
function mixedSequences(): TrainingSequence[] {
  return patternSequences(8, { seed: 11, minLen: 3, maxLen: 10 }).map((s, i) => ({ ...s, lossWeights: s.lossWeights.map((w, j) => (i % 3 === 0 && j < 3 ? 0 : w)) }));
}

async function readMetrics(dir: string): Promise<Array<Record<string, number | string>>> {
  const text = await fs.readFile(path.join(dir, 'metrics.jsonl'), 'utf8');
  return text.trim().split('\n').map((l) => JSON.parse(l));
}

describe('TfjsTrainer', () => {
  it('gives the same update with batch 4 as with 2 x 2 gradient accumulation', async () => {
    const seqs = mixedSequences();
    const a = tinyModel({ seed: 3 });
    const b = tinyModel({ seed: 3 });
    expect(maxAbsDiff(weightsOf(a.module), weightsOf(b.module))).toBe(0);
    const trainer = new TfjsTrainer();
    const ra = await trainer.train(a, [stage(seqs)], { ...base, batchSize: 4, gradAccumulation: 1 }, ctx(await tmp()));
    const rb = await trainer.train(b, [stage(seqs)], { ...base, batchSize: 2, gradAccumulation: 2 }, ctx(await tmp()));
    expect(ra.steps).toBe(2);
    expect(rb.steps).toBe(2);
    expect(Math.abs(ra.finalLoss - rb.finalLoss)).toBeLessThan(1e-5);
    const before = weightsOf(tinyModel({ seed: 3 }).module);
    expect(maxAbsDiff(before, weightsOf(a.module))).toBeGreaterThan(1e-3); // it did train
    expect(maxAbsDiff(weightsOf(a.module), weightsOf(b.module))).toBeLessThan(1e-5);
  });

  it('packing gives every example the same loss and the same update as no packing', async () => {
    const seqs = patternSequences(6, { seed: 4, minLen: 2, maxLen: 5 });
    const probe = tinyModel({ seed: 9 });
    const unpacked = evaluationLoss(probe.module, buildRows(seqs, 12, false), 8)!;
    const packedRows = buildRows(seqs, 12, true);
    expect(packedRows.length).toBeLessThan(seqs.length);
    const packed = evaluationLoss(probe.module, packedRows, 8)!;
    expect(Math.abs(packed - unpacked)).toBeLessThan(1e-6);
    // Per example: each sequence alone vs. the same sequence packed behind others.
    for (const [i, s] of seqs.entries()) {
      const alone = evaluationLoss(probe.module, buildRows([s], 12, false), 1)!;
      const others = seqs.filter((_, j) => j !== i).slice(0, 2).map((o) => ({ ...o, lossWeights: o.lossWeights.map(() => 0) }));
      const behind = evaluationLoss(probe.module, buildRows([...others, s], 12, true), 1)!;
      expect(Math.abs(alone - behind)).toBeLessThan(1e-6);
    }
    // Without segment ids the packed rows would leak attention: the loss would differ.
    const leaky = buildRows(seqs, 12, true).map((r) => ({ ...r, segmentIds: r.segmentIds!.map(() => 1) }));
    expect(Math.abs(evaluationLoss(probe.module, leaky, 8)! - unpacked)).toBeGreaterThan(1e-4);
    // One step over all examples: same update.
    const a = tinyModel({ seed: 9 });
    const b = tinyModel({ seed: 9 });
    const trainer = new TfjsTrainer();
    await trainer.train(a, [stage(seqs)], { ...base, batchSize: 6, packing: false }, ctx(await tmp()));
    await trainer.train(b, [stage(seqs)], { ...base, batchSize: 6, packing: true }, ctx(await tmp()));
    expect(maxAbsDiff(weightsOf(a.module), weightsOf(b.module))).toBeLessThan(1e-5);
  });

  it('resumes a killed run to exactly the weights of an uninterrupted one (dropout on, two stages)', async () => {
    const stages = [stage(patternSequences(12, { seed: 1 }), 2, 'first'), stage(patternSequences(8, { seed: 2 }), 1, 'second', 'continue')];
    const settings: TrainerSettings = { ...base, batchSize: 3, checkpointEverySteps: 3, evalEverySteps: 4, dropout: 0.1 };
    const evalSequences = patternSequences(4, { seed: 3 });
    const trainer = new TfjsTrainer();

    const fullDir = await tmp();
    const full = tinyModel({ seed: 2 });
    const fullSummary = await trainer.train(full, stages, settings, ctx(fullDir, { evalSequences }));
    expect(fullSummary.steps).toBe(11); // 2 epochs x 4 steps + 3 steps

    const dir = await tmp();
    const killed = tinyModel({ seed: 2 });
    await expect(trainer.train(killed, stages, settings, ctx(dir, {
      evalSequences,
      onProgress: (p) => {
        if (p.step === 7) throw new Error('simulated kill');
      },
    }))).rejects.toThrow('simulated kill');
    const state = JSON.parse(await fs.readFile(path.join(dir, 'checkpoints/step-00000006/train-state.json'), 'utf8'));
    expect(state.step).toBe(6);
    expect(state.stageName).toBe('first');
    expect(state.epoch).toBe(1);

    const resumed = tinyModel({ seed: 2 }); // a fresh model: the weights come from the checkpoint
    const summary = await trainer.train(resumed, stages, settings, ctx(dir, { evalSequences }));
    expect(summary.resumedFromStep).toBe(6);
    expect(summary.steps).toBe(11);
    expect(summary.wordsSeen).toBe(fullSummary.wordsSeen);
    expect(maxAbsDiff(weightsOf(full.module), weightsOf(resumed.module))).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(summary.evalLoss! - fullSummary.evalLoss!)).toBeLessThan(1e-6);
    const metrics = await readMetrics(dir);
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const fullMetrics = await readMetrics(fullDir);
    expect(metrics.map((m) => m.lr)).toEqual(fullMetrics.map((m) => m.lr));
    expect(fullMetrics.filter((m) => m.eval_loss !== undefined).map((m) => m.step)).toEqual([4, 8, 11]);
    expect(Object.keys(fullMetrics[0]!)).toEqual(expect.arrayContaining(['step', 'stage', 'loss', 'lr', 'grad_norm', 'tokens_per_s', 'words_seen']));

    // A different plan refuses to resume from this checkpoint.
    await expect(trainer.train(tinyModel({ seed: 2 }), stages, { ...settings, learningRate: 1e-3 }, ctx(dir))).rejects.toThrow(/different training run.*learningRate/);
  });

  it('does not grow the number of tensors across steps', async () => {
    const counts: number[] = [];
    const model = tinyModel({ seed: 4 });
    await new TfjsTrainer().train(model, [stage(patternSequences(24, { seed: 6 }))], { ...base, batchSize: 2, gradAccumulation: 2, evalEverySteps: 2 },
      ctx(await tmp(), { evalSequences: patternSequences(3), onProgress: () => counts.push(tf.memory().numTensors) }));
    expect(counts.length).toBe(6);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(counts[0]).toBe(counts[1]);
  });

  it('counts words, saves milestones and the final model, and logs metrics', async () => {
    const seqs = patternSequences(10, { seed: 8 }); // words = len - 1 each
    const words = seqs.reduce((a, s) => a + s.words, 0);
    const dir = await tmp();
    const milestone = 1000 + Math.floor(words / 2);
    const summary = await new TfjsTrainer().train(tinyModel(), [stage(seqs)], { ...base, batchSize: 2, milestoneWords: [500, milestone, 10_000] },
      ctx(dir, { wordsSeenBefore: 1000 }));
    expect(summary.wordsSeen).toBe(1000 + words);
    expect(summary.milestoneDirs).toEqual([path.join(dir, milestoneDirName(milestone))]);
    await fs.access(path.join(dir, milestoneDirName(milestone), 'weights.json'));
    await fs.access(path.join(dir, 'final', 'weights.json'));
    await fs.access(path.join(dir, 'checkpoints', 'step-00000005', 'weights.json'));
    expect(milestoneDirName(1e6)).toBe('chck_1M');
    expect(milestoneDirName(2.5e5)).toBe('chck_0.25M');
    const metrics = await readMetrics(dir);
    expect(metrics.length).toBe(5);
    expect(metrics[4]!.words_seen).toBe(1000 + words);
    expect(summary.tokens).toBe(seqs.reduce((a, s) => a + s.ids.length, 0));
  });

  it('resets the schedule between stages when asked', async () => {
    const dir = await tmp();
    const stages = [stage(patternSequences(8), 1, 'a'), stage(patternSequences(8), 1, 'b', 'reset')];
    await new TfjsTrainer().train(tinyModel(), stages, { ...base, batchSize: 2, warmupFraction: 0.25 }, ctx(dir));
    const lrs = (await readMetrics(dir)).map((m) => m.lr as number);
    expect(lrs.length).toBe(8);
    expect(lrs[0]).toBeCloseTo(base.learningRate, 10); // warm-up of 1 step reaches the peak
    expect(lrs[4]).toBeCloseTo(base.learningRate, 10); // second stage starts over
    expect(lrs[3]).toBeLessThan(lrs[2]!);
  });

  it('stops with an error on a non-finite loss and keeps the last good checkpoint', async () => {
    const dir = await tmp();
    const model = tinyModel({ seed: 6 });
    await expect(new TfjsTrainer().train(model, [stage(patternSequences(16))], { ...base, batchSize: 2, checkpointEverySteps: 2 }, ctx(dir, {
      onProgress: (p) => {
        if (p.step === 3) model.module.variables.get('ln_f.weight')!.assign(tf.fill([8], Number.NaN));
      },
    }))).rejects.toThrow(/step 4 .*not finite.*step 2/);
    const state = JSON.parse(await fs.readFile(path.join(dir, 'checkpoints/step-00000002/train-state.json'), 'utf8'));
    expect(state.step).toBe(2);
  });

  it('rejects bad sequences with a clear error', async () => {
    const bad = [{ ids: [1, 2, 3], lossWeights: [1, 1], words: 1 }];
    await expect(new TfjsTrainer().train(tinyModel(), [stage(bad, 1, 'qa')], base, ctx(await tmp()))).rejects.toThrow(/stage 'qa' sequence:1.*lossWeights/);
    const outOfVocab = [{ ids: [1, 99], lossWeights: [1, 1], words: 1 }];
    await expect(new TfjsTrainer().train(tinyModel(), [stage(outOfVocab)], base, ctx(await tmp()))).rejects.toThrow(/token id 99/);
  });
});
