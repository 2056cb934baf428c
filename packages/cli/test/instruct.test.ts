/** The instruction-tuning job with a fake runtime and architecture (no tensors): planning, formatting, ledger. */
import os from 'node:os';
import path from 'node:path';
import { existsSync, promises as fs } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { PluginRegistry } from '@class-it/core';
import { InstructionData, instructionTuningSchema, runInstructionTuning, planStages, type InstructionTuneArgs } from '../src/instruct/index.js';
import { DEFAULT_TEMPLATE_TOKENS, DEFAULT_WORD_BUDGET, readLedger, writeLedger } from '@class-it/instruct';
import { pretrainingWords } from '../src/instruct/job.js';
import { ConfigError } from '@class-it/core';
import { baseCheckpoint, demo, setup } from './fake-stack.js';

const instruction = (extra: Record<string, unknown> = {}) => ({
  datasets: {
    conversational: { plugin: 'class-it-rows', settings: { path: 'conversational.jsonl', limit: 100 } },
    qa: { plugin: 'class-it-rows', settings: { path: 'qa.jsonl', limit: 60 } },
  },
  heldOut: { perDataset: 10 },
  trainer: { sequenceLength: 512 },
  ...extra,
});

/** The instruction data of an experiment run (the `instruction` section parsed, datasets loaded and split). */
async function loadData(registry: PluginRegistry, section: Record<string, unknown> = instruction()): Promise<InstructionData> {
  return InstructionData.load(registry, instructionTuningSchema.parse(section), demo, () => {});
}

