/**
 * On the native engine a decoding step runs as one TensorFlow graph function once two steps have traced the same
 * graph (packages/runtime-tfjs/src/engine/native-function.ts). For GPT and LLaMA (GQA): greedy ids equal those of
 * running the step op by op (CLASS_IT_NATIVE_FUNCTIONS=0), alone and in a left-padded batch; the steps after the
 * first two really ran as a function; sampling with a seed gives the same text both ways; and the tensor count
 * stays flat over a long generation, through the growths of the KV cache. A training micro-batch's loss and
 * gradients run as a function too: every call, traced or not, gives the same numbers bit for bit, within float32
 * rounding of op by op, with the same dropout masks. Skipped loudly without the native engine built by `npm run setup:native`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type { TextGenerator, TrainableModel } from '@class-it/core';
import {
  MicroBatchGradients, batchTensors, causalModuleOf, disposeBatch, initEngine, nativeFunctionStats, nativeFunctionsAvailable,
  trainByteLevelBpe,
} from '@class-it/runtime-tfjs';
import { GptArchitecture } from '@class-it/model-gpt';
import { LlamaArchitecture } from '@class-it/model-llama';

const CORPUS = ['The cat sat on the mat.', 'A dog barks at the moon.', 'Who should Derek hug after shocking Richard?',
  'The children were playing in the garden.', 'She reads books every night.'];
const PROMPTS = ['The cat', 'Who should Derek hug after', 'She'];

let native = false;
try {
  native = (await initEngine('tensorflow')) === 'tensorflow';
} catch {
  native = false; // @tensorflow/tfjs-node is not installed
}
const ready = native && nativeFunctionsAvailable();
if (!ready) {
  console.warn('SKIPPED generation-native-functions: no native TensorFlow backend with graph functions here (npm run setup:native)');
}

type Model = TrainableModel & TextGenerator;

async function makeModels(): Promise<Array<[string, Model]>> {
  const tokenizer = trainByteLevelBpe(Array(4).fill(CORPUS).flat(), {
    vocabSize: 300, specialTokens: { bos: '<s>', eos: '</s>' }, addBos: true,
  });
  const gpt = await new GptArchitecture().create({
    preset: 'gpt-tiny', overrides: { n_embd: 32, n_head: 4, n_positions: 256, initializer_range: 0.3 }, tokenizer, seed: 5,
  });
  const llama = await new LlamaArchitecture().create({
    preset: 'llama-tiny', overrides: { initializer_range: 0.3, rope_theta: 500000 }, tokenizer, seed: 7,
  });
  return [['gpt', gpt as Model], ['llama', llama as Model]];
}

/** Run `work` with graph functions on or off (the switch is read when a generation or scoring call starts). */
async function withFunctions<T>(functions: boolean, work: () => Promise<T>): Promise<T> {
  const saved = process.env.CLASS_IT_NATIVE_FUNCTIONS;
  process.env.CLASS_IT_NATIVE_FUNCTIONS = functions ? '1' : '0';
  try {
    return await work();
  } finally {
    if (saved === undefined) delete process.env.CLASS_IT_NATIVE_FUNCTIONS;
    else process.env.CLASS_IT_NATIVE_FUNCTIONS = saved;
  }
}

function generate(model: Model, functions: boolean, prompts: string[], options: Parameters<Model['generate']>[1]) {
  return withFunctions(functions, () => model.generate(prompts, options));
}

