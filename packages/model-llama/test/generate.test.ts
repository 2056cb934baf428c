/**
 * Generation on LLaMA (grouped-query attention, rotary positions): the KV-cached step gives the logits of the
 * full forward pass (left padding included, tied and untied heads), greedy ids equal the re-computing path, and the
 * tensor count stays flat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { KVCache, cachedAttentionBias, causalModuleOf, generateText, initEngine, trainByteLevelBpe, type CausalLMModule } from '@class-it/runtime-tfjs';
import type { TextGenerator, TrainableModel } from '@class-it/core';
import { LlamaArchitecture } from '../src/architecture.js';

const CORPUS = ['The cat sat on the mat.', 'A dog barks at the moon.', 'Who should Derek hug after shocking Richard?',
  'The children were playing in the garden.', 'She reads books every night.'];

for (const tied of [false, true]) {
  describe(`LLaMA generation with a KV cache (GQA, ${tied ? 'tied' : 'untied'} head)`, () => {
    let model: TrainableModel & TextGenerator;

    beforeAll(async () => {
      await initEngine('cpu');
      const tokenizer = trainByteLevelBpe(Array(4).fill(CORPUS).flat(), {
        vocabSize: 300, specialTokens: { bos: '<s>', eos: '</s>' }, addBos: true,
      });
      model = await new LlamaArchitecture().create({
        preset: 'llama-tiny',
        overrides: { initializer_range: 0.3, tie_word_embeddings: tied, rope_theta: 500000 },
        tokenizer,
        seed: 7,
      }) as TrainableModel & TextGenerator;
      const module = causalModuleOf(model);
      expect((module.config as { num_key_value_heads: number }).num_key_value_heads).toBeLessThan(
        (module.config as { num_attention_heads: number }).num_attention_heads);
    });
    afterAll(() => model?.dispose());

    // both cache layouts: growing (WASM, CPU) and a fixed capacity larger than what is written (native)
    it.each([undefined, 8])('cached steps give the logits of the full forward pass, left padding included (capacity %s)', (capacity) => {
      const module = causalModuleOf(model);
      const rows = [[1, 9, 11, 40, 2, 60], [0, 0, 0, 1, 8, 9]];
      const mask = [[1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1]];
      const positions = [[0, 1, 2, 3, 4, 5], [0, 0, 0, 0, 1, 2]];
      const full = tf.tidy(() => module.forward(tf.tensor2d(rows, undefined, 'int32'), {
        training: false, attentionMask: tf.tensor2d(mask), positionIds: tf.tensor2d(positions, undefined, 'int32'),
      }).logits.arraySync());
      const cache = new KVCache(capacity);
      for (const [from, to] of [[0, 4], [4, 5], [5, 6]] as Array<[number, number]>) {
        const cut = (grid: number[][]) => grid.map((r) => r.slice(from, to));
        const logits = tf.tidy(() => module.forwardCached!(tf.tensor2d(cut(rows), undefined, 'int32'), cache, {
          positionIds: tf.tensor2d(cut(positions), undefined, 'int32'),
          attentionBias: cachedAttentionBias(mask.map((r) => r.slice(0, to)), to - from, cache.keyWidth(to - from)),
        }).arraySync());
        rows.forEach((_, b) => {
          const expected = full[b]![to - 1]!;
          expect(Math.max(...logits[b]!.map((v, i) => Math.abs(v - expected[i]!)))).toBeLessThan(1e-4);
        });
      }
      cache.dispose();
    });

    it('greedy ids with the cache equal those of re-running the whole sequence, in a left-padded batch', async () => {
      const module = causalModuleOf(model);
      const prompts = ['The cat', 'Who should Derek hug after', 'She'];
      const cached = await model.generate(prompts, { maxNewTokens: 10 });
      const recomputing: CausalLMModule = Object.create(module, { forwardCached: { value: undefined } });
      const recomputed = await generateText(recomputing, model.tokenizer, model.generationDefaults, prompts, { maxNewTokens: 10 });
      expect(cached.map((o) => o.ids)).toEqual(recomputed.map((o) => o.ids));
      expect(cached.every((o) => o.promptTokens > 1)).toBe(true); // BOS added as the tokenizer does
    });

    it('the tensor count stays flat over a long generation and returns to where it was', async () => {
      const before = tf.memory().numTensors;
      const counts: number[] = [];
      const [out] = await model.generate(['The'], {
        maxNewTokens: 100, doSample: true, temperature: 1.5, topK: 0, seed: 1, // a seed whose 100 draws hold no EOS (deterministic)
        onToken: () => counts.push(tf.memory().numTensors),
      });
      expect(out!.ids.length, `finished early (${out!.finishReason})`).toBe(100);
      expect(new Set(counts.slice(1))).toEqual(new Set([counts[1]]));
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
