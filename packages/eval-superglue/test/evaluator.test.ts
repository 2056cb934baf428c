import 'reflect-metadata';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { container } from 'tsyringe';
import { beforeAll, describe, expect, it } from 'vitest';
import { PluginRegistry, TOKENS, definePlugin, type FineTuningContext, type Runtime } from '@class-it/core';
import { SuperGlueEvaluator, TASK_NAMES, superGluePlugin, type SuperGlueDetails } from '../src/index.js';
import { FakeClassifierTrainer, fakeModel, syntheticRows, tempDir, writeJsonl } from './helpers.js';

let dataDir: string;
beforeAll(async () => {
  dataDir = await tempDir('superglue-data-');
  for (const task of TASK_NAMES) {
    await writeJsonl(path.join(dataDir, `${task}.train.jsonl`), syntheticRows(task, 64));
    await writeJsonl(path.join(dataDir, `${task}.valid.jsonl`), syntheticRows(task, 10));
  }
});

function contextFor(task: string, outDir: string, settings: Record<string, unknown> = {}): FineTuningContext & { lines: string[] } {
  const lines: string[] = [];
  return { task, model: fakeModel(), dataDir, outDir, fast: false, settings, log: (l) => lines.push(l), lines };
}

const read = (file: string) => fs.readFile(file, 'utf8');

