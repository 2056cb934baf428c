/**
 * The host side of generation: HF's logits processing (repetition penalty, temperature, top-k, top-p, greedy),
 * seeded draws, streamed text with stop strings, generation_config.json defaults, and the decoding loop's rules
 * (lengths, the context window, bad settings, abort) on the toy model.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Random, type GenerationToken } from '@class-it/core';
import {
  KVCache, StreamingText, applyRepetitionPenalty, argmax, chooseToken, generateText, initEngine, resolveGenerationDefaults, samplingRule,
  type SamplingRule,
} from '../src/index.js';
import { ToyCausalLM, WordTokenizer } from './toy-model.js';

const SAMPLE: SamplingRule = { greedy: false, temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1 };

/** How often each token is drawn in `n` draws. */
function frequencies(logits: number[], rule: SamplingRule, n: number, seed = 1): number[] {
  const random = new Random(seed);
  const counts = logits.map(() => 0);
  for (let i = 0; i < n; i++) counts[chooseToken(Float32Array.from(logits), [], rule, random)]!++;
  return counts.map((c) => c / n);
}

describe('choosing the next token (HF logits processing)', () => {
  it('greedy is the first argmax; the repetition penalty divides positive and multiplies negative logits', () => {
    expect(argmax(Float32Array.from([1, 3, 3, 2]))).toBe(1);
    const row = Float32Array.from([2, -2, 1, 0.5]);
    applyRepetitionPenalty(row, [0, 1, 1], 2);
    expect([...row]).toEqual([1, -4, 1, 0.5]);
    // greedy with a penalty: token 0 (2.0) falls behind token 2 (1.5)
    expect(chooseToken(Float32Array.from([2, 0, 1.5]), [0], { ...SAMPLE, greedy: true, repetitionPenalty: 2 }, new Random(1))).toBe(2);
  });

  it('samples in proportion to softmax(logits / temperature), seeded', () => {
    const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];
    const f = frequencies(logits, SAMPLE, 20_000);
    [0.5, 0.3, 0.2].forEach((p, i) => expect(Math.abs(f[i]! - p)).toBeLessThan(0.015));
    // temperature 0.5 squares the odds: 0.25 : 0.09 : 0.04
    const g = frequencies(logits, { ...SAMPLE, temperature: 0.5 }, 20_000);
    [0.25 / 0.38, 0.09 / 0.38, 0.04 / 0.38].forEach((p, i) => expect(Math.abs(g[i]! - p)).toBeLessThan(0.015));
    expect(frequencies(logits, SAMPLE, 50, 9)).toEqual(frequencies(logits, SAMPLE, 50, 9));
  });

  it('top-k keeps the k largest (ties with the k-th included); top-p the smallest head reaching p', () => {
    const logits = [0, 3, 1, 2, 2];
    expect(frequencies(logits, { ...SAMPLE, topK: 1 }, 200)).toEqual([0, 1, 0, 0, 0]);
    const k2 = frequencies(logits, { ...SAMPLE, topK: 2 }, 2000); // 3, and both 2s (tied with the 2nd)
    expect(k2[0]).toBe(0);
    expect(k2[2]).toBe(0);
    expect(k2[3]! > 0 && k2[4]! > 0).toBe(true);
    // probabilities 0.5, 0.3, 0.15, 0.05: top-p 0.8 keeps 0.5 + 0.3 (mass before the third is 0.8, not < 0.8)
    const probs = [0.05, 0.5, 0.15, 0.3];
    const p8 = frequencies(probs.map(Math.log), { ...SAMPLE, topP: 0.8 }, 4000);
    expect(p8[0]).toBe(0);
    expect(p8[2]).toBe(0);
    expect(Math.abs(p8[1]! - 0.625)).toBeLessThan(0.03);
    // top-p 0.81 needs the third token too; a tiny top-p keeps the most likely token only
    expect(frequencies(probs.map(Math.log), { ...SAMPLE, topP: 0.81 }, 4000)[2]).toBeGreaterThan(0);
    expect(frequencies(probs.map(Math.log), { ...SAMPLE, topP: 0.01 }, 200)).toEqual([0, 1, 0, 0]);
  });

  it('a call\'s settings override the defaults; temperature 0 is greedy', () => {
    const defaults = resolveGenerationDefaults(undefined, {}, new WordTokenizer());
    expect(samplingRule({}, defaults).greedy).toBe(true);
    expect(samplingRule({ doSample: true }, defaults)).toEqual({ greedy: false, temperature: 1, topK: 50, topP: 1, repetitionPenalty: 1 });
    expect(samplingRule({ doSample: true, temperature: 0 }, defaults).greedy).toBe(true);
  });
});

