/**
 * (Super)GLUE fine-tuning throughput: a fresh `gpt-10m` model fine-tuned through the real evaluator
 * (`SuperGlueEvaluator` + `TfjsClassifierTrainer`, the reference recipe) on the first BENCH_TRAIN rows of a
 * task's train file, one epoch, on every tfjs backend present. Reports training examples/s (the trainer's own
 * measure: optimizer steps only) and wall time. Prints one JSON object; writes it to $BENCH_OUT and bench/out/.
 *
 *   cd bench/superglue && npx vitest run
 *   BENCH_BACKENDS=wasm BENCH_TRAIN=128 BENCH_OUT=/tmp/superglue-bench.json npx vitest run
 *
 * Env: BENCH_BACKENDS (comma list, default tensorflow,wasm; cpu is ~30x slower than wasm), BENCH_TASK (default rte),
 * BENCH_TRAIN (train rows, default 256 = 8 steps of 32), BENCH_VALID (valid rows predicted, default 64),
 * BENCH_BATCH (default: the task's reference batch), BENCH_MAXLEN (default 512), BENCH_MICRO (padded tokens per
 * micro-batch), BENCH_POOLING (first = the reference, which needs only each row's first token in a causal model;
 * last = the whole sequence runs, the realistic cost of a causal classifier).
 */
import 'reflect-metadata';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { engineDetails, initEngine, trainByteLevelBpe, TfjsClassifierTrainer } from '@class-it/runtime-tfjs';
import { GptArchitecture } from '@class-it/model-gpt';
import { SuperGlueEvaluator, TASKS, readTaskSplit, type TaskName } from '@class-it/eval-superglue';
import { it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const glueDir = path.resolve(root, '../shared/eval-data/glue/glue_filtered');
const env = process.env;
const backends = (env.BENCH_BACKENDS ?? 'tensorflow,wasm').split(',');
const task = (env.BENCH_TASK ?? 'rte') as TaskName;
const trainRows = Number(env.BENCH_TRAIN ?? 256);
const validRows = Number(env.BENCH_VALID ?? 64);
const batchSize = Number(env.BENCH_BATCH ?? TASKS[task].batchSize);
const maxLength = Number(env.BENCH_MAXLEN ?? 512);
const pooling = env.BENCH_POOLING ?? 'first';
const microBatchTokens = env.BENCH_MICRO ? Number(env.BENCH_MICRO) : undefined;

it('fine-tuning throughput of gpt-10m', async () => {
  if (!existsSync(glueDir)) {
    console.warn(`SKIPPED: superglue bench: eval data not found at ${glueDir}`);
    return;
  }
  const train = (await readTaskSplit(glueDir, TASKS[task], 'train')).examples.slice(0, trainRows);
  const valid = (await readTaskSplit(glueDir, TASKS[task], 'valid')).examples.slice(0, validRows);
  const texts = [...train, ...valid].flatMap((e) => [e.textA, e.textB ?? '']);
  const results: Record<string, unknown> = {};
  const skipped: Record<string, string> = {};
  for (const backend of backends) {
    try {
      await initEngine(backend);
    } catch (err) {
      skipped[backend] = String((err as Error).message).split('\n').slice(0, 2).join(' | ');
      continue;
    }
    // A BPE trained on the task's own text gives realistic token counts; the embedding keeps the preset's
    // 16,384 rows so the compute is the gpt-10m preset's.
    const tokenizer = trainByteLevelBpe(texts, { vocabSize: 4096, specialTokens: { eos: '<|endoftext|>' } });
    const tokens = train.map((e) => Math.min(maxLength, tokenizer.encode(e.textA).ids.length + tokenizer.encode(e.textB ?? '').ids.length));
    const model = await new GptArchitecture().create({ preset: 'gpt-10m', tokenizer, seed: 1, overrides: { vocab_size: 16384 } });
    const work = mkdtempSync(path.join(os.tmpdir(), 'bench-superglue-'));
    const t0 = performance.now();
    await new SuperGlueEvaluator(new TfjsClassifierTrainer()).evaluate({
      task, model, dataDir: glueDir, outDir: work, fast: false, log: (l) => console.error(`[${backend}] ${l}`),
      settings: { epochs: 1, maxTrainExamples: trainRows, maxValidExamples: validRows, batchSize, maxLength, pooling, ...(microBatchTokens ? { microBatchTokens } : {}) },
    });
    const seconds = (performance.now() - t0) / 1000;
    const outcome = JSON.parse(readFileSync(path.join(work, 'results.json'), 'utf8')).tasks[task];
    const engine = engineDetails();
    results[`tfjs-${tf.getBackend()}`] = {
      provider: engine?.provider,
      trainExamplesPerSecond: Number(outcome.examplesPerSecond.toFixed(2)),
      steps: Math.floor(trainRows / batchSize),
      wallSeconds: Number(seconds.toFixed(1)),
      meanTokensPerExample: Number((tokens.reduce((a, b) => a + b, 0) / tokens.length).toFixed(1)),
      validAccuracy: outcome.metrics.accuracy,
    };
    model.dispose();
    rmSync(work, { recursive: true, force: true });
  }
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    workload: { task, preset: 'gpt-10m (vocab 16384)', trainExamples: trainRows, validExamples: validRows, batchSize, maxLength, microBatchTokens: microBatchTokens ?? 'trainer default', epochs: 1, recipe: 'reference (AdamW 3e-5, cosine, right padding)', pooling },
    results,
    skipped,
  };
  const json = JSON.stringify(report, null, 2) + '\n';
  if (env.BENCH_OUT) writeFileSync(env.BENCH_OUT, json);
  mkdirSync(path.join(root, 'bench/out'), { recursive: true });
  writeFileSync(path.join(root, 'bench/out', `superglue-${report.date.replace(/[:.]/g, '-')}.json`), json);
  console.log(json);
});
