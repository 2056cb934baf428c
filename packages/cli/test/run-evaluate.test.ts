import 'reflect-metadata';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PluginRegistry, definePlugin, type TrainableModel } from '@class-it/core';
import { readEvaluationResult, runEvaluation } from '../src/index.js';

describe('runEvaluation / readEvaluationResult', () => {
  it('counts a task as done only after runEvaluation finished, not from an evaluator file left by a killed run', async () => {
    const outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-eval-'));
    const result = { task: 'toy', evaluator: 'toy', metric: 'accuracy', score: 75, groups: { a: 75 }, extra: {}, itemCount: 4, files: ['results.json'] };
    // What an evaluator writes itself before returning (a kill could stop the run right here).
    await fs.writeFile(path.join(outDir, 'results.json'), JSON.stringify({ ...result, seconds: 1, perUid: { a: 3 } }));
    expect(await readEvaluationResult(outDir)).toBeUndefined();

    const registry = new PluginRegistry();
    registry.register(definePlugin({
      kind: 'evaluator', name: 'toy', description: 'test double',
      useFactory: () => ({ name: 'toy', kind: 'zero-shot', tasks: ['toy'], evaluate: async () => result }),
    }), { packageName: 'test', packageVersion: '0.0.0' });
    const model = { info: { architecture: 'none', source: 'test', parameterCount: 0, backend: 'none', contextLength: 0 } } as unknown as TrainableModel;
    await runEvaluation(registry, model, { task: 'toy', dataDir: outDir, outDir, fast: true });
    const done = await readEvaluationResult(outDir);
    expect(done?.score).toBe(75);
    const file = JSON.parse(await fs.readFile(path.join(outDir, 'results.json'), 'utf8'));
    expect(file.perUid).toEqual({ a: 3 }); // the evaluator's own fields are kept
    expect(file.model.architecture).toBe('none');
  });
});