describe('streamed text and stop strings', () => {
  const pieces = ['Hel', 'lo', ' wor', 'ld', '\nUs', 'er:', ' more'];
  const decode = (ids: number[]) => ids.map((i) => pieces[i]).join('');

  it('holds back a possible stop string, releases it when it is not one, and cuts the text before a stop', () => {
    const text = new StreamingText(decode, ['\nUser:']);
    const deltas: string[] = [];
    let stopped = false;
    const ids: number[] = [];
    for (let i = 0; i < pieces.length && !stopped; i++) {
      ids.push(i);
      const u = text.update(ids);
      deltas.push(u.delta);
      stopped = u.stopped;
    }
    expect(stopped).toBe(true);
    expect(deltas).toEqual(['Hel', 'lo', ' wor', 'ld', '', '']);
    expect(text.finish(ids)).toEqual({ text: 'Hello world', delta: '' });
  });

  it('holds back an incomplete character and a partial stop until the end, then releases them', () => {
    const parts = ['ab', '\ufffd', 'c\nU'];
    const text = new StreamingText((ids) => ids.map((i) => parts[i]).join(''), ['\nUser:']);
    expect(text.update([0]).delta).toBe('ab');
    expect(text.update([0, 1]).delta).toBe('');
    expect(text.update([0, 1, 2]).delta).toBe('\ufffdc');
    expect(text.finish([0, 1, 2])).toEqual({ text: 'ab\ufffdc\nU', delta: '\nU' });
  });
});

describe('generation_config.json defaults', () => {
  it('reads HF fields, falls back to the model config and the tokenizer, and names bad fields', () => {
    const tok = new WordTokenizer(true);
    const d = resolveGenerationDefaults({ do_sample: true, temperature: 0.7, top_k: 10, top_p: 0.9, max_new_tokens: 5, eos_token_id: [3, 4] }, {}, tok);
    expect(d).toMatchObject({ doSample: true, temperature: 0.7, topK: 10, topP: 0.9, maxNewTokens: 5, eosTokenIds: [3, 4], padTokenId: 0 });
    expect(resolveGenerationDefaults(undefined, { eos_token_id: 7, pad_token_id: 8 }, tok)).toMatchObject({ eosTokenIds: [7], padTokenId: 8, doSample: false });
    expect(resolveGenerationDefaults(undefined, {}, tok).eosTokenIds).toEqual([0]);
    expect(() => resolveGenerationDefaults({ top_k: 'ten' }, {}, tok, 'm/generation_config.json'))
      .toThrow(/m\/generation_config.json, field 'top_k': expected an integer >= 0/);
  });
});