describe('SuperGlueEvaluator with a test-double trainer', () => {
  it('trains with the run\'s seed (EvaluationContext.seed) instead of 42, unless the settings fix one, globally or per task', async () => {
    const seeded = new FakeClassifierTrainer([0.5]);
    const { details } = await new SuperGlueEvaluator(seeded).evaluate({ ...contextFor('rte', await tempDir(), { epochs: 1 }), seed: 123456789 });
    expect(seeded.runs[0]!.recipe.seed).toBe(123456789);
    expect((details as { tasks: Record<string, { settings: { seed: number } }> }).tasks['rte']!.settings.seed).toBe(123456789);
    const fixed = new FakeClassifierTrainer([0.5]);
    await new SuperGlueEvaluator(fixed).evaluate({ ...contextFor('rte', await tempDir(), { epochs: 1, seed: 7 }), seed: 123456789 });
    expect(fixed.runs[0]!.recipe.seed).toBe(7);
    const perTask = new FakeClassifierTrainer([0.5]);
    await new SuperGlueEvaluator(perTask).evaluate({ ...contextFor('rte', await tempDir(), { epochs: 1, perTask: { rte: { seed: 9 } } }), seed: 123456789 });
    expect(perTask.runs[0]!.recipe.seed).toBe(9);
  });

  it('keeps the epoch that strictly improves metricForValid and writes the reference files', async () => {
    const out = await tempDir();
    const trainer = new FakeClassifierTrainer([0.5, 0.8, 0.8, 0.6]);
    const { result, details } = await new SuperGlueEvaluator(trainer).evaluate(contextFor('rte', out, { epochs: 4 }));
    expect(trainer.bestEpochs).toEqual([1, 2]); // epoch 3 ties epoch 2: not an improvement
    const run = trainer.runs[0]!;
    expect(run.numLabels).toBe(2);
    expect(run.train).toHaveLength(64);
    expect(run.valid[0]).toEqual({ textA: 's1 0', textB: 's2 0', label: 0 });
    expect(run.recipe).toMatchObject({ learningRate: 3e-5, batchSize: 32, epochs: 4, evalBatchSize: 64, pooling: 'first', maxLength: 512, seed: 42 });
    expect(run.saveBestTo).toBeUndefined();

    // valid labels 0,1,0,1,...; the best epoch predicts the first 8 right, then 1->0 (FN) and 0->1... (idx 8 gold 0 -> 1: FP, idx 9 gold 1 -> 0: FN)
    const f1 = (2 * 4) / (2 * 4 + 1 + 1);
    const mcc = (4 * 4 - 1 * 1) / Math.sqrt(5 * 5 * 5 * 5);
    expect(await read(path.join(out, 'rte/results.txt'))).toBe(`accuracy: 0.8\nf1: ${f1}\nmcc: ${mcc}\n`);
    const preds = JSON.parse(await read(path.join(out, 'rte/predictions.json')));
    expect(preds.rte.predictions).toHaveLength(10);
    expect(preds.rte.predictions[8]).toEqual({ id: 'rte_8', pred: 1 });
    expect(preds.rte.predictions[0]).toEqual({ id: 'rte_0', pred: 0 });

    expect(result).toMatchObject({ task: 'rte', evaluator: 'superglue', metric: 'accuracy', score: 80, groups: { rte: 80 }, itemCount: 10 });
    expect(result.extra.f1).toBeCloseTo(f1 * 100, 10);
    expect(result.extra.best_epoch).toBe(2);
    expect(result.files).toEqual(['rte/results.txt', 'rte/predictions.json', 'rte/epochs.json', 'rte/task-result.json']);
    await expect(fs.access(path.join(out, 'results.json'))).rejects.toThrow(); // the runner writes that file
    const json = details as SuperGlueDetails;
    expect(json.tasks.rte).toMatchObject({ bestEpoch: 2, leaderboardMetric: 'accuracy', leaderboardScore: 0.8, offlineScore: 0.8, examplesPerSecond: 123 });
    expect(json.tasks.rte!.settings).toMatchObject({ pooling: 'first', paddingSide: 'right' });
    expect(json.tasks.rte!.epochs.map((e) => e.best)).toEqual([true, true, false, false]);
    expect(json.means).toBeUndefined();
    await expect(fs.access(path.join(out, 'rte/state'))).rejects.toThrow(); // state removed after the task finished
  });

  it('glue runs all seven with both conventions and the 7-task means', async () => {
    const out = await tempDir();
    const trainer = new FakeClassifierTrainer([0.7]);
    const { result, details } = await new SuperGlueEvaluator(trainer).evaluate(contextFor('glue', out, { epochs: 1, saveModel: true }));
    expect(trainer.runs.map((r) => r.recipe.batchSize)).toEqual([16, 16, 32, 32, 32, 32, 32]);
    expect(trainer.runs.map((r) => r.numLabels)).toEqual([2, 2, 2, 2, 2, 2, 3]);
    expect(trainer.runs[1]!.valid[0]!.textA).toBe('Question: Who 0? Answer: A0');
    expect(trainer.runs[3]!.valid[0]!.textA).toBe('Does "He" refer to "Mark" in this passage?');
    expect(trainer.runs[0]!.saveBestTo).toBe(path.join(out, 'boolq/model'));
    // labels 0,1,...: first 7 right; idx 7 (1->0 FN), 8 (0->1 FP), 9 (1->0 FN): TP = 3 -> F1 = 6/9
    const f1 = 6 / 9;
    const json = details as SuperGlueDetails;
    expect(json.tasks.mrpc).toMatchObject({ leaderboardMetric: 'f1', offlineScore: 0.7, metricForValid: 'f1' });
    expect(json.tasks.mrpc!.leaderboardScore).toBeCloseTo(f1, 12);
    expect(json.means!.offlineAccuracy).toBeCloseTo(0.7, 12);
    expect(json.means!.leaderboard).toBeCloseTo((5 * 0.7 + 2 * f1) / 7, 12);
    expect(result.metric).toBe('leaderboard_mean');
    expect(result.score).toBeCloseTo(((5 * 0.7 + 2 * f1) / 7) * 100, 10);
    expect(result.extra.accuracy_mean).toBeCloseTo(70, 10);
    expect(Object.keys(result.groups)).toEqual(TASK_NAMES);
    expect(await read(path.join(out, 'mnli/results.txt'))).toBe('accuracy: 0.7\n');
    expect(JSON.parse(await read(path.join(out, 'mnli/predictions.json'))).mnli.predictions[9]).toEqual({ id: 'mnli_9', pred: 1 });
    expect(result.files).toContain('wsc/predictions.json');
  });

  it('resumes at the last finished epoch and ends as an uninterrupted run', async () => {
    const settings = { epochs: 4 };
    const whole = await tempDir();
    await new SuperGlueEvaluator(new FakeClassifierTrainer([0.5, 0.6, 0.9, 0.7])).evaluate(contextFor('mrpc', whole, settings));

    const out = await tempDir();
    const crashing = new FakeClassifierTrainer([0.5, 0.6, 0.9, 0.7], 3);
    await expect(new SuperGlueEvaluator(crashing).evaluate(contextFor('mrpc', out, settings))).rejects.toThrow(/interruption before epoch 3/);
    expect(crashing.epochsRun).toEqual([1, 2]);
    const resumed = new FakeClassifierTrainer([0.5, 0.6, 0.9, 0.7]);
    const { details } = await new SuperGlueEvaluator(resumed).evaluate(contextFor('mrpc', out, settings));
    expect(resumed.epochsRun).toEqual([3, 4]);
    for (const file of ['mrpc/results.txt', 'mrpc/predictions.json']) {
      expect(await read(path.join(out, file))).toBe(await read(path.join(whole, file)));
    }
    const json = details as SuperGlueDetails;
    expect(json.tasks.mrpc!.resumedFromEpoch).toBe(2);
    expect(json.tasks.mrpc!.bestEpoch).toBe(3);

    // finished: a second call reuses the result without training
    const again = new FakeClassifierTrainer([0.1]);
    const ctx = contextFor('mrpc', out, settings);
    await new SuperGlueEvaluator(again).evaluate(ctx);
    expect(again.runs).toHaveLength(0);
    expect(ctx.lines.join('\n')).toMatch(/already finished/);

    // other settings: the task starts afresh
    const changed = new FakeClassifierTrainer([0.1]);
    await new SuperGlueEvaluator(changed).evaluate(contextFor('mrpc', out, { epochs: 2 }));
    expect(changed.epochsRun).toEqual([1, 2]);
  });

  it('rejects a batch larger than the training set (drop_last would leave nothing)', async () => {
    const out = await tempDir();
    await expect(new SuperGlueEvaluator(new FakeClassifierTrainer([1])).evaluate(contextFor('rte', out, { maxTrainExamples: 10 })))
      .rejects.toThrow(/10 training examples, fewer than one batch of 32/);
  });
});

