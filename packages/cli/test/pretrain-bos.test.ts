/**
 * `pretrain.addBos`: the architecture's default (llama on, gpt off), the special tokens it gives, the tokenizer files
 * it writes, and refusals when a given or reused tokenizer disagrees. Real tokenizer training, a fake trainer and
 * architecture (no tensors); the HF and scoring side is in tools/test/bos-parity.test.ts.
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addsBos, definePlugin, PluginRegistry, type ModelArchitecture, type Runtime, type TrainableModel, type TrainingStageData } from '@class-it/core';
import { loadTokenizer, trainByteLevelBpe } from '@class-it/tokenizers';
import { pretrain } from '../src/pretrain/pretrain.js';

function fakes(name: 'gpt' | 'llama', defaultAddBos: boolean | undefined) {
  const stages: TrainingStageData[][] = [];
  const runtime: Runtime = {
    name: 'fake',
    init: async () => 'fakebackend',
    backend: () => 'fakebackend',
    classifierTrainer: () => { throw new Error('unused'); },
    loadTokenizer: (dir) => loadTokenizer(dir),
    trainTokenizer: async (texts, options) => trainByteLevelBpe(texts, options),
    trainer: () => ({
      train: async (_model, given, settings, context) => {
        stages.push(given);
        const finalDir = path.join(context.outDir, 'final');
        await fs.mkdir(finalDir, { recursive: true });
        return { steps: settings.maxSteps ?? 0, tokens: 0, wordsSeen: 1, finalLoss: 1, tokensPerSecond: 1, backend: 'fakebackend', finalDir, milestoneDirs: [], resumedFromStep: 0 };
      },
    }),
  };
  const architecture: ModelArchitecture = {
    name,
    modelTypes: [name],
    presets: { tiny: { n_positions: 64 } },
    ...(defaultAddBos !== undefined ? { defaultAddBos } : {}),
    parameterCount: () => 1,
    load: async () => { throw new Error('unused'); },
    create: async () => ({ info: { architecture: name, source: 'tiny', parameterCount: 1, backend: 'fakebackend', contextLength: 64 }, dispose: () => undefined } as unknown as TrainableModel),
  };
  const registry = new PluginRegistry();
  registry.register(definePlugin({ kind: 'runtime', name: 'fake', description: 'x', useFactory: () => runtime }), { packageName: 'fake', packageVersion: '0' });
  registry.register(definePlugin({ kind: 'architecture', name, description: 'x', useFactory: () => architecture }), { packageName: 'fake', packageVersion: '0' });
  return { registry, stages };
}

async function corpus(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pretrain-bos-'));
  const file = path.join(dir, 'corpus.train');
  await fs.writeFile(file, Array.from({ length: 40 }, (_, i) => `the cat ${i % 3 ? 'sat' : 'ran'} on the mat`).join('\n') + '\n');
  return file;
}

const readJson = async (file: string) => JSON.parse(await fs.readFile(file, 'utf8'));

describe('pretrain addBos', () => {
  it('llama defaults to a BOS tokenizer with distinct <s> </s> <pad>, written where transformers reads it; gpt to none', async () => {
    const file = await corpus();
    for (const [arch, defaultAddBos] of [['llama', true], ['gpt', false], ['gpt', undefined]] as const) {
      const { registry, stages } = fakes(arch, defaultAddBos);
      const out = path.join(path.dirname(file), `run-${arch}-${String(defaultAddBos)}`);
      const result = await pretrain(registry, { corpus: [file], out, preset: 'tiny', architecture: arch, vocabSize: 300, log: () => undefined });
      const tokenizer = await loadTokenizer(result.tokenizerDir);
      const config = await readJson(path.join(result.tokenizerDir, 'tokenizer_config.json'));
      const map = await readJson(path.join(result.tokenizerDir, 'special_tokens_map.json'));
      const json = await readJson(path.join(result.tokenizerDir, 'tokenizer.json'));
      if (arch === 'llama') {
        expect(addsBos(tokenizer)).toBe(true);
        expect(tokenizer.specialTokens).toMatchObject({ bos: '<s>', eos: '</s>', pad: '<pad>' });
        expect(new Set(['bos', 'eos', 'pad'].map((n) => tokenizer.specialId(n as 'bos')))).toEqual(new Set([0, 1, 2]));
        expect(config).toMatchObject({ add_bos_token: true, add_eos_token: false, bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>' });
        expect(map).toEqual({ bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>', additional_special_tokens: ['<|system|>', '<|user|>', '<|assistant|>'] });
        expect(json.post_processor).toMatchObject({ type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>' } }, { Sequence: { id: 'A' } }] });
        expect(stages[0]![0]!.sequences.every((s) => s.ids.includes(0))).toBe(true); // <s> starts every line
      } else {
        expect(addsBos(tokenizer)).toBe(false);
        expect(tokenizer.specialTokens).toMatchObject({ bos: '<|endoftext|>', eos: '<|endoftext|>', pad: '<|pad|>' });
        expect(config.add_bos_token).toBeUndefined();
        expect(map).toMatchObject({ bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', pad_token: '<|pad|>' });
        expect(json.post_processor.type).toBe('ByteLevel');
      }
      expect((await readJson(path.join(out, 'pretrain.json'))).addBos).toBe(arch === 'llama');
    }
  });

  it('addBos overrides the architecture both ways', async () => {
    const file = await corpus();
    for (const [arch, addBos] of [['gpt', true], ['llama', false]] as const) {
      const { registry } = fakes(arch, arch === 'llama');
      const result = await pretrain(registry, { corpus: [file], out: path.join(path.dirname(file), `o-${arch}`), preset: 'tiny', architecture: arch, addBos, vocabSize: 300, log: () => undefined });
      expect(addsBos(await loadTokenizer(result.tokenizerDir))).toBe(addBos);
    }
  });

  it('refuses a reused or given tokenizer that disagrees with addBos, naming the field', async () => {
    const file = await corpus();
    const { registry } = fakes('llama', true);
    const out = path.join(path.dirname(file), 'resume');
    const result = await pretrain(registry, { corpus: [file], out, preset: 'tiny', architecture: 'llama', vocabSize: 300, log: () => undefined });
    // Resuming the same run with BOS switched off would train on other ids: refused.
    await expect(pretrain(registry, { corpus: [file], out, preset: 'tiny', architecture: 'llama', addBos: false, vocabSize: 300, log: () => undefined }))
      .rejects.toThrow(/tokenizer .* adds BOS but this run says addBos false.*set addBos: true to resume/);
    // A given tokenizer decides by itself; an explicit addBos must agree.
    const given = { corpus: [file], preset: 'tiny', architecture: 'llama', tokenizer: result.tokenizerDir, log: () => undefined };
    await expect(pretrain(registry, { ...given, out: path.join(path.dirname(file), 'g1'), addBos: false })).rejects.toThrow(/addBos is false, but the tokenizer .* adds BOS/);
    await expect(pretrain(registry, { ...given, out: path.join(path.dirname(file), 'g2'), addBos: true })).resolves.toBeDefined();
    await expect(pretrain(registry, { ...given, out: path.join(path.dirname(file), 'g3') })).resolves.toBeDefined();
  });
});