describe('the decoding loop (toy model, no KV cache)', () => {
  const tokenizer = Object.assign(new WordTokenizer(true), { decode: (ids: number[]) => ids.map((i) => ` w${i}`).join('') });
  let module: ToyCausalLM;
  beforeAll(async () => {
    await initEngine('cpu');
    module = new ToyCausalLM(12, 3);
  });
  const defaults = () => ({ ...resolveGenerationDefaults(undefined, {}, tokenizer), eosTokenIds: [] as number[] });

  it('generates up to max new tokens or the context window, streaming every token, leaving no tensor', async () => {
    const before = tf.memory().numTensors;
    const tokens: GenerationToken[] = [];
    const [out] = await generateText(module, tokenizer, defaults(), ['a b c'], { maxNewTokens: 5, onToken: (t) => tokens.push(t) });
    expect(out).toMatchObject({ finishReason: 'length', promptTokens: 4 });
    expect(out!.ids).toHaveLength(5);
    expect(tokens.map((t) => t.tokenId)).toEqual(out!.ids);
    expect(tokens.map((t) => t.text).join('')).toBe(out!.text);
    // the context window (12) leaves 8 new tokens after a 4-token prompt
    const [long] = await generateText(module, tokenizer, defaults(), ['a b c'], { maxNewTokens: 50 });
    expect(long!.ids).toHaveLength(8);
    expect(long!.finishReason).toBe('length');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops on an EOS or stop token id (kept in ids, not in the text), and on a stop string', async () => {
    const free = (await generateText(module, tokenizer, defaults(), ['a b'], { maxNewTokens: 6 }))[0]!;
    const at = free.ids.findIndex((id, i) => i > 0 && !free.ids.slice(0, i).includes(id)); // first new token after the first
    expect(at).toBeGreaterThan(0);
    const token = free.ids[at]!;
    const [byId] = await generateText(module, tokenizer, defaults(), ['a b'], { maxNewTokens: 6, stopTokenIds: [token] });
    expect(byId).toMatchObject({ finishReason: 'stop', ids: free.ids.slice(0, at + 1) });
    expect(byId!.text).toBe(tokenizer.decode(free.ids.slice(0, at)));
    const [byEos] = await generateText(module, tokenizer, { ...defaults(), eosTokenIds: [token] }, ['a b'], { maxNewTokens: 6 });
    expect(byEos!.ids).toEqual(free.ids.slice(0, at + 1));
    const [byText] = await generateText(module, tokenizer, defaults(), ['a b'], { maxNewTokens: 6, stop: [` w${token}`] });
    expect(byText).toMatchObject({ finishReason: 'stop', text: tokenizer.decode(free.ids.slice(0, at)) });
  });

  it('rejects bad settings, too-long prompts and unknown ids with errors that say which', async () => {
    await expect(generateText(module, tokenizer, defaults(), ['a'], { topP: 0 })).rejects.toThrow(/field 'topP': must be in \(0, 1\]/);
    await expect(generateText(module, tokenizer, defaults(), ['a'], { maxNewTokens: 0 })).rejects.toThrow(/field 'maxNewTokens'/);
    await expect(generateText(module, tokenizer, defaults(), ['a b c d e f g h i j k l'])).rejects.toThrow(/leaves no room/);
    await expect(generateText(module, tokenizer, defaults(), [{ ids: [1, 99] }])).rejects.toThrow(/token id 99 is not in the vocabulary/);
    expect(await generateText(module, tokenizer, defaults(), [])).toEqual([]);
  });

  it('stops early when aborted', async () => {
    const controller = new AbortController();
    const [out] = await generateText(module, tokenizer, defaults(), ['a'], {
      maxNewTokens: 8, signal: controller.signal, onToken: (t) => { if (t.tokenId >= 0) controller.abort(); },
    });
    expect(out).toMatchObject({ finishReason: 'abort' });
    expect(out!.ids).toHaveLength(1);
  });
});

