import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EpochReport } from '@class-it/core';
import { TfjsClassifierTrainer, padBatch, pooledHidden, seededPermutation, readClassifierState, splitByTokens } from '../src/classifier/index.js';
import { causalModuleOf } from '../src/causal-lm.js';
import { readSafetensors } from '../src/safetensors/index.js';
import { weightsOf, maxAbsDiff } from './training-fixtures.js';
import { accuracyOf, classifierModel, containsWordTask, numTensors, recipe } from './classifier-fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tmp = () => fs.mkdtemp(path.join(os.tmpdir(), 'classifier-'));
const train = containsWordTask(128, 1);
const valid = containsWordTask(48, 2);

describe('pooling with left padding', () => {
  it('pools the first (or last) real token, the same vector whatever the batch neighbours', () => {
    const model = classifierModel();
    const view = causalModuleOf(model);
    const three = [11, 12, 13];
    const neighbours = [[21, 22, 23, 24, 25], [31, 32, 33, 34, 35, 36, 37]];
    for (const pooling of ['first', 'last'] as const) {
      const pooledOf = (rows: number[][]) => tf.tidy(() => pooledHidden(view, padBatch(rows, 0, 'left', pooling), 'left', false, 0).arraySync()[0]!);
      const alone = pooledOf([three]);
      for (const n of neighbours) {
        const beside = pooledOf([three, n]);
        expect(Math.max(...beside.map((v, i) => Math.abs(v - alone[i]!))), `${pooling} beside ${n.length} tokens`).toBeLessThan(1e-5);
      }
      // Right padding pools the same vectors as left padding.
      const right = tf.tidy(() => pooledHidden(view, padBatch([three, neighbours[1]!], 0, 'right', pooling), 'right', false, 0).arraySync()[0]!);
      expect(Math.max(...right.map((v, i) => Math.abs(v - alone[i]!)))).toBeLessThan(1e-5);
    }
    model.dispose();
  });
});