describe('resolution through dependency injection', () => {
  const fakeRuntime = (trainer: FakeClassifierTrainer) => definePlugin({
    kind: 'runtime', name: 'fake-runtime', description: 'test double',
    useFactory: () => ({}) as Runtime,
    provides: [{ token: TOKENS.ClassifierTrainer, useFactory: () => trainer }],
  });
  const source = { packageName: 'test', packageVersion: '0.0.0' };

  it('works when resolved through PluginRegistry with a runtime that provides the trainer', async () => {
    const registry = new PluginRegistry();
    const trainer = new FakeClassifierTrainer([0.6]);
    registry.register(superGluePlugin, source);
    registry.register(fakeRuntime(trainer), source);
    const evaluator = registry.evaluatorFor('wsc');
    expect(evaluator.kind).toBe('fine-tuning');
    const { result } = await evaluator.evaluate(contextFor('wsc', await tempDir(), { epochs: 1 }));
    expect(result.score).toBeCloseTo(60, 10);
    expect(trainer.runs).toHaveLength(1);
  });

  it('a missing runtime fails only when a task runs, with a clear message', async () => {
    const registry = new PluginRegistry();
    registry.register(superGluePlugin, source);
    const evaluator = registry.evaluatorFor('glue');
    await expect(evaluator.evaluate(contextFor('rte', await tempDir(), { epochs: 1 }))).rejects.toThrow(/needs a classifier trainer/);
  });

  it('@inject(TOKENS.ClassifierTrainer) constructor injection', async () => {
    const child = container.createChildContainer();
    const trainer = new FakeClassifierTrainer([0.9]);
    child.register(TOKENS.ClassifierTrainer, { useValue: trainer });
    const evaluator = child.resolve(SuperGlueEvaluator);
    const { result } = await evaluator.evaluate(contextFor('rte', await tempDir(), { epochs: 1 }));
    expect(result.score).toBeCloseTo(90, 10);
  });
});

describe('missing data', () => {
  it('glue names every missing file before training anything', async () => {
    const partial = await tempDir('superglue-partial-');
    for (const task of TASK_NAMES) {
      await writeJsonl(path.join(partial, `${task}.valid.jsonl`), syntheticRows(task, 4));
      if (task !== 'boolq' && task !== 'multirc') await writeJsonl(path.join(partial, `${task}.train.jsonl`), syntheticRows(task, 64));
    }
    const trainer = new FakeClassifierTrainer([1]);
    const err = await new SuperGlueEvaluator(trainer).evaluate({ ...contextFor('glue', await tempDir()), dataDir: partial }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/missing \(Super\)GLUE data files: .*boolq\.train\.jsonl, .*multirc\.train\.jsonl/);
    expect(trainer.runs).toHaveLength(0);
  });
});
