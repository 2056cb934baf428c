/**
 * End to end on the real tfjs runtime and gpt architecture (loaded from their sources by path: core depends on
 * no plugin): pretrain a tiny GPT on the demo transcript, then instruction-tune it with each curriculum on the
 * demo sets (through the data plugins). The held-out reply loss (mean NLL per reply token, measured with the
 * model's own scoring, independent of the trainer) must fall for every curriculum, and the result must load.
 */
import os from 'node:os';
import path from 'node:path';
import { existsSync, promises as fs } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PluginRegistry } from '@class-it/core';
import type { PluginDefinition } from '@class-it/core';
import type { TrainableModel } from '@class-it/core';
import type { InstructionExample } from '@class-it/core';
import { builtinCurricula } from '@class-it/instruct';
import { pretrain } from '@class-it/cli';
import { runInstructionTuning, planInstructionData } from '@class-it/cli';
import { builtinTemplate } from '@class-it/instruct';
import { readLedger } from '@class-it/instruct';

const here = path.dirname(fileURLToPath(import.meta.url));
const packages = path.resolve(here, '../..');
const demo = path.resolve(packages, '../data/demo');
const pluginFiles = {
  runtime: path.join(packages, 'runtime-tfjs/src/plugin.ts'),
  gpt: path.join(packages, 'model-gpt/src/plugin.ts'),
  conversational: path.join(packages, 'data-conversational/src/plugin.ts'),
  qa: path.join(packages, 'data-qa/src/plugin.ts'),
};
const missing = Object.values(pluginFiles).filter((f) => !existsSync(f));
if (missing.length) console.warn(`SKIPPED: instruction-tuning end-to-end test: plugin sources not found: ${missing.join(', ')}`);

async function registry(): Promise<PluginRegistry> {
  const reg = new PluginRegistry();
  for (const d of builtinCurricula) reg.register(d, { packageName: '@class-it/core', packageVersion: '0.1.0' });
  for (const [name, file] of Object.entries(pluginFiles)) {
    const exported = (await import(pathToFileURL(file).href)).default as PluginDefinition | PluginDefinition[];
    for (const d of Array.isArray(exported) ? exported : [exported]) reg.register(d, { packageName: name, packageVersion: '0.1.0' });
  }
  return reg;
}

/** Mean negative log-likelihood per token of each held-out reply given its rendered prompt. */
async function replyLoss(model: TrainableModel, examples: InstructionExample[]): Promise<number> {
  const template = builtinTemplate('default');
  const tokens = { bos_token: model.tokenizer.specialTokens.bos ?? '', eos_token: model.tokenizer.specialTokens.eos ?? '' };
  const requests = examples.map((e) => {
    if (e.kind !== 'prompt-reply') throw new Error('expected prompt-reply examples');
    return { context: template.render([{ role: 'user', content: e.prompt }], { ...tokens, addGenerationPrompt: true }), continuation: e.reply };
  });
  const results = await model.logLikelihood(requests, { batchSize: 16 });
  const total = results.reduce((n, r) => n - r.logprob, 0);
  return total / results.reduce((n, r) => n + r.tokens.length, 0);
}

describe.skipIf(missing.length > 0)('instruction tuning end to end (tfjs, gpt-tiny, demo sets)', () => {
  it('pretrains a tiny model, then every curriculum lowers the held-out reply loss', async () => {
    const reg = await registry();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'it-e2e-'));
    const logs: string[] = [];
    const pre = await pretrain(reg, {
      corpus: [path.join(demo, 'transcript.txt')], out: path.join(dir, 'pretrain'), preset: 'gpt-tiny', vocabSize: 400, seed: 1,
      backend: 'wasm', batchSize: 16, sequenceLength: 64, learningRate: 3e-3, maxSteps: 40, epochs: 4, overrides: { n_layer: 2, n_embd: 48, n_head: 2 },
      log: (l) => logs.push(l),
    });
    const instruction = {
      datasets: {
        conversational: { plugin: 'switchboard', settings: { path: 'conversational.jsonl' } },
        qa: { plugin: 'simple_wiki', settings: { path: 'qa.jsonl' } },
      },
      heldOut: { perDataset: 24 },
      trainer: { learningRate: 3e-3, warmupFraction: 0.05, batchSize: 16, sequenceLength: 96, maxSteps: 24, evalEverySteps: 12, checkpointEverySteps: 100 },
    };
    const base = { baseDir: pre.finalDir, instruction, seed: 3, baseDirOfExperiment: demo, log: (l: string) => logs.push(l), backend: 'wasm' };
    const plan = await planInstructionData(reg, { ...base, condition: { name: 'merged', curriculum: 'merged', settings: {} } });
    const heldOut = Object.values(plan.heldOut).flat();
    const arch = reg.get('architecture', 'gpt');
    const baseModel = await arch.load(pre.finalDir);
    const before = await replyLoss(baseModel, heldOut);
    baseModel.dispose();

    const conditions = [
      { name: 'merged', curriculum: 'merged', settings: {} },
      { name: 'sequential', curriculum: 'sequential', settings: { order: ['conversational', 'qa'], schedule: 'reset' } },
      { name: 'hybrid', curriculum: 'hybrid', settings: { stages: [{ weights: { conversational: 80, qa: 20 } }, { weights: { conversational: 20, qa: 80 } }] } },
    ];
    const after: Record<string, number> = {};
    for (const condition of conditions) {
      const outDir = path.join(dir, condition.name);
      const result = await runInstructionTuning(reg, { ...base, condition, outDir });
      expect(result.summary!.steps).toBe(24);
      const tuned = await arch.load(result.modelDir);
      after[condition.name] = await replyLoss(tuned, heldOut);
      tuned.dispose();
      const ledger = (await readLedger(result.modelDir))!;
      expect(ledger.phases.map((p) => p.name)).toEqual(['pretraining', `instruction-tuning:${condition.name}`]);
      expect(ledger.phases[0]).toEqual((await readLedger(pre.finalDir))!.phases[0]); // pretraining's own ledger carries over
      expect(ledger.phases[1]!.wordsSeen).toBeGreaterThan(0);
    }
    console.log(`held-out reply loss (nats/token): base ${before.toFixed(3)}, ${Object.entries(after).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}`);
    for (const loss of Object.values(after)) expect(loss).toBeLessThan(before * 0.9);

    const baseline = await runInstructionTuning(reg, { ...base, condition: { name: 'baseline', curriculum: 'baseline', settings: {} }, outDir: path.join(dir, 'baseline') });
    expect(baseline.modelDir).toBe(pre.finalDir);
  });
});
