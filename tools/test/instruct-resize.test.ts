/**
 * A base checkpoint whose tokenizer has no chat-role tokens (a gpt-tiny built with a byte-level BPE that knows
 * only `<|endoftext|>`, as a Hub GPT-2 would) gets them under `template: auto`: the tfjs model's
 * `addSpecialTokens` hook adds `<|system|>` `<|user|>` `<|assistant|>` and grows the embeddings, the job uses the
 * `default` role-token template and trains, and the final checkpoint is consistent (config vocab_size = tokenizer
 * size = embedding rows) and loads.
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PluginRegistry } from '@class-it/core';
import type { PluginDefinition } from '@class-it/core';
import { builtinCurricula } from '@class-it/instruct';
import { InstructionData, instructionTuningSchema, runInstructionTuning } from '@class-it/cli';
import { DEFAULT_TEMPLATE_TOKENS } from '@class-it/instruct';
import { missingSingleTokens } from '@class-it/core';
import runtimePlugin from '@class-it/runtime-tfjs/plugin';
import { causalModuleOf, initEngine, trainByteLevelBpe } from '@class-it/runtime-tfjs';
import gptPlugin from '@class-it/model-gpt/plugin';
import { plugins as conversationalPlugins } from '@class-it/data-conversational';

const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data/demo');

async function registry(): Promise<PluginRegistry> {
  const reg = new PluginRegistry();
  for (const d of builtinCurricula) reg.register(d, { packageName: '@class-it/instruct', packageVersion: '0.1.0' });
  const plugins: Record<string, PluginDefinition | PluginDefinition[]> = {
    '@class-it/runtime-tfjs': runtimePlugin, '@class-it/model-gpt': gptPlugin, '@class-it/data-conversational': conversationalPlugins,
  };
  for (const [name, exported] of Object.entries(plugins)) {
    for (const d of Array.isArray(exported) ? exported : [exported]) reg.register(d, { packageName: name, packageVersion: '0.1.0' });
  }
  return reg;
}

async function readJson(file: string): Promise<Record<string, any>> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, any>;
}

describe('instruction tuning a checkpoint without role tokens', () => {
  it('template auto adds the role tokens (embeddings resized), uses the default template and trains', async () => {
    const reg = await registry();
    await initEngine('wasm');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'it-resize-'));
    const baseModelDir = path.join(dir, 'base');

    // A base checkpoint whose tokenizer lacks the role tokens.
    const lines = (await fs.readFile(path.join(demo, 'conversational.jsonl'), 'utf8')).split('\n').slice(0, 200);
    const tokenizer = trainByteLevelBpe(lines, { vocabSize: 380, specialTokens: { eos: '<|endoftext|>' } });
    expect(missingSingleTokens(tokenizer, DEFAULT_TEMPLATE_TOKENS)).toEqual(DEFAULT_TEMPLATE_TOKENS);
    const arch = reg.get('architecture', 'gpt');
    const base = await arch.create({ preset: 'gpt-tiny', overrides: { n_layer: 1, n_embd: 32, n_head: 2 }, tokenizer, seed: 1 });
    await base.save(baseModelDir);
    base.dispose();
    const baseVocab = (await readJson(path.join(baseModelDir, 'config.json'))).vocab_size as number;
    expect(baseVocab).toBe(380);

    const logs: string[] = [];
    const outDir = path.join(dir, 'tuned');
    const instruction = instructionTuningSchema.parse({
      datasets: { conversational: { plugin: 'switchboard', settings: { path: 'conversational.jsonl' } } },
      formatting: { template: 'auto' },
      heldOut: { perDataset: 8 },
      budget: { pretraining: { uniqueWords: 0, wordsSeen: 0 } },
      trainer: { learningRate: 3e-3, batchSize: 8, sequenceLength: 64, maxSteps: 4, evalEverySteps: 4, checkpointEverySteps: 100 },
    });
    const result = await runInstructionTuning(reg, {
      baseModelDir,
      condition: { name: 'merged', curriculum: 'merged', settings: {} },
      data: await InstructionData.load(reg, instruction, demo, (l) => logs.push(l)),
      seed: 2,
      outDir,
      log: (l) => logs.push(l),
      backend: 'wasm',
    });

    expect(logs.some((l) => l.includes('adding role tokens <|system|> <|user|> <|assistant|>'))).toBe(true);
    expect(logs).toContain('chat template: default (role tokens)');
    expect((await readJson(path.join(outDir, 'instruct.json'))).template).toBe('default');
    expect(result.summary!.steps).toBe(4);
    expect(result.formatStats!.lossTokens).toBeGreaterThan(0);

    // The final checkpoint: vocabulary grown by three, role tokens special and single, chat template attached.
    const config = await readJson(path.join(result.modelDir, 'config.json'));
    const tokenizerConfig = await readJson(path.join(result.modelDir, 'tokenizer_config.json'));
    expect(config.vocab_size).toBe(baseVocab + 3);
    expect(tokenizerConfig.additional_special_tokens).toEqual(DEFAULT_TEMPLATE_TOKENS);
    expect(tokenizerConfig.chat_template).toContain('<|assistant|>');
    const tuned = await arch.load(result.modelDir);
    expect(tuned.tokenizer.vocabSize).toBe(baseVocab + 3);
    expect(missingSingleTokens(tuned.tokenizer, DEFAULT_TEMPLATE_TOKENS)).toEqual([]);
    expect(DEFAULT_TEMPLATE_TOKENS.map((t) => tuned.tokenizer.tokenToId(t))).toEqual([baseVocab, baseVocab + 1, baseVocab + 2]);

    // Training moved the new rows away from their initial value (the mean of the base rows, up to ~1e-5).
    const baseModel = await arch.load(baseModelDir);
    const oldRows = causalModuleOf(baseModel).variables.get('transformer.wte.weight').dataSync() as Float32Array;
    const newRows = causalModuleOf(tuned).variables.get('transformer.wte.weight').dataSync() as Float32Array;
    const width = 32;
    let moved = 0;
    for (let c = 0; c < width; c++) {
      let mean = 0;
      for (let r = 0; r < baseVocab; r++) mean += oldRows[r * width + c]! / baseVocab;
      moved = Math.max(moved, Math.abs(newRows[(baseVocab + 2) * width + c]! - mean)); // <|assistant|>
    }
    expect(moved).toBeGreaterThan(1e-3);
    // the base checkpoint itself is untouched
    expect((await readJson(path.join(baseModelDir, 'config.json'))).vocab_size).toBe(baseVocab);
    baseModel.dispose();
    tuned.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  }, 120_000);
});
