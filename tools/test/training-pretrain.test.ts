/**
 * End to end: core's `pretrain` through the plugin registry, with this runtime and the gpt architecture
 * (model-gpt, loaded from its sources by path: runtime-tfjs does not depend on it). gpt-tiny on WASM, a few
 * hundred lines; the held-out loss must fall, `final/` must load, a rerun must resume (and do nothing more).
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { PluginRegistry, type PluginDefinition } from '@class-it/core';
import { pretrain } from '@class-it/cli';
import runtimePlugin from '@class-it/runtime-tfjs/plugin';
import gptPluginDefinition from '@class-it/model-gpt/plugin';
import { buildRows, causalModuleOf, evaluationLoss } from '@class-it/runtime-tfjs';


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

async function makeRegistry(): Promise<PluginRegistry> {
  const registry = new PluginRegistry();
  registry.register(runtimePlugin, { packageName: '@class-it/runtime-tfjs', packageVersion: '0.1.0' });
  const gptPlugin: PluginDefinition = gptPluginDefinition;
  registry.register(gptPlugin, { packageName: '@class-it/model-gpt', packageVersion: '0.1.0' });
  return registry;
}

describe('class-it pretrain (core) on the tfjs runtime', () => {
  it('trains gpt-tiny on a small corpus: held-out loss falls, final/ loads, a rerun resumes', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pretrain-'));
    const corpusDir = path.join(dir, 'corpus');
    await fs.mkdir(corpusDir);
    const lines = corpusLines(400);
    await fs.writeFile(path.join(corpusDir, 'a.train'), lines.slice(0, 250).join('\n') + '\n');
    await fs.writeFile(path.join(corpusDir, 'b.train'), lines.slice(250).join('\n') + '\n');

    const registry = await makeRegistry();

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

  it('a pretraining run killed mid-way and rerun ends with the same bytes as an uninterrupted one (GPT dropout on)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pretrain-resume-'));
    const corpus = path.join(dir, 'c.train');
    await fs.writeFile(corpus, corpusLines(200).join('\n') + '\n');
    const registry = await makeRegistry();
    const options = {
      corpus: [corpus], preset: 'gpt-tiny', vocabSize: 300, seed: 5, backend: 'wasm', batchSize: 4, sequenceLength: 32,
      maxSteps: 12, overrides: { n_layer: 1, n_embd: 32, n_head: 2 }, log: () => undefined,
    };
    const whole = await pretrain(registry, { ...options, out: path.join(dir, 'whole') });
    expect(whole.summary.steps).toBe(12);
    const out = path.join(dir, 'killed');
    await expect(pretrain(registry, { ...options, out, onProgress: (p) => {
      if (p.step === 8) throw new Error('killed');
    } })).rejects.toThrow('killed');
    const resumed = await pretrain(registry, { ...options, out });
    expect(resumed.summary.resumedFromStep).toBe(6); // checkpoints every 12/4 = 3 steps
    const a = await fs.readFile(path.join(whole.finalDir, 'model.safetensors'));
    const b = await fs.readFile(path.join(resumed.finalDir, 'model.safetensors'));
    expect(Buffer.compare(a, b)).toBe(0);
  });

  it('packing isolates examples in the real GPT too (same per-example loss packed or alone, on WASM)', async () => {
    const registry = await makeRegistry();
    const runtime = registry.runtime();
    await runtime.init('wasm');
    const tokenizer = await runtime.trainTokenizer(corpusLines(50), { vocabSize: 280, specialTokens: { eos: '<|endoftext|>' } });
    const model = await registry.get('architecture', 'gpt').create({ preset: 'gpt-tiny', overrides: { n_layer: 1, n_embd: 32, n_head: 2 }, tokenizer, seed: 1 });
    const module = causalModuleOf(model);
    const seqs = corpusLines(4).map((line) => {
      const ids = tokenizer.encode(line, { addSpecialTokens: false }).ids.slice(0, 12);
      return { ids, lossWeights: ids.map(() => 1), words: 1 };
    });
    const mute = (s: (typeof seqs)[number]) => ({ ...s, lossWeights: s.lossWeights.map(() => 0) });
    for (const [i, seq] of seqs.entries()) {
      const alone = evaluationLoss(module, buildRows([seq], 64, false), 1)!;
      const packed = buildRows([...seqs.filter((_, j) => j !== i).map(mute), seq], 64, true);
      expect(packed.length).toBe(1);
      expect(Math.abs(evaluationLoss(module, packed, 1)! - alone)).toBeLessThan(1e-5);
    }
    model.dispose();
  });
});
