/** The instruction-tuning job with a fake runtime and architecture (no tensors): planning, formatting, ledger. */
import os from 'node:os';
import path from 'node:path';
import { existsSync, promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PluginRegistry } from '@class-it/core';
import { definePlugin } from '@class-it/core';
import { builtinCurricula } from '@class-it/instruct';
import { RowDataset, classItRowToExample } from '@class-it/data-sources';
import { instructionTuningSchema, runInstructionTuning, planInstructionData, type InstructionTuneArgs } from '../src/instruct/index.js';
import { DEFAULT_TEMPLATE_TOKENS } from '@class-it/instruct';
import { writeLedger, DEFAULT_WORD_BUDGET, readLedger } from '@class-it/instruct';
import { ConfigError } from '@class-it/core';
import type { Runtime } from '@class-it/core';
import type { ModelArchitecture, TrainableModel } from '@class-it/core';
import type { TrainerSettings, TrainingStageData, TrainingContext } from '@class-it/core';
import { CharTokenizer } from '@class-it/tokenizers/testing';

const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data/demo');

function setup(options: { roleTokens?: boolean } = {}) {
  const calls: Array<{ stages: TrainingStageData[]; settings: TrainerSettings; context: TrainingContext }> = [];
  const tokenizer = new CharTokenizer({ bos: '<s>', eos: '</s>', additional: options.roleTokens === false ? [] : DEFAULT_TEMPLATE_TOKENS });
  const model = { architecture: 'gpt', config: {}, hiddenSize: 4, tokenizer, disposed: 0, dispose() { model.disposed++; } } as unknown as TrainableModel & { disposed: number };
  const runtime: Runtime = {
    name: 'fake', init: async (b) => b, backend: () => 'fake', classifierTrainer: () => { throw new Error('unused'); },
    loadTokenizer: async () => tokenizer, trainTokenizer: async () => tokenizer,
    trainer: () => ({
      train: async (_m, stages, settings, context) => {
        calls.push({ stages, settings, context });
        const finalDir = path.join(context.outDir, 'final');
        await fs.mkdir(finalDir, { recursive: true });
        await fs.writeFile(path.join(finalDir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 64 }));
        const words = stages.reduce((n, s) => n + s.epochs * s.sequences.reduce((a, q) => a + q.words, 0), 0);
        return { steps: 1, tokens: 1, wordsSeen: context.wordsSeenBefore + words, finalLoss: 1, tokensPerSecond: 1, backend: 'fake', finalDir, milestoneDirs: [], resumedFromStep: 0 };
      },
    }),
  };
  const architecture: ModelArchitecture = { name: 'gpt', modelTypes: ['gpt2'], presets: {}, parameterCount: () => 1, create: async () => model, load: async () => model };
  const registry = new PluginRegistry();
  for (const d of builtinCurricula) registry.register(d, { packageName: 'core', packageVersion: '0.1.0' });
  registry.register(definePlugin({ kind: 'runtime', name: 'fake', description: '', useFactory: () => runtime }), { packageName: 'fake', packageVersion: '0' });
  registry.register(definePlugin({ kind: 'architecture', name: 'gpt', description: '', useFactory: () => architecture }), { packageName: 'fake', packageVersion: '0' });
  registry.register(definePlugin({ kind: 'dataset', name: 'class-it-rows', description: '', useFactory: () => new RowDataset({ name: 'class-it-rows', description: '', toExamples: classItRowToExample }) }), { packageName: 'fake', packageVersion: '0' });
  return { registry, calls, model };
}

async function baseCheckpoint(ledger?: { uniqueWords: number; wordsSeen: number }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'base-'));
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
  if (ledger) await writeLedger(dir, [{ name: 'pretraining', ...ledger }], DEFAULT_WORD_BUDGET);
  return dir;
}

const instruction = (extra: Record<string, unknown> = {}) => ({
  datasets: {
    conversational: { plugin: 'class-it-rows', settings: { path: 'conversational.jsonl', limit: 100 } },
    qa: { plugin: 'class-it-rows', settings: { path: 'qa.jsonl', limit: 60 } },
  },
  heldOut: { perDataset: 10 },
  trainer: { sequenceLength: 512 },
  ...extra,
});

