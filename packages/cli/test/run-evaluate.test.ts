import 'reflect-metadata';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DataError, PluginRegistry, RESULTS_FILE, definePlugin, parseEvaluationResult,
  type EvaluationResult, type TrainableModel, type ZeroShotContext,
} from '@class-it/core';
import { readEvaluationResult, runEvaluation } from '../src/index.js';

const model = { info: { architecture: 'none', source: 'test', parameterCount: 0, backend: 'none', contextLength: 0 } } as unknown as TrainableModel;

/** A registry with one zero-shot evaluator `toy` that records its context and returns `result` + details. */
function toyRegistry(result: EvaluationResult, seen: ZeroShotContext[] = [], fail?: Error): PluginRegistry {
  const registry = new PluginRegistry();
  registry.register(definePlugin({
    kind: 'evaluator', name: 'toy', description: 'test double',
    useFactory: () => ({
      name: 'toy', kind: 'zero-shot', tasks: ['toy'],
      evaluate: async (context: ZeroShotContext) => {
        seen.push(context);
        if (fail) throw fail;
        return { result, details: { perUid: { a: 3 } } };
      },
    }),
  }), { packageName: 'test', packageVersion: '0.0.0' });
  return registry;
}

const tempDir = () => fs.mkdtemp(path.join(os.tmpdir(), 'class-it-eval-'));
const result: EvaluationResult = { task: 'toy', evaluator: 'toy', metric: 'accuracy', score: 75, groups: { a: 75 }, extra: {}, itemCount: 4, files: ['predictions.json'] };

describe('runEvaluation / readEvaluationResult', () => {
  it('writes results.json once, after the evaluator returned: result, details, model and completion', async () => {
    const outDir = await tempDir();
    const seen: ZeroShotContext[] = [];
    const returned = await runEvaluation(toyRegistry(result, seen), model, { task: 'toy', dataDir: '/data', outDir, fast: true, settings: { batchSize: 2 } });
    expect(returned).toEqual(result);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ task: 'toy', dataDir: '/data', outDir, fast: true, settings: { batchSize: 2 } });

    const file = JSON.parse(await fs.readFile(path.join(outDir, RESULTS_FILE), 'utf8'));
    expect(Object.keys(file)).toEqual(['task', 'evaluator', 'metric', 'score', 'groups', 'extra', 'itemCount', 'files', 'details', 'model', 'completed']);
    expect(file.files).toEqual(['predictions.json', 'results.json']);
    expect(file.details).toEqual({ perUid: { a: 3 } });
    expect(file.model.architecture).toBe('none');
    expect(Date.parse(file.completed.at)).not.toBeNaN();
    expect(file.completed.seconds).toBeGreaterThanOrEqual(0);
    // The same parser reads it for the resume check and for the report.
    expect(await readEvaluationResult(outDir)).toEqual({ ...result, files: ['predictions.json', 'results.json'] });
    expect(parseEvaluationResult(file, 'f')).toEqual({ ...result, files: ['predictions.json', 'results.json'] });
    expect((await fs.readdir(outDir)).sort()).toEqual([RESULTS_FILE]); // no temporary file left behind
  });

  it('counts a task as done only when the runner finished it', async () => {
    const outDir = await tempDir();
    expect(await readEvaluationResult(outDir)).toBeUndefined();
    // A results.json without `completed` (as evaluators of earlier versions wrote before returning) is not done.
    await fs.writeFile(path.join(outDir, RESULTS_FILE), JSON.stringify({ ...result, seconds: 1, perUid: { a: 3 } }));
    expect(await readEvaluationResult(outDir)).toBeUndefined();
    // An evaluator that fails leaves no finished record.
    const failed = await tempDir();
    await expect(runEvaluation(toyRegistry(result, [], new Error('killed')), model, { task: 'toy', dataDir: failed, outDir: failed, fast: true })).rejects.toThrow('killed');
    expect(await readEvaluationResult(failed)).toBeUndefined();
    await expect(fs.access(path.join(failed, RESULTS_FILE))).rejects.toThrow();
  });

  it('refuses a task of another kind than the command runs', async () => {
    const outDir = await tempDir();
    await expect(runEvaluation(toyRegistry(result), model, { task: 'toy', kind: 'fine-tuning', dataDir: outDir, outDir, fast: true }))
      .rejects.toThrow("task 'toy' is a zero-shot evaluation (evaluator 'toy'), not fine-tuning: run it with class-it eval");
    await expect(runEvaluation(toyRegistry(result), model, { task: 'toy', kind: 'zero-shot', dataDir: outDir, outDir, fast: true })).resolves.toEqual(result);
  });

  it('a NaN score round-trips as null; a malformed record is a DataError naming the file and field', async () => {
    const outDir = await tempDir();
    await runEvaluation(toyRegistry({ ...result, score: Number.NaN }), model, { task: 'toy', dataDir: outDir, outDir, fast: true });
    const file = path.join(outDir, RESULTS_FILE);
    expect(JSON.parse(await fs.readFile(file, 'utf8')).score).toBeNull();
    expect((await readEvaluationResult(outDir))!.score).toBeNaN();

    const good = JSON.parse(await fs.readFile(file, 'utf8'));
    await fs.writeFile(file, JSON.stringify({ ...good, itemCount: -1 }));
    await expect(readEvaluationResult(outDir)).rejects.toThrow(`${file}, field 'itemCount': expected a non-negative integer, got -1`);
    await fs.writeFile(file, JSON.stringify({ ...good, completed: { at: 5 } }));
    await expect(readEvaluationResult(outDir)).rejects.toThrow(`${file}, field 'completed.at': expected a time string, got number`);
    await fs.writeFile(file, '{"task": ');
    await expect(readEvaluationResult(outDir)).rejects.toThrow(DataError);
    await expect(readEvaluationResult(outDir)).rejects.toThrow(`${file}: invalid JSON`);
  });
});
