/**
 * End to end on the real stack: the evaluator, the tfjs classifier trainer and the `gpt-tiny` preset, on a
 * learnable synthetic task written in the glue_filtered format (RTE's fields): label 1 iff sentence2 contains
 * "apple". Pooling at the last token (a causal model's first token sees nothing else).
 */
import 'reflect-metadata';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { causalModuleOf, initEngine, trainByteLevelBpe, TfjsClassifierTrainer } from '@class-it/runtime-tfjs';
import { GptArchitecture } from '@class-it/model-gpt';
import { PluginRegistry, type TrainableModel } from '@class-it/core';
// The runtime plugin's definition (it provides TOKENS.ClassifierTrainer), as discovery would load it.
import tfjsRuntimePlugin from '@class-it/runtime-tfjs/plugin';
import { SuperGlueEvaluator, superGluePlugin, type SuperGlueDetails } from '@class-it/eval-superglue';

const tempDir = (prefix = 'superglue-') => fs.mkdtemp(path.join(os.tmpdir(), prefix));
async function writeJsonl(file: string, rows: Array<Record<string, unknown>>): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

const WORDS = ['the', 'cat', 'dog', 'sat', 'on', 'a', 'mat', 'red', 'big', 'ran', 'to', 'park', 'man', 'saw'];

function rows(count: number, seed: number): Array<Record<string, unknown>> {
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: count }, (_, i) => {
    const words = Array.from({ length: 3 + Math.floor(rand() * 5) }, () => WORDS[Math.floor(rand() * WORDS.length)]!);
    const label = i % 2;
    if (label === 1) words[Math.floor(rand() * words.length)] = 'apple';
    return { sentence1: 'a man saw the dog.', sentence2: words.join(' ') + '.', label, idx: i };
  });
}

let model: TrainableModel;
let dataDir: string;
beforeAll(async () => {
  await initEngine(process.env.CLASSIT_TEST_BACKEND ?? 'wasm');
  const tokenizer = trainByteLevelBpe([...WORDS, 'apple'].map((w) => `${w} the ${w} a ${w}.`), { vocabSize: 300, specialTokens: { eos: '<|endoftext|>' } });
  model = await new GptArchitecture().create({ preset: 'gpt-tiny', tokenizer, seed: 1 });
  dataDir = await tempDir('superglue-gpt-data-');
  await writeJsonl(path.join(dataDir, 'rte.train.jsonl'), rows(192, 1));
  await writeJsonl(path.join(dataDir, 'rte.valid.jsonl'), rows(64, 2));
});

describe('fine-tuning gpt-tiny through the evaluator resolved by the plugin registry', () => {
  it('reaches clearly better than chance on a learnable task', async () => {
    const out = await tempDir();
    const lines: string[] = [];
    const tensorsBefore = tf.memory().numTensors;
    const registry = new PluginRegistry();
    registry.register(superGluePlugin, { packageName: '@class-it/eval-superglue', packageVersion: '0.1.0' });
    registry.register(tfjsRuntimePlugin, { packageName: '@class-it/runtime-tfjs', packageVersion: '0.1.0' });
    const evaluator = registry.evaluatorFor('rte');
    const { result, details } = await evaluator.evaluate({
      task: 'rte', model, dataDir, outDir: out, fast: false, log: (l) => lines.push(l),
      settings: { epochs: 6, batchSize: 16, lr: 2e-3, pooling: 'last', maxLength: 64, saveModel: true },
    });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(result.score, lines.join('\n')).toBeGreaterThanOrEqual(80); // chance is 50
    const json = details as SuperGlueDetails;
    expect(json.tasks.rte!.examplesPerSecond).toBeGreaterThan(0);
    expect(json.tasks.rte!.settings).toMatchObject({ pooling: 'last', paddingSide: 'right' });
    const preds = JSON.parse(await fs.readFile(path.join(out, 'rte/predictions.json'), 'utf8'));
    expect(preds.rte.predictions).toHaveLength(64);
    const saved = await new GptArchitecture().load(path.join(out, 'rte/model'));
    expect(saved.hiddenSize).toBe(64);
    saved.dispose();
    await fs.access(path.join(out, 'rte/model/classifier.safetensors'));
  });

  it('left padding with first-token pooling (the reference\'s causal workaround) trains and predicts', async () => {
    const out = await tempDir();
    const evaluator = new SuperGlueEvaluator(new TfjsClassifierTrainer());
    const { result, details } = await evaluator.evaluate({
      task: 'rte', model, dataDir, outDir: out, fast: false, log: () => {},
      settings: { epochs: 2, batchSize: 16, lr: 2e-3, paddingSide: 'left', maxLength: 64, maxTrainExamples: 64, maxValidExamples: 32 },
    });
    expect(Number.isFinite(result.score)).toBe(true);
    const json = details as SuperGlueDetails;
    expect(json.tasks.rte!.settings).toMatchObject({ pooling: 'first', paddingSide: 'left' });
    expect(json.tasks.rte!.epochs.every((e) => Number.isFinite(e.trainLoss))).toBe(true);
  });

  it('pooling at position 0 needs only the first token (the shortcut the trainer takes with right padding)', () => {
    const module = causalModuleOf(model);
    const ids = tf.tensor2d([[5, 9, 13, 2, 7], [11, 3, 3, 8, 1]], [2, 5], 'int32');
    const full = tf.tidy(() => module.forward(ids, { training: false }).hidden.slice([0, 0, 0], [2, 1, -1]));
    const first = tf.tidy(() => module.forward(ids.slice([0, 0], [2, 1]), { training: false, hiddenOnly: true }).hidden);
    expect(tf.max(tf.abs(tf.sub(full, first))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([ids, full, first]);
  });

  it('an interrupted task resumes at the last finished epoch and ends as an uninterrupted one', async () => {
    const settings = { epochs: 3, batchSize: 16, lr: 2e-3, pooling: 'last', maxLength: 64, maxTrainExamples: 64, maxValidExamples: 32 };
    const run = async (out: string, killAt?: string) => {
      const registry = new PluginRegistry();
      registry.register(superGluePlugin, { packageName: '@class-it/eval-superglue', packageVersion: '0.1.0' });
      registry.register(tfjsRuntimePlugin, { packageName: '@class-it/runtime-tfjs', packageVersion: '0.1.0' });
      return registry.evaluatorFor('rte').evaluate({
        task: 'rte', model, dataDir, outDir: out, fast: false, settings,
        log: (l) => { if (killAt && l.includes(killAt)) throw new Error('killed'); },
      });
    };
    const whole = await tempDir();
    await run(whole);
    const out = await tempDir();
    // killed inside the epoch-2 callback: epoch 2 is in epochs.json but not in the trainer's state, so it is redone
    await expect(run(out, 'epoch 2/3 loss')).rejects.toThrow('killed');
    const json = (await run(out)).details as SuperGlueDetails;
    expect(json.tasks.rte!.resumedFromEpoch).toBe(1);
    const read = (dir: string, f: string) => fs.readFile(path.join(dir, 'rte', f), 'utf8');
    expect(await read(out, 'predictions.json')).toBe(await read(whole, 'predictions.json'));
    expect(await read(out, 'results.txt')).toBe(await read(whole, 'results.txt'));
    const epochs = (dir: string) => read(dir, 'epochs.json').then((t) => JSON.parse(t).entries.map((e: { trainLoss: number }) => e.trainLoss));
    expect(await epochs(out)).toEqual(await epochs(whole));
  });
});