describe.skipIf(!ready)('decoding steps as one TensorFlow function (native engine)', () => {
  let models: Array<[string, Model]> = [];
  beforeAll(async () => {
    models = await makeModels();
  });
  afterAll(() => models.forEach(([, m]) => m.dispose()));

  it('greedy ids equal op-by-op decoding, alone and in a left-padded batch, and the steps ran as a function', async () => {
    for (const [name, model] of models) {
      const eager = await generate(model, false, PROMPTS, { maxNewTokens: 24, doSample: false, stopTokenIds: [] });
      const callsBefore = nativeFunctionStats().calls;
      const fused = await generate(model, true, PROMPTS, { maxNewTokens: 24, doSample: false, stopTokenIds: [] });
      const fusedCalls = nativeFunctionStats().calls - callsBefore;
      expect(fused.map((o) => o.ids), name).toEqual(eager.map((o) => o.ids));
      // the longest sequence runs 24 steps after its prompt: 2 traced, the rest as a function (unless all stopped)
      const steps = Math.max(...fused.map((o) => o.ids.length)) - 1;
      expect(fusedCalls, name).toBe(steps - 2);
      expect(fusedCalls, name).toBeGreaterThan(0);
      const single = [];
      for (const prompt of PROMPTS) single.push((await generate(model, true, [prompt], { maxNewTokens: 16, doSample: false }))[0]!.ids);
      const singleEager = [];
      for (const prompt of PROMPTS) singleEager.push((await generate(model, false, [prompt], { maxNewTokens: 16, doSample: false }))[0]!.ids);
      expect(single, name).toEqual(singleEager);
    }
  });

  it('seeded sampling gives the same tokens both ways; a second generation reuses the registered function', async () => {
    for (const [name, model] of models) {
      const options = { maxNewTokens: 20, doSample: true, temperature: 1.3, topK: 0, seed: 3 };
      const eager = await generate(model, false, ['The children'], options);
      const first = await generate(model, true, ['The children'], options);
      const { registered, calls } = nativeFunctionStats();
      const again = await generate(model, true, ['The children'], options);
      expect(first[0]!.ids, name).toEqual(eager[0]!.ids);
      expect(again[0]!.ids, name).toEqual(eager[0]!.ids);
      // same shapes and weights: no new function, and every step after the first traced one runs it
      expect(nativeFunctionStats().registered, name).toBe(registered);
      expect(nativeFunctionStats().calls - calls, name).toBe(again[0]!.ids.length - 2);
    }
  });

  it('a generation past 64 positions and on to the context window (the cache grows) gives the ids of op-by-op decoding', async () => {
    for (const [name, model] of models) {
      const options = { maxNewTokens: 140, doSample: false, repetitionPenalty: 1.3, stopTokenIds: [] };
      const eager = await generate(model, false, ['The cat', 'She'], options);
      const fused = await generate(model, true, ['The cat', 'She'], options);
      expect(Math.max(...fused.map((o) => o.ids.length)), name).toBeGreaterThan(100); // llama-tiny's window is 128
      expect(fused.map((o) => o.ids), name).toEqual(eager.map((o) => o.ids));
    }
  });

  it('leaves no tensor behind, and the count stays flat over 150 steps', async () => {
    for (const [name, model] of models) {
      const before = tf.memory().numTensors;
      const counts: number[] = [];
      const [out] = await generate(model, true, ['The'], {
        maxNewTokens: 150, doSample: true, temperature: 1.5, topK: 0, seed: 1, stopTokenIds: [],
        onToken: () => counts.push(tf.memory().numTensors),
      });
      expect(out!.ids.length, name).toBeGreaterThan(100);
      expect(new Set(counts.slice(3)), name).toEqual(new Set([counts[3]]));
      expect(tf.memory().numTensors, name).toBe(before);
    }
  });

  it('training micro-batches: the same numbers on every call, op-by-op numbers within rounding, the same dropout masks', async () => {
    for (const [name, model] of models) {
      const module = causalModuleOf(model);
      // dropout on: GPT through setDropout, LLaMA through its attention dropout
      const config = module.config as { attention_dropout?: number };
      const gpt = module as { setDropout?: (rate: number) => void };
      if (gpt.setDropout) gpt.setDropout(0.1);
      else config.attention_dropout = 0.1;
      const rows = [[5, 9, 11, 40, 2, 7], [3, 8, 21, 4, 9, 1]].map((ids) => ({
        ids: ids.slice(0, -1), targets: ids.slice(1), weights: ids.slice(1).map(() => 1), words: 1,
      }));
      const run = (functions: boolean, calls: number) => withFunctions(functions, async () => {
        const grads = new MicroBatchGradients(module);
        const out: Array<{ loss: number; grads: Float32Array[] }> = [];
        for (let call = 0; call < calls; call++) {
          const batch = batchTensors(rows, 12);
          const { value, grads: g } = grads.compute(batch, 1234);
          out.push({ loss: value.dataSync()[0]!, grads: Object.keys(g).sort().map((k) => g[k]!.dataSync() as Float32Array) });
          tf.dispose([value, ...Object.values(g)]);
          disposeBatch(batch);
        }
        return out;
      });
      const before = tf.memory().numTensors;
      const calls = nativeFunctionStats().calls;
      const fused = await run(true, 3);
      expect(nativeFunctionStats().calls - calls, name).toBe(3); // every call ran the function: 2 traced, 1 not
      expect(tf.memory().numTensors, name).toBe(before);
      expect(fused[0], name).toEqual(fused[2]);
      expect(fused[1], name).toEqual(fused[2]);
      const [eager] = await run(false, 1);
      // same masks: with other masks the loss would differ by far more than rounding
      expect(Math.abs(eager!.loss - fused[0]!.loss), name).toBeLessThan(1e-5);
      eager!.grads.forEach((g, i) => g.forEach((v, j) => expect(Math.abs(v - fused[0]!.grads[i]![j]!)).toBeLessThan(1e-5)));
      const otherSeed = await withFunctions(true, async () => {
        const batch = batchTensors(rows, 12);
        const { value, grads } = new MicroBatchGradients(module).compute(batch, 99);
        const loss = value.dataSync()[0]!;
        tf.dispose([value, ...Object.values(grads)]);
        disposeBatch(batch);
        return loss;
      });
      expect(otherSeed, name).not.toBe(fused[0]!.loss);
      if (gpt.setDropout) gpt.setDropout(0);
      else config.attention_dropout = 0;
    }
  });
});
