/**
 * End to end: core's `pretrain` through the plugin registry, with this runtime and the gpt architecture
 * (model-gpt, loaded from its sources by path: runtime-tfjs does not depend on it). gpt-tiny on WASM, a few
 * hundred lines; the held-out loss must fall, `final/` must load, a rerun must resume (and do nothing more).
 */
import os from 'node:os';
import path from 'node:path';
import { existsSync, promises as fs } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { PluginRegistry, pretrain, type PluginDefinition } from '@class-it/core';
import runtimePlugin from '../src/plugin.js';

const gptPluginPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../model-gpt/src/plugin.ts');
const hasGpt = existsSync(gptPluginPath);
if (!hasGpt) console.warn(`SKIPPED: pretrain end-to-end test: the gpt architecture plugin was not found at ${gptPluginPath}`);

const WORDS = ['the', 'cat', 'dog', 'sat', 'ran', 'on', 'a', 'mat', 'big', 'small', 'red', 'ball', 'saw', 'and', 'then', 'it'];

/** A few hundred short, patterned lines (so a tiny model can learn something in a few dozen steps). */
function corpusLines(count: number): string[] {
  const lines: string[] = [];
  let s = 12345;
  const rand = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  for (let i = 0; i < count; i++) {
    const subject = WORDS[1 + rand(2)];
    const adj = WORDS[8 + rand(3)];
    lines.push(`the ${adj} ${subject} ${WORDS[3 + rand(2)]} on the mat and then it saw a ${WORDS[10 + rand(2)]} ball`);
  }
  return lines;
}

describe.skipIf(!hasGpt)('class-it pretrain (core) on the tfjs runtime', () => {
  it('trains gpt-tiny on a small corpus: held-out loss falls, final/ loads, a rerun resumes', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pretrain-'));
    const corpusDir = path.join(dir, 'corpus');
    await fs.mkdir(corpusDir);
    const lines = corpusLines(400);
    await fs.writeFile(path.join(corpusDir, 'a.train'), lines.slice(0, 250).join('\n') + '\n');
    await fs.writeFile(path.join(corpusDir, 'b.train'), lines.slice(250).join('\n') + '\n');

    const registry = new PluginRegistry();
    registry.register(runtimePlugin, { packageName: '@class-it/runtime-tfjs', packageVersion: '0.1.0' });
    const gptPlugin = (await import(pathToFileURL(gptPluginPath).href)).default as PluginDefinition;
    registry.register(gptPlugin, { packageName: '@class-it/model-gpt', packageVersion: '0.1.0' });

    const out = path.join(dir, 'run');
    const logs: string[] = [];
    const tensorCounts: number[] = [];
    const options = {
      corpus: [corpusDir], out, preset: 'gpt-tiny', vocabSize: 300, seed: 3, backend: 'wasm',
      batchSize: 8, sequenceLength: 32, learningRate: 3e-3, maxSteps: 40, epochs: 3, evalFraction: 0.1,
      overrides: { n_layer: 1, n_embd: 32, n_head: 2 },
      log: (l: string) => logs.push(l),
      onProgress: () => tensorCounts.push(tf.memory().numTensors),
    };
    const result = await pretrain(registry, options);
    expect(result.backend).toBe('wasm');
    expect(result.summary.steps).toBe(40);
    expect(result.corpusLines).toBe(400);
    expect(result.corpusWords).toBe(lines.reduce((a, l) => a + l.split(' ').length, 0));
    expect(result.summary.wordsSeen).toBeGreaterThan(0);
    // The real model on WASM leaks no tensor across steps.
    expect(tensorCounts.length).toBe(40);
    expect(new Set(tensorCounts.slice(1)).size).toBe(1);

    const metrics = (await fs.readFile(path.join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    console.log('eval losses', metrics.filter((m) => m.eval_loss !== undefined).map((m) => [m.step, m.eval_loss.toFixed(3)]).join(' '), 'first/last loss', metrics[0].loss.toFixed(3), metrics[metrics.length - 1].loss.toFixed(3), 'tok/s', Math.round(result.summary.tokensPerSecond));
    const evals = metrics.filter((m) => m.eval_loss !== undefined).map((m) => m.eval_loss as number);
    expect(evals.length).toBeGreaterThanOrEqual(2);
    expect(evals[evals.length - 1]!).toBeLessThan(evals[0]! * 0.8);
    expect(metrics[metrics.length - 1].loss).toBeLessThan(metrics[0].loss * 0.6);
    expect(Math.log(300)).toBeGreaterThan(metrics[0].loss - 0.5); // starts near uniform

    // final/ is an HF directory the architecture loads; its scores are finite.
    const arch = registry.get('architecture', 'gpt');
    const loaded = await arch.load(result.finalDir);
    const [score] = await loaded.logLikelihood([{ context: 'the big cat sat on the', continuation: ' mat' }]);
    expect(Number.isFinite(score!.logprob)).toBe(true);
    loaded.dispose();
    await fs.access(path.join(out, 'tokenizer', 'tokenizer.json'));
    const record = JSON.parse(await fs.readFile(path.join(out, 'pretrain.json'), 'utf8'));
    expect(record.backend).toBe('wasm');

    // Rerunning the same command finds the finished checkpoint and trains no further step.
    const again = await pretrain(registry, { ...options, log: () => undefined });
    expect(again.summary.resumedFromStep).toBe(40);
    expect(again.summary.steps).toBe(40);
  });
});
