/**
 * A fake runtime and architecture (no tensors) with the built-in curricula and a row dataset, for tests of the
 * instruction-tuning job and the runner. The trainer records what it is given and writes a `final/` directory.
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PluginRegistry, definePlugin } from '@class-it/core';
import type { InstructionDataset, ModelArchitecture, Runtime, TrainableModel, TrainerSettings, TrainingContext, TrainingStageData } from '@class-it/core';
import { builtinCurricula, DEFAULT_TEMPLATE_TOKENS, writeLedger, DEFAULT_WORD_BUDGET } from '@class-it/instruct';
import { RowDataset, classItRowToExample } from '@class-it/data-sources';
import { CharTokenizer } from '@class-it/tokenizers/testing';

/** The bundled demo instruction sets (conversational.jsonl, qa.jsonl). */
export const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data/demo');

export function setup(options: { roleTokens?: boolean } = {}) {
  const calls: Array<{ stages: TrainingStageData[]; settings: TrainerSettings; context: TrainingContext }> = [];
  const tokenizer = new CharTokenizer({ bos: '<s>', eos: '</s>', additional: options.roleTokens === false ? [] : DEFAULT_TEMPLATE_TOKENS });
  const model = {
    architecture: 'gpt', config: {}, hiddenSize: 4, tokenizer, disposed: 0, dispose() { model.disposed++; },
    info: { architecture: 'gpt', source: 'fake', parameterCount: 1, backend: 'fake', contextLength: 64 },
  } as unknown as TrainableModel & { disposed: number };
  const runtime: Runtime = {
    name: 'fake', init: async (b) => b, backend: () => 'fake', classifierTrainer: () => { throw new Error('unused'); },
    loadTokenizer: async () => tokenizer, trainTokenizer: async () => tokenizer,
    trainer: () => ({
      train: async (_m, stages, settings, context) => {
        calls.push({ stages, settings, context });
        const finalDir = path.join(context.outDir, 'final');
        await fs.mkdir(finalDir, { recursive: true });
        await fs.writeFile(path.join(finalDir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 64 }));
        await fs.writeFile(path.join(finalDir, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
        const words = stages.reduce((n, s) => n + s.epochs * s.sequences.reduce((a, q) => a + q.words, 0), 0);
        return { steps: 1, tokens: 1, wordsSeen: context.wordsSeenBefore + words, finalLoss: 1, tokensPerSecond: 1, backend: 'fake', finalDir, milestoneDirs: [], resumedFromStep: 0 };
      },
    }),
  };
  const architecture: ModelArchitecture = { name: 'gpt', modelTypes: ['gpt2'], presets: { tiny: {} }, parameterCount: () => 1, create: async () => model, load: async () => model };
  /** Dataset loads, by plugin name. */
  const loads: Record<string, number> = {};
  const rows = new RowDataset({ name: 'class-it-rows', description: '', toExamples: classItRowToExample });
  const countedRows: InstructionDataset = {
    name: 'class-it-rows', description: '',
    load: (opts) => { loads['class-it-rows'] = (loads['class-it-rows'] ?? 0) + 1; return rows.load(opts); },
  };
  const registry = new PluginRegistry();
  for (const d of builtinCurricula) registry.register(d, { packageName: 'core', packageVersion: '0.1.0' });
  registry.register(definePlugin({ kind: 'runtime', name: 'fake', description: '', useFactory: () => runtime }), { packageName: 'fake', packageVersion: '0' });
  registry.register(definePlugin({ kind: 'architecture', name: 'gpt', description: '', useFactory: () => architecture }), { packageName: 'fake', packageVersion: '0' });
  registry.register(definePlugin({ kind: 'dataset', name: 'class-it-rows', description: '', useFactory: () => countedRows }), { packageName: 'fake', packageVersion: '0' });
  return { registry, calls, model, tokenizer, loads };
}

/** A base checkpoint directory the fake architecture loads, with a words ledger when given. */
export async function baseCheckpoint(ledger?: { uniqueWords: number; wordsSeen: number }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'base-'));
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
  if (ledger) await writeLedger(dir, [{ name: 'pretraining', ...ledger }], DEFAULT_WORD_BUDGET);
  return dir;
}
