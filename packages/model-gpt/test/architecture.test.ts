import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { causalModuleOf, initEngine, trainByteLevelBpe, readSafetensors } from '@class-it/runtime-tfjs';
import plugin from '../src/plugin.js';
import { GptArchitecture, matchGptWeights, resolveGptConfig, gptWeightSpecs } from '../src/index.js';

const corpus = ['the cat sat on the mat', 'a dog barks at the moon', 'the dog sat', 'who is there?'];

describe('GPT weight names (HF GPT2LMHeadModel)', () => {
  const config = resolveGptConfig('gpt-tiny', { n_layer: 1, n_embd: 8, n_head: 2, vocab_size: 10, n_positions: 4 });
  const full = () => new Map(gptWeightSpecs(config).map((s) => [s.name, { shape: s.shape, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)) }]));

  it('uses Conv1D [in, out] layouts and accepts checkpoints without the transformer. prefix', () => {
    const specs = new Map(gptWeightSpecs(config).map((s) => [s.name, s.shape]));
    expect(specs.get('transformer.h.0.attn.c_attn.weight')).toEqual([8, 24]);
    expect(specs.get('transformer.h.0.mlp.c_proj.weight')).toEqual([32, 8]);
    expect(specs.has('lm_head.weight')).toBe(false);
    const bare = new Map([...full()].map(([k, v]) => [k.replace(/^transformer\./, ''), v]));
    bare.set('h.0.attn.bias', { shape: [1, 1, 4, 4], data: new Float32Array(16) });
    bare.set('lm_head.weight', { shape: [10, 8], data: new Float32Array(80) });
    const matched = matchGptWeights(config, bare, 'x.safetensors');
    expect([...matched.keys()].sort()).toEqual([...full().keys()].sort());
  });

  it('names missing, unexpected and mis-shaped tensors', () => {
    const missing = full();
    missing.delete('transformer.ln_f.bias');
    expect(() => matchGptWeights(config, missing, 'm.safetensors')).toThrow(/m.safetensors: missing tensors: transformer.ln_f.bias/);
    const extra = full();
    extra.set('transformer.h.5.ln_1.weight', { shape: [8], data: new Float32Array(8) });
    expect(() => matchGptWeights(config, extra, 'm.safetensors')).toThrow(/field 'transformer.h.5.ln_1.weight': unexpected tensor/);
    const wrong = full();
    wrong.set('transformer.wte.weight', { shape: [11, 8], data: new Float32Array(88) });
    expect(() => matchGptWeights(config, wrong, 'm.safetensors')).toThrow(/has shape \[11,8\], config.json implies \[10,8\]/);
  });
});

describe('gpt architecture plugin', () => {
  let work: string;
  beforeAll(async () => {
    await initEngine('wasm');
    work = mkdtempSync(path.join(tmpdir(), 'gpt-arch-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is declared as the architecture plugin `gpt` for model_type gpt2', () => {
    expect(plugin).toMatchObject({ classIt: 1, kind: 'architecture', name: 'gpt' });
    const arch = new GptArchitecture();
    expect(arch.modelTypes).toEqual(['gpt2']);
    expect(Object.keys(arch.presets)).toContain('gpt2-100m');
    expect(arch.parameterCount({ ...arch.presets['gpt2-100m'] })).toBe(98_032_128);
  });

  it('creates a model sized to the tokenizer, saves it and loads it back identically', async () => {
    const tokenizer = trainByteLevelBpe(corpus, { vocabSize: 300, specialTokens: { bos: '<s>', eos: '</s>', pad: '<pad>' }, addBos: true });
    const arch = new GptArchitecture();
    const model = await arch.create({ preset: 'gpt-tiny', overrides: { n_layer: 1 }, tokenizer, seed: 1 });
    expect(model.config).toMatchObject({ vocab_size: tokenizer.vocabSize, n_layer: 1, n_embd: 64, bos_token_id: 0, eos_token_id: 1, pad_token_id: 2 });
    expect(model.info).toMatchObject({ architecture: 'gpt', source: 'gpt-tiny', backend: 'wasm', contextLength: 128 });
    expect(model.hiddenSize).toBe(64);
    const dir = path.join(work, 'saved');
    await model.save(dir);
    const stored = await readSafetensors(path.join(dir, 'model.safetensors'));
    expect(stored.has('lm_head.weight')).toBe(false);
    expect(stored.get('transformer.h.0.attn.c_attn.weight')!.shape).toEqual([64, 192]);
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).activation_function).toBe('gelu_new');
    const loaded = await arch.load(dir);
    expect(loaded.info.source).toBe(dir);
    const requests = [{ context: 'the cat', continuation: ' sat on the mat' }, { context: '', continuation: 'who is there?' }];
    const a = await model.logLikelihood(requests);
    const b = await loaded.logLikelihood(requests);
    expect(b).toEqual(a);
    // scores do not depend on batch size or on the padding a batch brings
    const many = [...requests, { context: 'a dog', continuation: ' barks' }, { context: 'who', continuation: ' is there? the cat sat on the mat' }];
    const one = await model.logLikelihood(many, { batchSize: 1 });
    const all = await model.logLikelihood(many, { batchSize: 8 });
    all.forEach((r, i) => expect(Math.abs(r.logprob - one[i].logprob)).toBeLessThan(1e-5));
    expect(a[1].tokens.length).toBeGreaterThan(1);
    const ids = tf.tensor2d([[0, 5, 9, 7]], [1, 4], 'int32');
    const la = tf.tidy(() => Array.from(causalModuleOf(model).forward(ids, { training: false }).logits.dataSync()));
    const lb = tf.tidy(() => Array.from(causalModuleOf(loaded).forward(ids, { training: false }).logits.dataSync()));
    expect(lb).toEqual(la);
    ids.dispose();
    model.dispose();
    loaded.dispose();
  });

  it('rejects a checkpoint whose config does not fit its tensors', async () => {
    const tokenizer = trainByteLevelBpe(corpus, { vocabSize: 280, specialTokens: { eos: '</s>' } });
    const arch = new GptArchitecture();
    const model = await arch.create({ preset: 'gpt-tiny', overrides: { n_layer: 1, n_embd: 16, n_head: 2 }, tokenizer, seed: 2 });
    const dir = path.join(work, 'mismatch');
    await model.save(dir);
    model.dispose();
    const configFile = path.join(dir, 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    writeFileSync(configFile, JSON.stringify({ ...config, n_layer: 2 }));
    await expect(arch.load(dir)).rejects.toThrow(/model.safetensors: missing tensors: transformer.h.1/);
    writeFileSync(configFile, JSON.stringify({ ...config, n_head: 3 }));
    await expect(arch.load(dir)).rejects.toThrow(/config.json, field 'n_head'/);
  });
});