async function args(curriculum: string, settings: Record<string, unknown>, extra: Partial<InstructTuneArgsLike> = {}): Promise<InstructionTuneArgs> {
  return {
    baseDir: extra.baseDir ?? (await baseCheckpoint({ uniqueWords: 1000, wordsSeen: 5000 })),
    condition: { name: curriculum, curriculum, settings },
    instruction: extra.instruction ?? instruction(),
    seed: 5, outDir: await fs.mkdtemp(path.join(os.tmpdir(), 'it-')), baseDirOfExperiment: demo, log: () => {},
  };
}
type InstructTuneArgsLike = { baseDir: string; instruction: Record<string, unknown> };

describe('instruction-tuning schema', () => {
  it('fills defaults for everything but the datasets', () => {
    const cfg = instructionTuningSchema.parse({ datasets: { a: { plugin: 'switchboard' } } });
    expect(cfg.formatting).toMatchObject({ template: 'auto', lossOn: 'reply', truncation: 'left' });
    expect(cfg.trainer.learningRate).toBe(1e-4);
    expect(cfg.budget).toEqual({ maxUniqueWords: 100_000_000, maxWordsSeen: 1_000_000_000 });
    expect(cfg.datasets.a!.settings).toEqual({});
    expect(instructionTuningSchema.parse(cfg)).toEqual(cfg); // the experiment schema embeds it: parsing twice changes nothing
    expect(() => instructionTuningSchema.parse({ datasets: {} })).toThrow(/at least one dataset/);
    expect(() => instructionTuningSchema.parse({ datasets: { a: { plugin: 'x' } }, formatting: { lossOn: 'prompt' } })).toThrow();
  });
});

describe('instruction-tuning job', () => {
  it('sequential: trains stages in order on reply-only sequences, holds out data, counts words, writes the ledger', async () => {
    const { registry, calls, model } = setup();
    const a = await args('sequential', { order: ['qa', 'conversational'], epochs: { qa: 2 }, schedule: 'reset' });
    const result = await runInstructionTuning(registry, a);
    expect(calls).toHaveLength(1);
    const { stages, settings, context } = calls[0]!;
    expect(stages.map((s) => [s.name, s.sequences.length, s.epochs, s.schedule])).toEqual([['qa', 50, 2, 'reset'], ['conversational', 90, 1, 'reset']]);
    for (const s of stages) for (const q of s.sequences) {
      expect(q.lossWeights[0]).toBe(0);
      const weighted = q.ids.filter((_, i) => q.lossWeights[i]).length;
      expect(weighted).toBeGreaterThan(0);
      expect(weighted).toBeLessThan(q.ids.length / 1.2);
    }
    expect(context.evalSequences).toHaveLength(20);
    expect(context.wordsSeenBefore).toBe(5000);
    expect(settings.seed).toBe(5);
    expect(settings.milestoneWords[0]).toBe(1_000_000);
    expect(model.disposed).toBe(1);
    // Ledger: pretraining + this run; unique counts each example once, seen counts the 2 epochs of qa.
    const ledger = (await readLedger(result.modelDir))!;
    expect(ledger.phases[0]).toEqual({ name: 'pretraining', uniqueWords: 1000, wordsSeen: 5000 });
    const it = ledger.phases[1]!;
    const qaWords = stages[0]!.sequences.reduce((n, q) => n + q.words, 0);
    const convWords = stages[1]!.sequences.reduce((n, q) => n + q.words, 0);
    expect(it.wordsSeen).toBe(2 * qaWords + convWords);
    expect(it.uniqueWords).toBeLessThanOrEqual(qaWords + convWords);
    const tokCfg = JSON.parse(await fs.readFile(path.join(result.modelDir, 'tokenizer_config.json'), 'utf8'));
    expect(tokCfg.chat_template).toContain("'<|' + message['role'] + '|>");
    expect(JSON.parse(await fs.readFile(path.join(a.outDir, 'instruct.json'), 'utf8')).template).toBe('default');
  });

  it('is deterministic, and held-out examples are never trained on', async () => {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const { registry } = setup();
      runs.push(await planInstructionData(registry, await args('merged', {})));
    }
    const key = (e: unknown) => JSON.stringify(e);
    expect(runs[0]!.stages[0]!.examples.map(key)).toEqual(runs[1]!.stages[0]!.examples.map(key));
    const held = new Set(Object.values(runs[0]!.heldOut).flat().map(key));
    expect(held.size).toBe(20);
    expect(runs[0]!.stages[0]!.examples.filter((e) => held.has(key(e)))).toHaveLength(0);
    expect(runs[0]!.stages[0]!.examples).toHaveLength(140);
  });

  it('baseline trains nothing and returns the base checkpoint', async () => {
    const { registry, calls } = setup();
    const a = await args('baseline', {});
    expect((await runInstructionTuning(registry, a)).modelDir).toBe(a.baseDir);
    expect(calls).toHaveLength(0);
  });

  it('refuses a run over the word budget before training', async () => {
    const { registry, calls } = setup();
    const base = await baseCheckpoint({ uniqueWords: 99_999_000, wordsSeen: 999_999_000 });
    const a = await args('merged', { epochs: 1 }, { baseDir: base });
    await expect(runInstructionTuning(registry, a)).rejects.toThrow(ConfigError);
    await expect(runInstructionTuning(registry, a)).rejects.toThrow(/word budget exceeded/);
    expect(calls).toHaveLength(0);
  });

  it('falls back to the plain template when the tokenizer has no role tokens (auto), and refuses with default', async () => {
    const { registry, calls } = setup({ roleTokens: false });
    await runInstructionTuning(registry, await args('merged', {}));
    expect(calls[0]!.stages[0]!.sequences.length).toBe(140);
    const { registry: r2 } = setup({ roleTokens: false });
    await expect(runInstructionTuning(r2, await args('merged', {}, { instruction: instruction({ formatting: { template: 'default' } }) })))
      .rejects.toThrow(/needs the role tokens <\|system\|> <\|user\|> <\|assistant\|>/);
  });

  it('lossOn: all weights the prompt too; unknown plugins and datasets are config errors', async () => {
    const { registry, calls } = setup();
    await runInstructionTuning(registry, await args('hybrid', { stages: [{ weights: { conversational: 4, qa: 1 } }, { weights: { conversational: 1, qa: 4 } }] },
      { instruction: instruction({ formatting: { lossOn: 'all' } }) }));
    const q = calls[0]!.stages[0]!.sequences[0]!;
    expect(q.lossWeights.slice(1).every((w) => w === 1)).toBe(true);
    expect(calls[0]!.stages.map((s) => s.name)).toEqual(['stage1', 'stage2']);
    await expect(runInstructionTuning(registry, await args('merged', {}, { instruction: { datasets: { x: { plugin: 'nope' } } } }))).rejects.toThrow(/unknown dataset plugin 'nope'/);
    await expect(runInstructionTuning(registry, await args('sequential', { order: ['wiki'] }))).rejects.toThrow(/'wiki', which is not configured/);
    expect(existsSync(demo)).toBe(true);
  });
});