describe('the fixed-capacity KV cache', () => {
  beforeAll(async () => {
    await initEngine('cpu');
  });

  it('a one-position write through the position mask gives the tensor of the sliced write, and the state round-trips', () => {
    const [sliced, masked] = [new KVCache(6), new KVCache(6)];
    const part = (seed: number, t: number) => tf.randomNormal([2, 3, t, 4], 0, 1, 'float32', seed) as tf.Tensor4D;
    const prompt = [part(1, 3), part(2, 3)] as const;
    tf.tidy(() => { sliced.append(0, prompt[0], prompt[1]); masked.append(0, prompt[0], prompt[1]); });
    expect(masked.nextPositionMask(2)).toBeUndefined(); // only one-position writes go through the mask
    const step = [part(3, 1), part(4, 1)] as const;
    tf.tidy(() => { sliced.append(0, step[0], step[1]); });
    const mask = masked.nextPositionMask(1)!;
    expect(mask.dtype).toBe('bool');
    expect([...mask.dataSync()]).toEqual([0, 0, 0, 1, 0, 0]);
    tf.tidy(() => { masked.writingOnePosition(mask, () => masked.append(0, step[0], step[1])); });
    expect(masked.length).toBe(4);
    const [k1, v1] = sliced.tensors();
    const [k2, v2] = masked.tensors();
    expect(k2!.arraySync()).toEqual(k1!.arraySync());
    expect(v2!.arraySync()).toEqual(v1!.arraySync());
    // replaceTensors: tensors computed outside the cache become its own, one more position written
    const next = tf.tidy(() => masked.tensors().map((t) => tf.add(t, 1)));
    masked.replaceTensors(next, 1);
    expect(masked.length).toBe(5);
    expect(masked.tensors()[0]).toBe(next[0]);
    tf.dispose([...prompt, ...step, mask]);
    sliced.dispose();
    masked.dispose();
  });

  it('grows to the next multiple of 64 positions when a write does not fit, keeping what was written', () => {
    const before = tf.memory().numTensors;
    const cache = new KVCache(64);
    const part = (seed: number, t: number) => tf.randomNormal([2, 3, t, 4], 0, 1, 'float32', seed) as tf.Tensor4D;
    const prompt = [part(1, 60), part(2, 60)] as const;
    tf.tidy(() => { cache.append(0, prompt[0], prompt[1]); cache.append(1, prompt[1], prompt[0]); });
    expect(cache.reserve(4)).toBe(false); // 60 + 4 fit
    expect(cache.capacity).toBe(64);
    expect(cache.reserve(5)).toBe(true);
    expect(cache.capacity).toBe(128);
    expect(cache.length).toBe(60);
    expect(cache.keyWidth(1)).toBe(128);
    tf.tidy(() => {
      const [k0, v0, k1] = cache.tensors();
      expect(k0!.shape).toEqual([2, 3, 128, 4]);
      expect(tf.slice(k0!, [0, 0, 0, 0], [-1, -1, 60, -1]).arraySync()).toEqual(prompt[0].arraySync());
      expect(tf.slice(v0!, [0, 0, 0, 0], [-1, -1, 60, -1]).arraySync()).toEqual(prompt[1].arraySync());
      expect(tf.slice(k1!, [0, 0, 0, 0], [-1, -1, 60, -1]).arraySync()).toEqual(prompt[1].arraySync());
      expect(tf.max(tf.abs(tf.slice(k0!, [0, 0, 60, 0], [-1, -1, 68, -1]))).dataSync()[0]).toBe(0);
    });
    // a write into the grown part, through the position mask as a decoding step does
    const mask = cache.nextPositionMask(1)!;
    expect(mask.shape).toEqual([1, 1, 128, 1]);
    const step = [part(3, 1), part(4, 1)] as const;
    tf.tidy(() => { cache.writingOnePosition(mask, () => { cache.append(0, step[0], step[1]); cache.append(1, step[1], step[0]); }); });
    expect(cache.length).toBe(61);
    tf.tidy(() => {
      expect(tf.slice(cache.tensors()[0]!, [0, 0, 60, 0], [-1, -1, 1, -1]).arraySync()).toEqual(step[0].arraySync());
    });
    expect(cache.reserve(200)).toBe(true);
    expect(cache.capacity).toBe(320);
    tf.dispose([...prompt, ...step, mask]);
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // a growing cache has no capacity to reserve
    expect(new KVCache().reserve(1000)).toBe(false);
  });
});
