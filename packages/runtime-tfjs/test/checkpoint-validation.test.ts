/**
 * No silent NaN (issue 12): checkpoints whose tensors are relabelled (declared dtype disagreeing with the data or
 * with what weights are) or hold a NaN/Inf weight fail to load with an error naming the file and the tensor, in
 * model directories and in the trainer's own checkpoints; non-finite scores are errors naming the item.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { TrainerSettings } from '@class-it/core';
import { trainByteLevelBpe } from '@class-it/tokenizers';
import { readCheckpointDir, saveCheckpointDir } from '../src/checkpoint/index.js';
import { TfjsTrainer } from '../src/training/trainer.js';
import { scoreLogLikelihood, scoreNextToken } from '../src/scoring/index.js';
import { patternSequences, tinyModel } from './training-fixtures.js';
import { ToyCausalLM, WordTokenizer } from './toy-model.js';

let work: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'checkpoint-validation-'));
});

/** Header of a safetensors file: its JSON and where the data starts. */
async function readHeader(file: string): Promise<{ bytes: Buffer; header: Record<string, any>; headerLength: number }> {
  const bytes = await fs.readFile(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  return { bytes, header: JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')), headerLength };
}

/** Change the declared dtype of one tensor, keeping the header's length (and so every offset). */
async function relabel(file: string, tensor: string, dtype: string): Promise<void> {
  const { bytes, header, headerLength } = await readHeader(file);
  header[tensor].dtype = dtype;
  const text = JSON.stringify(header);
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(headerLength);
  bytes.write(text.padEnd(headerLength, ' '), 8, 'utf8');
  await fs.writeFile(file, bytes);
}

/** Overwrite element `index` of a float32 tensor. */
async function poke(file: string, tensor: string, index: number, value: number): Promise<void> {
  const { bytes, header, headerLength } = await readHeader(file);
  bytes.writeFloatLE(value, 8 + headerLength + header[tensor].data_offsets[0] + 4 * index);
  await fs.writeFile(file, bytes);
}

describe('model checkpoints with wrong numbers do not load', () => {
  const tokenizer = trainByteLevelBpe(['the cat sat on the mat', 'a dog barks'], { vocabSize: 270, specialTokens: { eos: '<|endoftext|>' } });
  const weights = new Map([
    ['a.weight', { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
    ['a.bias', { shape: [3], data: new Float32Array([0.5, -1, 2]) }],
  ]);
  async function savedCheckpoint(name: string): Promise<{ dir: string; file: string }> {
    const dir = path.join(work, name);
    await saveCheckpointDir(dir, { config: { model_type: 'toy' }, hfArchitectures: ['ToyForCausalLM'], weights, tokenizer });
    await readCheckpointDir(dir); // loads before it is damaged
    return { dir, file: path.join(dir, 'model.safetensors') };
  }

  it('refuses a float tensor relabelled I32 (the byte length still fits), naming file and tensor', async () => {
    const { dir, file } = await savedCheckpoint('relabelled-i32');
    await relabel(file, 'a.weight', 'I32');
    await expect(readCheckpointDir(dir)).rejects.toThrow(`${file}, field 'a.weight': tensor 'a.weight' is declared I32, but weights are floating point`);
  });

  it('refuses a declared dtype that disagrees with the data length', async () => {
    const { dir, file } = await savedCheckpoint('relabelled-f16');
    await relabel(file, 'a.bias', 'F16');
    await expect(readCheckpointDir(dir)).rejects.toThrow(`${file}, field 'a.bias.data_offsets': shape [3] of F16 needs 6 bytes but data_offsets span 12`);
  });

  it('refuses a NaN or an infinite weight, naming file, tensor and element', async () => {
    const nan = await savedCheckpoint('nan');
    await poke(nan.file, 'a.weight', 4, Number.NaN);
    await expect(readCheckpointDir(nan.dir)).rejects.toThrow(`${nan.file}, field 'a.weight': tensor 'a.weight' (shape [2,3]) holds NaN at element 4`);
    const inf = await savedCheckpoint('inf');
    await poke(inf.file, 'a.bias', 0, Number.NEGATIVE_INFINITY);
    await expect(readCheckpointDir(inf.dir)).rejects.toThrow(`${inf.file}, field 'a.bias': tensor 'a.bias' (shape [3]) holds -Infinity at element 0`);
  });
});

describe("the trainer's own checkpoints with wrong numbers do not resume", () => {
  const settings: TrainerSettings = {
    learningRate: 5e-2, minLearningRateRatio: 0.1, warmupFraction: 0.2, weightDecay: 0.1, beta1: 0.9, beta2: 0.95, epsilon: 1e-8,
    gradClip: 1, batchSize: 4, gradAccumulation: 1, sequenceLength: 12, packing: false, seed: 5,
    checkpointEverySteps: 1, evalEverySteps: 100, milestoneWords: [],
  };
  const stages = [{ name: 's', sequences: patternSequences(8, { seed: 4 }), epochs: 1, schedule: 'reset' as const }];
  async function trainedRun(name: string): Promise<{ dir: string; file: string }> {
    const dir = path.join(work, name);
    const summary = await new TfjsTrainer().train(tinyModel(), stages, settings, { outDir: dir, wordsSeenBefore: 0, log: () => undefined });
    expect(summary.steps).toBe(2);
    return { dir, file: path.join(dir, 'checkpoints', 'step-00000002', 'training-state.safetensors') };
  }
  const resume = (dir: string) => new TfjsTrainer().train(tinyModel(), stages, settings, { outDir: dir, wordsSeenBefore: 0, log: () => undefined });

  it('refuses a NaN Adam moment, naming file and tensor', async () => {
    const { dir, file } = await trainedRun('train-nan');
    await poke(file, 'adam_v/ln_f.bias', 2, Number.NaN);
    await expect(resume(dir)).rejects.toThrow(`${file}, field 'adam_v/ln_f.bias': tensor 'adam_v/ln_f.bias' (shape [8]) holds NaN at element 2`);
  });

  it('refuses a parameter relabelled I32', async () => {
    const { dir, file } = await trainedRun('train-i32');
    await relabel(file, 'param/wte.weight', 'I32');
    await expect(resume(dir)).rejects.toThrow(`${file}, field 'param/wte.weight': tensor 'param/wte.weight' is declared I32`);
  });
});

describe('non-finite scores are errors naming the item', () => {
  const tokenizer = new WordTokenizer(false);
  /** A model whose embedding of the word ' dog' is NaN: every sequence containing it scores NaN. */
  function brokenModel(): ToyCausalLM {
    const model = new ToyCausalLM(12, 3);
    const dog = tokenizer.encode(' dog').ids[0]!;
    const emb = model.variables.get('emb')!;
    emb.assign(tf.tidy(() => tf.where(tf.equal(tf.reshape(tf.range(0, 50, 1, 'int32'), [50, 1]), dog), tf.fill([50, 8], Number.NaN), emb)));
    return model;
  }

  it('logLikelihood names the request whose log-probability is not finite', () => {
    const model = brokenModel();
    const requests = [{ context: 'The cat', continuation: ' sat' }, { context: 'The dog', continuation: ' sat' }];
    expect(() => scoreLogLikelihood(model, tokenizer, requests.slice(0, 1))).not.toThrow();
    expect(() => scoreLogLikelihood(model, tokenizer, requests)).toThrow('logLikelihood request 1 ("The dog sat"): the log-probability of scored token 1 is NaN');
    model.dispose();
  });

  it('nextTokenLogprobs names the request whose log-probability is not finite', () => {
    const model = brokenModel();
    const requests = [{ context: 'a big dog', tokenId: 3 }, { context: 'a cat', tokenId: 3 }];
    expect(() => scoreNextToken(model, tokenizer, requests)).toThrow('nextTokenLogprobs request 0 ("a big dog"): the log-probability of scored token 1 is NaN');
    expect(scoreNextToken(model, tokenizer, requests.slice(1)).every(Number.isFinite)).toBe(true);
    model.dispose();
  });
});
