/** `class-it pretrain` wiring and core's pretraining logic, with a fake runtime and architecture (no tensors). */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { PluginRegistry } from '@class-it/core';
import { definePlugin } from '@class-it/core';
import { registerPretrain, pretrainSettingsFromFlags } from '../src/commands/pretrain.js';
import { pretrain } from '../src/pretrain/pretrain.js';
import type { Runtime } from '@class-it/core';
import type { Tokenizer } from '@class-it/core';
import type { ModelArchitecture, TrainableModel } from '@class-it/core';
import type { TrainerSettings, TrainingStageData, TrainingContext } from '@class-it/core';

function charTokenizer(): Tokenizer {
  return {
    vocabSize: 40,
    specialTokens: { eos: '<|endoftext|>' },
    encode: (text: string) => {
      const ids = [...text].map((c) => (c === ' ' ? 27 : Math.max(1, Math.min(26, c.charCodeAt(0) - 96))));
      return { ids, offsets: ids.map((_, i) => [i, i + 1] as [number, number]), specialTokensMask: ids.map(() => 0) };
    },
    decode: () => '',
    tokenToId: () => undefined,
    idToToken: () => undefined,
    specialId: (name) => (name === 'eos' ? 0 : undefined),
    save: async (dir: string) => {
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, 'tokenizer.json'), '{}');
    },
  };
}

function fakes() {
  const calls: Array<{ stages: TrainingStageData[]; settings: TrainerSettings; context: TrainingContext }> = [];
  const trainTokenizer = vi.fn(async (_texts: Iterable<string>, _options: unknown) => charTokenizer());
  const runtime: Runtime = {
    name: 'fake',
    init: async (b) => (b === 'auto' ? 'fakebackend' : b),
    backend: () => 'fakebackend',
    classifierTrainer: () => { throw new Error('unused'); },
    loadTokenizer: async () => charTokenizer(),
    trainTokenizer,
    trainer: () => ({
      train: async (_model, stages, settings, context) => {
        calls.push({ stages, settings, context });
        const finalDir = path.join(context.outDir, 'final');
        await fs.mkdir(finalDir, { recursive: true });
        const words = stages[0]!.sequences.reduce((a, s) => a + s.words, 0);
        return { steps: settings.maxSteps ?? 0, tokens: 0, wordsSeen: words, finalLoss: 1.5, tokensPerSecond: 10, backend: 'fakebackend', finalDir, milestoneDirs: [], resumedFromStep: 0 };
      },
    }),
  };
  const architecture: ModelArchitecture = {
    name: 'gpt',
    modelTypes: ['gpt2'],
    presets: { tiny: { n_positions: 16, vocab_size: 64 } },
    parameterCount: () => 123,
    load: async () => { throw new Error('unused'); },
    create: async () => ({ info: { architecture: 'gpt', source: 'tiny', parameterCount: 123, backend: 'fakebackend', contextLength: 16 }, dispose: () => undefined } as unknown as TrainableModel),
  };
  const registry = new PluginRegistry();
  registry.register(definePlugin({ kind: 'runtime', name: 'fake', description: 'x', useFactory: () => runtime }), { packageName: 'fake', packageVersion: '0' });
  registry.register(definePlugin({ kind: 'architecture', name: 'gpt', description: 'x', useFactory: () => architecture }), { packageName: 'fake', packageVersion: '0' });
  return { registry, calls, trainTokenizer };
}

async function corpus(): Promise<{ dir: string; file: string; words: number; uniqueWords: number }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pretrain-cli-'));
  const lines = Array.from({ length: 60 }, (_, i) => `the cat number ${'x'.repeat(i % 5)} sat`);
  const file = path.join(dir, 'corpus.train');
  await fs.writeFile(file, lines.join('\n') + '\n');
  const count = (l: string) => l.split(/\s+/).filter(Boolean).length;
  // The BabyLM rule: the corpus's size is all of its words, repeated lines included (so unique = all words).
  const words = lines.reduce((a, l) => a + count(l), 0);
  return { dir, file, words, uniqueWords: words };
}