describe('TfjsClassifierTrainer', () => {
  it('learns a synthetic task well above chance, without touching the caller\'s weights or leaking tensors', async () => {
    const model = classifierModel();
    const before = weightsOf(causalModuleOf(model));
    const tensorsBefore = numTensors();
    const reports: EpochReport[] = [];
    const lines: string[] = [];
    const result = await new TfjsClassifierTrainer().fineTune(model, {
      numLabels: 2, train, valid, recipe: recipe({ epochs: 8, learningRate: 1e-2 }), stateDir: path.join(await tmp(), 'state'),
      onEpoch: (r) => { reports.push(r); return true; }, log: (l) => lines.push(l),
    });
    expect(numTensors()).toBe(tensorsBefore);
    expect(maxAbsDiff(before, weightsOf(causalModuleOf(model)))).toBe(0);
    expect(result.epochs.map((r) => r.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(result.resumedFromEpoch).toBe(0);
    expect(result.examplesPerSecond).toBeGreaterThan(0);
    expect(reports[0]!.predictions).toHaveLength(valid.length);
    expect(reports.at(-1)!.trainLoss).toBeLessThan(reports[0]!.trainLoss);
    const acc = accuracyOf(reports.at(-1)!.predictions, valid);
    expect(acc, lines.join('\n')).toBeGreaterThanOrEqual(0.85);
    model.dispose();
  });

  it('is deterministic, and a killed run resumes at the last finished epoch with the same outcome', async () => {
    // `tracker` plays the evaluator: it remembers the best accuracy across an interruption.
    const runWith = async (stateDir: string, saveBestTo: string, tracker: { best: number }, killAtEpoch?: number) => {
      const model = classifierModel();
      const reports: EpochReport[] = [];
      try {
        const result = await new TfjsClassifierTrainer().fineTune(model, {
          numLabels: 2, train, valid, recipe: recipe({ epochs: 3, pooling: 'first', paddingSide: 'left' }), stateDir, saveBestTo,
          onEpoch: (r) => {
            if (r.epoch === killAtEpoch) throw new Error('killed');
            reports.push(r);
            const acc = accuracyOf(r.predictions, valid);
            if (acc > tracker.best) { tracker.best = acc; return true; }
            return false;
          },
          log: () => {},
        });
        return { reports, result };
      } finally {
        model.dispose();
      }
    };
    const dirA = await tmp();
    const whole = await runWith(path.join(dirA, 'state'), path.join(dirA, 'model'), { best: -1 });
    const dirB = await tmp();
    const trackerB = { best: -1 };
    await expect(runWith(path.join(dirB, 'state'), path.join(dirB, 'model'), trackerB, 2)).rejects.toThrow('killed');
    expect((await readClassifierState(path.join(dirB, 'state')))!.epochsDone).toBe(1);
    const resumed = await runWith(path.join(dirB, 'state'), path.join(dirB, 'model'), trackerB);
    expect(resumed.result.resumedFromEpoch).toBe(1);
    expect(resumed.reports.map((r) => r.epoch)).toEqual([2, 3]);
    expect(resumed.reports).toEqual(whole.reports.slice(1));
    // the saved best model is the same file, head in torch layout [out, in]
    const headA = await readSafetensors(path.join(dirA, 'model/classifier.safetensors'));
    const headB = await readSafetensors(path.join(dirB, 'model/classifier.safetensors'));
    expect(headA.tensors.get('classifier.out_proj.weight')!.shape).toEqual([2, 16]);
    expect(Array.from(headB.tensors.get('classifier.dense.weight')!.data)).toEqual(Array.from(headA.tensors.get('classifier.dense.weight')!.data));
    const backboneA = await readSafetensors(path.join(dirA, 'model/model.safetensors'));
    const backboneB = await readSafetensors(path.join(dirB, 'model/model.safetensors'));
    expect(Array.from(backboneB.tensors.get('wte.weight')!.data)).toEqual(Array.from(backboneA.tensors.get('wte.weight')!.data));
    const info = JSON.parse(await fs.readFile(path.join(dirA, 'model/classifier.json'), 'utf8'));
    expect(info).toMatchObject({ num_labels: 2, pooling: 'first', padding_side: 'left' });
    // the backbone's config.json names the HF classes the architecture's module declares
    const config = JSON.parse(await fs.readFile(path.join(dirA, 'model/config.json'), 'utf8'));
    expect(config.architectures).toEqual(['TinyTestForCausalLM']);
    await fs.access(path.join(dirA, 'model/tokenizer.json'));
  });

  it('refuses a state directory written for other data', async () => {
    const stateDir = path.join(await tmp(), 'state');
    const run = (examples = train) => {
      const model = classifierModel();
      return new TfjsClassifierTrainer().fineTune(model, {
        numLabels: 2, train: examples, valid, recipe: recipe({ epochs: 1 }), stateDir, onEpoch: () => true, log: () => {},
      }).finally(() => model.dispose());
    };
    await run();
    await expect(run(train.slice(0, 64))).rejects.toThrow(/belongs to another run/);
  });

  it('rejects bad runs clearly', async () => {
    const model = classifierModel();
    const base = { numLabels: 2, train, valid, stateDir: await tmp(), onEpoch: () => true, log: () => {} };
    await expect(new TfjsClassifierTrainer().fineTune(model, { ...base, recipe: recipe({ batchSize: 500 }) })).rejects.toThrow(/no full batch of 500/);
    await expect(new TfjsClassifierTrainer().fineTune(model, { ...base, numLabels: 2, train: [{ textA: 'a', label: 2 }], recipe: recipe({ batchSize: 1 }) }))
      .rejects.toThrow(/label 2, not in \[0, 1\]/);
    model.dispose();
  });

  it('micro-batches give the update of the whole batch (no dropout)', async () => {
    const runWith = async (microBatchTokens: number, paddingSide: 'right' | 'left') => {
      const model = classifierModel();
      const dir = await tmp();
      const reports: EpochReport[] = [];
      await new TfjsClassifierTrainer().fineTune(model, {
        numLabels: 2, train: train.slice(0, 32), valid, recipe: recipe({ epochs: 2, dropout: 0, microBatchTokens, paddingSide }),
        stateDir: path.join(dir, 'state'), saveBestTo: path.join(dir, 'model'), onEpoch: (r) => { reports.push(r); return true; }, log: () => {},
      });
      model.dispose();
      const head = await readSafetensors(path.join(dir, 'model/classifier.safetensors'));
      return { reports, dense: head.tensors.get('classifier.dense.weight')!.data };
    };
    for (const side of ['right', 'left'] as const) {
      const whole = await runWith(100_000, side);
      const split = await runWith(12, side); // one or two rows per micro-batch
      split.reports.forEach((r, i) => expect(r.trainLoss).toBeCloseTo(whole.reports[i]!.trainLoss, 5));
      let maxDiff = 0;
      whole.dense.forEach((v, i) => { maxDiff = Math.max(maxDiff, Math.abs(v - split.dense[i]!)); });
      expect(maxDiff, side).toBeLessThan(1e-4);
    }
  });

  it('splits rows into micro-batches by padded tokens', () => {
    const lengths = [3, 5, 2, 8, 1];
    expect(splitByTokens([0, 1, 2, 3, 4], (i) => lengths[i]!, 10)).toEqual([[0, 1], [2], [3], [4]]);
    expect(splitByTokens([0, 1, 2, 3, 4], (i) => lengths[i]!, 1000)).toEqual([[0, 1, 2, 3, 4]]);
    expect(splitByTokens([3], () => 50, 10)).toEqual([[3]]); // a long row still gets its own micro-batch
  });

  it('shuffles with a seeded permutation', () => {
    const p = seededPermutation(10, 5);
    expect([...p].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seededPermutation(10, 5)).toEqual(p);
    expect(seededPermutation(10, 6)).not.toEqual(p);
  });
});
