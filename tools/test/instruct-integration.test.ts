/**
 * End to end on the real tfjs runtime and gpt architecture (real package dependencies of tools/): pretrain a
 * tiny GPT on the demo transcript, then instruction-tune it with each curriculum on the
 * demo sets (through the data plugins). The held-out reply loss (mean NLL per reply token, measured with the
 * model's own scoring, independent of the trainer) must fall for every curriculum, and the result must load.
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PluginRegistry } from '@class-it/core';
import type { PluginDefinition } from '@class-it/core';
import type { TrainableModel } from '@class-it/core';
import type { InstructionExample } from '@class-it/core';
import { builtinCurricula } from '@class-it/instruct';
import { pretrain } from '@class-it/cli';
import { InstructionData, instructionTuningSchema, runInstructionTuning } from '@class-it/cli';
import { builtinTemplate } from '@class-it/instruct';
import { readLedger } from '@class-it/instruct';
import runtimePlugin from '@class-it/runtime-tfjs/plugin';
import gptPlugin from '@class-it/model-gpt/plugin';
import { plugins as conversationalPlugins } from '@class-it/data-conversational';
import { plugins as qaPlugins } from '@class-it/data-qa';

const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data/demo');

async function registry(): Promise<PluginRegistry> {
  const reg = new PluginRegistry();
  for (const d of builtinCurricula) reg.register(d, { packageName: '@class-it/instruct', packageVersion: '0.1.0' });
  const plugins: Record<string, PluginDefinition | PluginDefinition[]> = {
    '@class-it/runtime-tfjs': runtimePlugin, '@class-it/model-gpt': gptPlugin, '@class-it/data-conversational': conversationalPlugins, '@class-it/data-qa': qaPlugins,
  };
  for (const [name, exported] of Object.entries(plugins)) {
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

describe('instruction tuning end to end (tfjs, gpt-tiny, demo sets)', () => {
  it('pretrains a tiny model, then every curriculum lowers the held-out reply loss', async () => {
    const reg = await registry();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'it-e2e-'));
    const logs: string[] = [];
    const pre = await pretrain(reg, {
      corpus: [path.join(demo, 'transcript.txt')], out: path.join(dir, 'pretrain'), preset: 'gpt-tiny', vocabSize: 400, seed: 1,
      backend: 'wasm', batchSize: 16, sequenceLength: 64, learningRate: 3e-3, maxSteps: 40, epochs: 4, overrides: { n_layer: 2, n_embd: 48, n_head: 2 },
      log: (l) => logs.push(l),
    });
    const instruction = instructionTuningSchema.parse({
      datasets: {
        conversational: { plugin: 'switchboard', settings: { path: 'conversational.jsonl' } },
        qa: { plugin: 'simple_wiki', settings: { path: 'qa.jsonl' } },
      },
      heldOut: { perDataset: 24 },
      trainer: { learningRate: 3e-3, warmupFraction: 0.05, batchSize: 16, sequenceLength: 96, maxSteps: 24, evalEverySteps: 12, checkpointEverySteps: 100 },
    });
    // Loaded and split once, shared by every condition (as the runner does).
    const data = await InstructionData.load(reg, instruction, demo, (l: string) => logs.push(l));
    const base = { baseModelDir: pre.finalDir, data, seed: 3, log: (l: string) => logs.push(l), backend: 'wasm' };
    const heldOut = Object.values(data.heldOut).flat();
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
