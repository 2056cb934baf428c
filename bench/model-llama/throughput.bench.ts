/**
 * Training and scoring throughput of the LLaMA plugin beside the GPT plugin at a similar parameter count, on the
 * same engine, with the runtime's own training step (weightedLoss + AdamW, as TfjsTrainer) and scorer
 * (TrainableModel.logLikelihood). Prints one JSON object; writes it to $BENCH_OUT when set.
 *
 *   cd bench/model-llama && npx vitest run                       # small (~5M params each), default engine
 *   BENCH_SIZE=140m BENCH_BACKEND=tensorflow BENCH_OUT=/tmp/llama-bench.json npx vitest run
 *
 * Env: BENCH_BACKEND (auto | tensorflow | wasm | cpu; default auto), BENCH_SIZE (small | 140m), BENCH_STEPS
 * (timed training steps, default 3, after 1 warm-up), BENCH_BATCH (sequences a step, default 8), BENCH_SEQ
 * (tokens a sequence, default 128), BENCH_SENTENCES (scored sentences, default 64).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { ArchitectureConfig, ModelArchitecture, TrainableModel } from '@class-it/core';
import {
  AdamW,
  batchTensors,
  causalModuleOf,
  disposeBatch,
  engineDetails,
  initEngine,
  trainByteLevelBpe,
  weightedLoss,
  type Row,
} from '@class-it/runtime-tfjs';
import { GptArchitecture } from '@class-it/model-gpt';
import { LlamaArchitecture } from '@class-it/model-llama';
import { it } from 'vitest';

const env = process.env;
const backendChoice = env.BENCH_BACKEND ?? 'auto';
const size = env.BENCH_SIZE ?? 'small';
const timedSteps = Number(env.BENCH_STEPS ?? 3);
const batch = Number(env.BENCH_BATCH ?? 8);
const seqLen = Number(env.BENCH_SEQ ?? 128);
const sentenceCount = Number(env.BENCH_SENTENCES ?? 64);

/** Matched sizes. small: 4 layers, 256 wide, 8000 vocab, tied (GPT MLP 4d, LLaMA SwiGLU 688 = same weights). */
const SIZES: Record<string, Array<{ label: string; architecture: ModelArchitecture; preset: string; overrides: ArchitectureConfig }>> = {
  small: [
    {
      label: 'gpt',
      architecture: new GptArchitecture(),
      preset: 'gpt-tiny',
      overrides: { n_layer: 4, n_embd: 256, n_head: 4, n_positions: seqLen, vocab_size: 8000, tie_word_embeddings: true },
    },
    {
      label: 'llama',
      architecture: new LlamaArchitecture(),
      preset: 'llama-tiny',
      overrides: {
        num_hidden_layers: 4, hidden_size: 256, intermediate_size: 688, num_attention_heads: 4, num_key_value_heads: 4,
        max_position_embeddings: seqLen, vocab_size: 8000, tie_word_embeddings: true,
      },
    },
    {
      label: 'llama-gqa',
      architecture: new LlamaArchitecture(),
      preset: 'llama-tiny',
      overrides: {
        num_hidden_layers: 4, hidden_size: 256, intermediate_size: 688, num_attention_heads: 4, num_key_value_heads: 2,
        max_position_embeddings: seqLen, vocab_size: 8000, tie_word_embeddings: true,
      },
    },
  ],
  '140m': [
    { label: 'gpt', architecture: new GptArchitecture(), preset: 'gpt-140m', overrides: { n_positions: Math.max(seqLen, 512) } },
    { label: 'llama', architecture: new LlamaArchitecture(), preset: 'llama-140m', overrides: { max_position_embeddings: Math.max(seqLen, 512) } },
  ],
};