async function args(registry: PluginRegistry, curriculum: string, settings: Record<string, unknown>, extra: { baseModelDir?: string; data?: InstructionData } = {}): Promise<InstructionTuneArgs> {
  return {
    baseModelDir: extra.baseModelDir ?? (await baseCheckpoint({ uniqueWords: 1000, wordsSeen: 5000 })),
    condition: { name: curriculum, curriculum, settings },
    data: extra.data ?? (await loadData(registry)),
    seed: 5, outDir: await fs.mkdtemp(path.join(os.tmpdir(), 'it-')), log: () => {},
  };
}

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
    const a = await args(registry, 'sequential', { order: ['qa', 'conversational'], epochs: { qa: 2 }, schedule: 'reset' });
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
    // Every epoch after a stage's first reshuffled (seeded, stage-local, by the trainer); the optimizer kept by default.
    expect(settings).toMatchObject({ reshuffleEpochs: true, optimizerBetweenStages: 'keep' });
    expect(settings).not.toHaveProperty('optimizer');
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
      const data = await loadData(registry);
      runs.push({ data, stages: planStages(registry, data, { name: 'merged', curriculum: 'merged', settings: {} }, 5) });
    }
    const key = (e: unknown) => JSON.stringify(e);
    expect(runs[0]!.stages[0]!.examples.map(key)).toEqual(runs[1]!.stages[0]!.examples.map(key));
    const held = new Set(Object.values(runs[0]!.data.heldOut).flat().map(key));
    expect(held.size).toBe(20);
    expect(runs[0]!.stages[0]!.examples.filter((e) => held.has(key(e)))).toHaveLength(0);
    expect(runs[0]!.stages[0]!.examples).toHaveLength(140);
  });

  it('cells sharing one InstructionData tokenise each example once, and train on what a fresh load gives', async () => {
    const { registry, calls, tokenizer } = setup();
    const data = await loadData(registry);
    const examples = Object.values(data.train).flat().length + Object.values(data.heldOut).flat().length;
    expect(examples).toBe(160);
    const encode = vi.spyOn(tokenizer, 'encode');
    const base = await baseCheckpoint({ uniqueWords: 1000, wordsSeen: 5000 });
    const cells = [['merged', {}], ['sequential', { order: ['qa', 'conversational'] }], ['merged', {}]] as const;
    const results = [];
    for (const [curriculum, settings] of cells) results.push(await runInstructionTuning(registry, await args(registry, curriculum, settings, { baseModelDir: base, data })));
    // Once per example over the three cells, not once per cell (the template choice also encodes each role token).
    expect(encode.mock.calls.filter(([text]) => !DEFAULT_TEMPLATE_TOKENS.includes(text))).toHaveLength(examples);
    // Statistics are each cell's own, although the formatter (and its counters) is shared.
    for (const r of results) expect(r.formatStats).toMatchObject({ examples: 140, sequences: 140 });
    // The same sequences as a cell that loads and tokenises everything itself.
    const fresh = setup();
    await runInstructionTuning(fresh.registry, await args(fresh.registry, 'sequential', { order: ['qa', 'conversational'] }, { baseModelDir: base }));
    expect(fresh.calls[0]!.stages).toEqual(calls[1]!.stages);
    expect(fresh.calls[0]!.context.evalSequences).toEqual(calls[1]!.context.evalSequences);
  });

  it('baseline trains nothing and returns the base checkpoint', async () => {
    const { registry, calls } = setup();
    const a = await args(registry, 'baseline', {});
    expect((await runInstructionTuning(registry, a)).modelDir).toBe(a.baseModelDir);
    expect(calls).toHaveLength(0);
  });

  it('optimizer: reset reaches the trainer', async () => {
    const { registry, calls } = setup();
    const a = await args(registry, 'sequential', { order: ['qa', 'conversational'] }, { data: await loadData(registry, instruction({ trainer: { sequenceLength: 512, optimizer: 'reset' } })) });
    await runInstructionTuning(registry, a);
    expect(calls[0]!.settings.optimizerBetweenStages).toBe('reset');
  });

  it('from a chck_{N}M milestone, reads its own ledger, never the whole run\'s ../pretrain.json', async () => {
    const run = await fs.mkdtemp(path.join(os.tmpdir(), 'pretrain-run-'));
    await fs.writeFile(path.join(run, 'pretrain.json'), JSON.stringify({ corpusWords: 90_000_000, summary: { wordsSeen: 720_000_000 } }));
    const milestone = path.join(run, 'chck_10M');
    await fs.mkdir(milestone);
    await fs.writeFile(path.join(milestone, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
    await expect(pretrainingWords(milestone, undefined, () => {})).rejects.toThrow(/milestone checkpoint without its own words ledger/);
    await writeLedger(milestone, [{ name: 'pretraining', uniqueWords: 10_000_000, wordsSeen: 10_000_000 }], DEFAULT_WORD_BUDGET);
    expect(await pretrainingWords(milestone, undefined, () => {})).toEqual([{ name: 'pretraining', uniqueWords: 10_000_000, wordsSeen: 10_000_000 }]);
    // The final model (not a milestone) still falls back to ../pretrain.json.
    const final = path.join(run, 'final');
    await fs.mkdir(final);
    expect(await pretrainingWords(final, undefined, () => {})).toEqual([{ name: 'pretraining', uniqueWords: 90_000_000, wordsSeen: 720_000_000 }]);
  });

  it('refuses a run over the word budget before training', async () => {
    const { registry, calls } = setup();
    const base = await baseCheckpoint({ uniqueWords: 99_999_000, wordsSeen: 999_999_000 });
    const a = await args(registry, 'merged', { epochs: 1 }, { baseModelDir: base });
    await expect(runInstructionTuning(registry, a)).rejects.toThrow(ConfigError);
    await expect(runInstructionTuning(registry, a)).rejects.toThrow(/word budget exceeded/);
    expect(calls).toHaveLength(0);
  });

  it('falls back to the plain template when the tokenizer has no role tokens (auto), and refuses with default', async () => {
    const { registry, calls } = setup({ roleTokens: false });
    await runInstructionTuning(registry, await args(registry, 'merged', {}));
    expect(calls[0]!.stages[0]!.sequences.length).toBe(140);
    const { registry: r2 } = setup({ roleTokens: false });
    await expect(runInstructionTuning(r2, await args(r2, 'merged', {}, { data: await loadData(r2, instruction({ formatting: { template: 'default' } })) })))
      .rejects.toThrow(/needs the role tokens <\|system\|> <\|user\|> <\|assistant\|>/);
  });

  it('lossOn: all weights the prompt too; unknown plugins and datasets are config errors', async () => {
    const { registry, calls } = setup();
    await runInstructionTuning(registry, await args(registry, 'hybrid', { stages: [{ weights: { conversational: 4, qa: 1 } }, { weights: { conversational: 1, qa: 4 } }] },
      { data: await loadData(registry, instruction({ formatting: { lossOn: 'all' } })) }));
    const q = calls[0]!.stages[0]!.sequences[0]!;
    expect(q.lossWeights.slice(1).every((w) => w === 1)).toBe(true);
    expect(calls[0]!.stages.map((s) => s.name)).toEqual(['stage1', 'stage2']);
    await expect(loadData(registry, { datasets: { x: { plugin: 'nope' } } })).rejects.toThrow(/unknown dataset plugin 'nope'/);
    await expect(runInstructionTuning(registry, await args(registry, 'sequential', { order: ['wiki'] }))).rejects.toThrow(/'wiki', which is not configured/);
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