describe('class-it train', () => {
  it('instruction-tunes the chosen cell of an experiment file', async () => {
    const { Command } = await import('commander');
    const { registerTrain } = await import('../src/commands/train.js');
    const { registry, calls } = setup();
    const base = await baseCheckpoint({ uniqueWords: 10, wordsSeen: 10 });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'train-cli-'));
    const file = path.join(dir, 'exp.yaml');
    await fs.writeFile(file, [
      'name: cli-test',
      'models: [{ name: tiny, checkpoint: ' + JSON.stringify(base) + ' }]',
      'conditions:',
      '  - { name: merged, curriculum: merged }',
      '  - { name: seq, curriculum: sequential, settings: { order: [qa, conversational] } }',
      'instruction:',
      '  datasets:',
      `    conversational: { plugin: class-it-rows, settings: { path: ${JSON.stringify(path.join(demo, 'conversational.jsonl'))}, limit: 40 } }`,
      `    qa: { plugin: class-it-rows, settings: { path: ${JSON.stringify(path.join(demo, 'qa.jsonl'))}, limit: 40 } }`,
      'evaluation: { dataDir: . }',
    ].join('\n'));
    const program = new Command().exitOverride();
    registerTrain(program, async () => registry);
    const out = path.join(dir, 'out');
    const logged: string[] = [];
    const log = console.log, err = console.error;
    console.log = (l: string) => logged.push(l);
    console.error = () => {};
    try {
      await expect(program.parseAsync(['node', 'class-it', 'train', file, '--out', out])).rejects.toThrow(/2 conditions .* choose one with --condition/);
      await program.parseAsync(['node', 'class-it', 'train', file, '--condition', 'seq', '--seed', '9', '--out', out]);
    } finally {
      console.log = log;
      console.error = err;
    }
    expect(calls).toHaveLength(1);
    expect(calls[0]!.stages.map((s) => s.name)).toEqual(['qa', 'conversational']);
    expect(calls[0]!.settings.seed).toBe(9);
    expect(logged.at(-1)).toMatch(/instruction-tuned \(sequential, seed 9\)/);
    expect(existsSync(path.join(out, 'instruct.json'))).toBe(true);
  });
});