/** A seeded stream of pseudo-English sentences (12-20 words) for the tokenizer and the scorer. */
function sentences(n: number, seed: number): string[] {
  const words = ('the a child dog cat saw went under over table door house small big quickly slowly because and ' +
    'then after before ran jumped looked found played with in on of to from red blue green happy sad teacher ' +
    'story book river tree garden morning evening asked answered said told every never always').split(' ');
  let state = seed >>> 0;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, () => {
    const len = 12 + Math.floor(next() * 9);
    const s = Array.from({ length: len }, () => words[Math.floor(next() * words.length)]).join(' ');
    return s[0]!.toUpperCase() + s.slice(1) + '.';
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Random full-length rows (ids < vocab), the trainer's Row format with every position weighted. */
function randomRows(vocab: number, seed: number): Row[] {
  let state = seed >>> 0;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
  return Array.from({ length: batch }, () => {
    const ids = Array.from({ length: seqLen + 1 }, () => next() % vocab);
    return { ids: ids.slice(0, -1), targets: ids.slice(1), weights: ids.slice(1).map(() => 1) };
  });
}

/** The trainer's step: grads of the weighted loss, AdamW update. Returns ms per step (median of timed steps). */
function trainingStepMs(model: TrainableModel): { stepMs: number; loss: number } {
  const module = causalModuleOf(model);
  const optimizer = new AdamW(module.variables, { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1 }, (n) => !module.noWeightDecay(n));
  const varList = [...module.variables.values()];
  const keyOf = new Map([...module.variables].map(([key, v]) => [v.name, key]));
  const times: number[] = [];
  let loss = NaN;
  for (let step = 0; step < timedSteps + 1; step++) {
    const rows = randomRows(module.vocabSize, step + 1);
    const started = performance.now();
    const tensors = batchTensors(rows, batch * seqLen);
    const { value, grads } = tf.variableGrads(() => weightedLoss(module, tensors, true, step), varList);
    disposeBatch(tensors);
    const byKey = new Map(Object.entries(grads).map(([name, g]) => [keyOf.get(name)!, g]));
    optimizer.apply(byKey, 1e-4);
    loss = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads)]);
    module.variables.values().next().value!.dataSync(); // wait for the update
    if (step > 0) times.push(performance.now() - started);
  }
  optimizer.dispose();
  return { stepMs: median(times), loss };
}

async function scoringMs(model: TrainableModel, texts: string[]): Promise<number> {
  const requests = texts.map((s) => ({ context: '', continuation: s }));
  await model.logLikelihood(requests.slice(0, 4), { batchSize: 4 }); // warm-up
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const started = performance.now();
    await model.logLikelihood(requests, { batchSize: requests.length });
    times.push(performance.now() - started);
  }
  return median(times);
}

it('llama vs gpt throughput', async () => {
  const backend = await initEngine(backendChoice);
  const texts = sentences(sentenceCount, 7);
  const tokenizer = trainByteLevelBpe(sentences(2000, 11), {
    vocabSize: 2000,
    specialTokens: { bos: '<|endoftext|>', eos: '<|endoftext|>' },
    addBos: true,
  });
  const meanTokens = texts.reduce((s, t) => s + tokenizer.encode(t).ids.length, 0) / texts.length;
  const results = [];
  for (const entry of SIZES[size] ?? []) {
    const model = await entry.architecture.create({ preset: entry.preset, overrides: entry.overrides, tokenizer, seed: 1 });
    const train = trainingStepMs(model);
    const scoreMs = await scoringMs(model, texts);
    results.push({
      model: entry.label,
      preset: entry.preset,
      parameters: model.info.parameterCount,
      train: {
        stepMs: Math.round(train.stepMs),
        tokensPerSecond: Math.round((batch * seqLen * 1000) / train.stepMs),
        lossAfterSteps: Number(train.loss.toFixed(4)),
      },
      scoring: { sentences: texts.length, ms: Math.round(scoreMs), sentencesPerSecond: Number(((texts.length * 1000) / scoreMs).toFixed(1)) },
    });
    model.dispose();
  }
  if (!results.length) throw new Error(`unknown BENCH_SIZE '${size}' (small | 140m)`);
  const report = {
    benchmark: 'model-llama throughput vs model-gpt',
    date: new Date().toISOString(),
    backend,
    provider: engineDetails()?.provider,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))) },
    settings: { size, batch, sequenceLength: seqLen, timedSteps, meanScoredTokens: Number(meanTokens.toFixed(1)) },
    results,
  };
  const json = JSON.stringify(report, null, 2);
  console.log(json);
  if (env.BENCH_OUT) writeFileSync(env.BENCH_OUT, json + '\n');
});