describe('class-it pretrain', () => {
  it('parses its options, trains a tokenizer once, and hands the trainer ordered sequences', async () => {
    const { registry, calls, trainTokenizer } = fakes();
    const { dir, file, words, uniqueWords } = await corpus();
    expect(uniqueWords).toBe(words); // repeated lines count again: a corpus's size is all of its words (BabyLM)
    const program = new Command().exitOverride();
    registerPretrain(program, { pluginPaths: [], getRegistry: async () => registry, getManifests: async () => [] });
    const out = path.join(dir, 'run');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const argv = ['node', 'class-it', 'pretrain', '--corpus', file, '--preset', 'tiny', '--out', out, '--seed', '7', '--batch-size', '4', '--lr', '2e-3', '--epochs', '1.5', '--vocab-size', '300'];
    await program.parseAsync(argv);
    expect(trainTokenizer).toHaveBeenCalledTimes(1);
    expect(trainTokenizer.mock.calls[0]![1]).toMatchObject({ vocabSize: 300, specialTokens: { eos: '<|endoftext|>' } });
    await fs.access(path.join(out, 'tokenizer', 'tokenizer.json'));
    const { stages, settings, context } = calls[0]!;
    expect(settings).toMatchObject({ learningRate: 2e-3, batchSize: 4, seed: 7, sequenceLength: 16, gradAccumulation: 1 });
    const trainCount = new Set(stages[0]!.sequences).size;
    const evalCount = context.evalSequences!.length;
    expect(evalCount).toBeGreaterThanOrEqual(1);
    // 1.5 epochs: two shuffled passes given, steps cut at 1.5 x steps per epoch.
    expect(stages[0]!.sequences.length).toBe(2 * trainCount);
    expect(settings.maxSteps).toBe(Math.ceil(1.5 * Math.ceil(trainCount / 4)));
    expect(stages[0]!.sequences.slice(0, trainCount)).not.toEqual(stages[0]!.sequences.slice(trainCount));
    expect(stages[0]!.sequences.every((s) => s.ids.length <= 16)).toBe(true);
    const all = [...new Set(stages[0]!.sequences), ...context.evalSequences!];
    expect(all.reduce((a, s) => a + s.words, 0)).toBe(words);
    expect(settings.milestoneWords[0]).toBe(1e6);
    expect(log.mock.calls.flat().join('\n')).toMatch(/pretrained 123 parameters on fakebackend/);
    const record = JSON.parse(await fs.readFile(path.join(out, 'pretrain.json'), 'utf8'));
    expect(record).toMatchObject({ backend: 'fakebackend', preset: 'tiny', corpusLines: 60, corpusWords: words });
    const ledger = JSON.parse(await fs.readFile(path.join(out, 'final', 'words-ledger.json'), 'utf8'));
    expect(ledger.phases[0]).toMatchObject({ name: 'pretraining', uniqueWords });

    // A rerun reuses the tokenizer it trained (so a resumed run sees the same ids) and gives the same data.
    await program.parseAsync(argv);
    expect(trainTokenizer).toHaveBeenCalledTimes(1);
    expect(calls[1]!.stages[0]!.sequences.map((s) => s.ids)).toEqual(stages[0]!.sequences.map((s) => s.ids));
    log.mockRestore();
    err.mockRestore();
  });

  it('rejects an unknown preset, a bad number and a too-long sequence with clear errors', async () => {
    const { registry } = fakes();
    const { dir, file } = await corpus();
    const base = { corpus: [file], out: path.join(dir, 'x'), log: () => undefined };
    await expect(pretrain(registry, { ...base, preset: 'huge' })).rejects.toThrow(/no preset 'huge' \(presets: tiny\)/);
    await expect(pretrain(registry, { ...base, preset: 'tiny', sequenceLength: 64 })).rejects.toThrow(/64 exceeds the model's context length 16/);
    await expect(pretrain(registry, { ...base, preset: 'tiny', corpus: [path.join(dir, 'nope.txt')] })).rejects.toThrow(/does not exist/);
    const { registry: r2, calls } = fakes();
    await expect(pretrain(r2, { ...base, preset: 'tiny', epochs: 3, budget: { maxUniqueWords: 1e6, maxWordsSeen: 500 } })).rejects.toThrow(/word budget exceeded: .* words seen > 500/);
    expect(calls.length).toBe(0);
    const program = new Command().exitOverride();
    registerPretrain(program, { pluginPaths: [], getRegistry: async () => registry, getManifests: async () => [] });
    await expect(program.parseAsync(['node', 'class-it', 'pretrain', '--corpus', file, '--preset', 'tiny', '--out', dir, '--lr', 'fast'])).rejects.toThrow(/--lr must be a number, got 'fast'/);
    await expect(program.parseAsync(['node', 'class-it', 'pretrain', '--corpus', file, '--preset', 'tiny', '--out', dir, '--weight-decay', '-1'])).rejects.toThrow(/--weight-decay: .*>=0 \(got -1\)/);
    await expect(program.parseAsync(['node', 'class-it', 'pretrain', '--corpus', file, '--preset', 'tiny', '--out', dir, '--batch-size', '2.5'])).rejects.toThrow(/--batch-size: .*expected int.*\(got 2.5\)/);
  });

  it('honours maxSteps and every optimizer setting, and rejects settings it does not know (nothing is overridden silently)', async () => {
    const { registry, calls } = fakes();
    const { dir, file } = await corpus();
    const settings = { maxSteps: 2, weightDecay: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, gradClip: 0.5, warmupFraction: 0.1, minLearningRateRatio: 0.2,
      dropout: 0.1, checkpointEverySteps: 7, evalEverySteps: 3, gradAccumulation: 2 };
    await pretrain(registry, { corpus: [file], preset: 'tiny', out: path.join(dir, 'a'), log: () => undefined, ...settings });
    expect(calls[0]!.settings).toMatchObject(settings);
    // Without them: today's defaults (pretraining's own optimizer; intervals from the number of steps).
    await pretrain(registry, { corpus: [file], preset: 'tiny', out: path.join(dir, 'b'), log: () => undefined, epochs: 3, maxSteps: 8 });
    expect(calls[1]!.settings).toMatchObject({ maxSteps: 8, learningRate: 1e-3, minLearningRateRatio: 0.1, warmupFraction: 0.02, weightDecay: 0.1,
      beta1: 0.9, beta2: 0.95, epsilon: 1e-8, gradClip: 1, checkpointEverySteps: 2, evalEverySteps: 1, batchSize: 16, gradAccumulation: 1 });
    expect(calls[1]!.settings).not.toHaveProperty('dropout');
    // The old escape hatch `trainer: {...}` had its maxSteps overwritten; it is now refused.
    await expect(pretrain(registry, { corpus: [file], preset: 'tiny', out: path.join(dir, 'c'), log: () => undefined, trainer: { maxSteps: 3 } } as never))
      .rejects.toThrow(/Unrecognized key: "trainer"/);
    expect(calls).toHaveLength(2);
  });

  it('the flags of class-it pretrain and an experiment\'s pretrain: section are one schema: same tokenizer, same training', async () => {
    const { defaultSteps } = await import('../src/run/steps.js');
    const { experimentSchema, parseConfigText } = await import('../src/index.js');
    const { registry, calls, trainTokenizer } = fakes();
    const { dir, file } = await corpus();
    // Only the required fields, so every default applies.
    const yaml = `name: x\nmodels: [{ name: m, pretrain: { corpus: [${path.basename(file)}], preset: tiny } }]\n` +
      'conditions: [{ name: baseline, curriculum: baseline }]\nevaluation: { dataDir: . }\n';
    const fromYaml = parseConfigText(yaml, path.join(dir, 'exp.yaml'), experimentSchema).value.models[0]!.pretrain!;
    const fromFlags = pretrainSettingsFromFlags({ corpus: [path.basename(file)], preset: 'tiny' });
    expect(fromFlags).toEqual(fromYaml);
    // --add-bos / --no-add-bos give addBos both ways; neither leaves it to the architecture
    const parseFlags = async (extra: string[]) => {
      let seen: Record<string, unknown> = {};
      const flags = new Command().exitOverride();
      registerPretrain(flags, { pluginPaths: [], getRegistry: async () => { throw new Error('not needed'); }, getManifests: async () => [] });
      flags.commands[0]!.action((opts: Record<string, unknown>) => { seen = opts; });
      await flags.parseAsync(['node', 'class-it', 'pretrain', '--corpus', file, '--preset', 'tiny', '--out', dir, ...extra]);
      return pretrainSettingsFromFlags(seen).addBos;
    };
    expect(await parseFlags(['--add-bos'])).toBe(true);
    expect(await parseFlags(['--no-add-bos'])).toBe(false);
    expect(await parseFlags([])).toBeUndefined();

    const program = new Command().exitOverride();
    registerPretrain(program, { pluginPaths: [], getRegistry: async () => registry, getManifests: async () => [] });
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    await program.parseAsync(['node', 'class-it', 'pretrain', '--corpus', file, '--preset', 'tiny', '--out', path.join(dir, 'cli'), '--seed', '3']);
    log.mockRestore();
    err.mockRestore();
    await defaultSteps.pretrain(registry, { model: 'm', settings: fromYaml, outDir: path.join(dir, 'run'), seed: 3, experimentDir: dir, backend: 'auto', log: () => undefined });
    expect(trainTokenizer).toHaveBeenCalledTimes(2);
    expect(trainTokenizer.mock.calls[0]![1]).toEqual(trainTokenizer.mock.calls[1]![1]);
    expect(trainTokenizer.mock.calls[0]![1]).toMatchObject({ vocabSize: 64 }); // the preset's, both ways
    expect(calls[0]!.settings).toEqual(calls[1]!.settings);
    expect(calls[0]!.settings.sequenceLength).toBe(16); // the context length, both ways
    expect(calls[0]!.stages[0]!.sequences.map((s) => s.ids)).toEqual(calls[1]!.stages[0]!.sequences.map((s) => s.ids));
  });
});
