/**
 * Generation on the GPT: the KV-cached step gives the logits of a full forward pass (left-padded batches
 * included), greedy ids equal the re-computing path, and no tensor is left behind or piles up over a long run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { KVCache, cachedAttentionBias, causalModuleOf, initEngine, trainByteLevelBpe, generateText } from '@class-it/runtime-tfjs';
import type { TextGenerator, TrainableModel } from '@class-it/core';
import type { CausalLMModule } from '@class-it/runtime-tfjs';
import { GptArchitecture } from '../src/index.js';

const CORPUS = ['The cat sat on the mat.', 'A dog barks at the moon.', 'Who should Derek hug after shocking Richard?',
  'The children were playing in the garden.', 'She reads books every night.'];

describe('GPT generation with a KV cache', () => {
  let model: TrainableModel & TextGenerator;

  beforeAll(async () => {
    await initEngine('cpu');
    const tokenizer = trainByteLevelBpe(Array(4).fill(CORPUS).flat(), { vocabSize: 300, specialTokens: { eos: '<|endoftext|>' } });
    model = await new GptArchitecture().create({
      preset: 'gpt-tiny', overrides: { n_embd: 32, n_head: 4, n_positions: 256, initializer_range: 0.3 }, tokenizer, seed: 5,
    }) as TrainableModel & TextGenerator;
  });
  afterAll(() => model?.dispose());

  // both cache layouts: growing (WASM, CPU) and a fixed capacity larger than what is written (native)
  it.each([undefined, 8])('cached steps give the logits of the full forward pass, left padding included (capacity %s)', (capacity) => {
    const module = causalModuleOf(model);
    const rows = [[5, 9, 11, 40, 2], [0, 0, 7, 8, 9]]; // second row left-padded by two
    const mask = [[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]];
    const positions = [[0, 1, 2, 3, 4], [0, 0, 0, 1, 2]];
    const full = tf.tidy(() => module.forward(tf.tensor2d(rows, undefined, 'int32'), {
      training: false, attentionMask: tf.tensor2d(mask), positionIds: tf.tensor2d(positions, undefined, 'int32'),
    }).logits.arraySync());
    const cache = new KVCache(capacity);
    // prompt of 3 columns at once, then one column per step
    const steps: Array<[number, number]> = [[0, 3], [3, 4], [4, 5]];
    for (const [from, to] of steps) {
      const cut = (grid: number[][]) => grid.map((r) => r.slice(from, to));
      const logits = tf.tidy(() => module.forwardCached!(tf.tensor2d(cut(rows), undefined, 'int32'), cache, {
        positionIds: tf.tensor2d(cut(positions), undefined, 'int32'),
        attentionBias: cachedAttentionBias(mask.map((r) => r.slice(0, to)), to - from, cache.keyWidth(to - from)),
      }).arraySync());
      rows.forEach((_, b) => {
        const expected = full[b]![to - 1]!;
        const worst = Math.max(...logits[b]!.map((v, i) => Math.abs(v - expected[i]!)));
        expect(worst).toBeLessThan(1e-4);
      });
    }
    expect(cache.length).toBe(5);
    cache.dispose();
  });

  it('greedy ids with the cache equal those of re-running the whole sequence, in a left-padded batch', async () => {
    const module = causalModuleOf(model);
    const prompts = ['The cat', 'Who should Derek hug after', 'She'];
    const cached = await model.generate(prompts, { maxNewTokens: 12, doSample: false });
    // the same module without its cached step: generation falls back to re-running the whole sequence
    const recomputing: CausalLMModule = Object.create(module, { forwardCached: { value: undefined } });
    const recomputed = await generateText(recomputing, model.tokenizer, model.generationDefaults, prompts, { maxNewTokens: 12, doSample: false });
    expect(cached.map((o) => o.ids)).toEqual(recomputed.map((o) => o.ids));
    for (const out of cached) {
      expect(out.ids.length).toBeGreaterThan(0);
      expect(out.text).toBe(model.tokenizer.decode(out.finishReason === 'stop' ? out.ids.slice(0, -1) : out.ids, { skipSpecialTokens: true }));
    }
  });

  it('leaves no tensor behind, and the count stays flat over 200 steps', async () => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const [out] = await model.generate(['The'], {
      maxNewTokens: 200, doSample: true, temperature: 1.5, topK: 0, seed: 1,
      onToken: () => counts.push(tf.memory().numTensors),
    });
    expect(out!.finishReason).toBe('length');
    expect(counts).toHaveLength(200);
    expect(new Set(counts.slice(1))).toEqual(new Set([counts[1]]));
    expect(tf.memory().numTensors).toBe(before);
  });
});
