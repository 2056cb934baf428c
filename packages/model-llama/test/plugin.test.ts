/** The plugin end to end without Python: create from a preset, save, load, errors that name the file. */
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { isPluginDefinition, type Tokenizer } from '@class-it/core';
import { causalModuleOf, initEngine, loadTokenizer, readSafetensors, writeSafetensors } from '@class-it/runtime-tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../src/plugin.js';
import { LlamaArchitecture } from '../src/architecture.js';
import { llamaTensorSpecs } from '../src/model.js';
import { presetConfig } from '../src/config.js';

const here = path.dirname(fileURLToPath(import.meta.url));
let work: string;
let tokenizer: Tokenizer;
const architecture = new LlamaArchitecture();

beforeAll(async () => {
  await initEngine('cpu');
  work = mkdtempSync(path.join(tmpdir(), 'llama-plugin-'));
  tokenizer = await loadTokenizer(path.join(here, 'fixtures/sp-tokenizer'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function logitsOf(model: unknown, rows: number[][]): number[][][] {
  return tf.tidy(() => causalModuleOf(model).forward(tf.tensor2d(rows, undefined, 'int32'), { training: false }).logits.arraySync());
}

describe('llama plugin', () => {
  it('is an architecture plugin named llama that reads model_type llama', () => {
    expect(isPluginDefinition(plugin)).toBe(true);
    expect(plugin.kind).toBe('architecture');
    expect(plugin.name).toBe('llama');
    const impl = new plugin.useClass!();
    expect(impl.modelTypes).toEqual(['llama']);
    expect(Object.keys(impl.presets)).toEqual(expect.arrayContaining(['llama-tiny', 'llama-140m']));
    expect(impl.parameterCount(impl.presets['llama-140m']!)).toBeGreaterThan(130e6);
  });

  it('creates llama-tiny with the tokenizer vocabulary and special ids; same seed, same model', async () => {
    const a = await architecture.create({ preset: 'llama-tiny', tokenizer, seed: 5 });
    const b = await architecture.create({ preset: 'llama-tiny', tokenizer, seed: 5 });
    expect(a.config.vocab_size).toBe(tokenizer.vocabSize);
    expect(a.config.bos_token_id).toBe(tokenizer.specialId('bos'));
    expect(a.config.eos_token_id).toBe(tokenizer.specialId('eos'));
    expect(a.info.architecture).toBe('llama');
    expect(a.info.parameterCount).toBeLessThan(1_000_000);
    expect(logitsOf(a, [[1, 50, 60]])).toEqual(logitsOf(b, [[1, 50, 60]]));
    a.dispose();
    b.dispose();
  });

  it('any field is overridable', async () => {
    const m = await architecture.create({
      preset: 'llama-tiny',
      overrides: { num_hidden_layers: 1, num_key_value_heads: 1, rope_theta: 1e6, tie_word_embeddings: true },
      tokenizer,
      seed: 1,
    });
    expect(m.config).toMatchObject({ num_hidden_layers: 1, num_key_value_heads: 1, rope_theta: 1e6, tie_word_embeddings: true });
    expect(causalModuleOf(m).variables.has('lm_head.weight')).toBe(false);
    m.dispose();
  });

  for (const tied of [false, true]) {
    it(`save then load gives identical logits and HF tensor names/layouts (tied=${tied})`, async () => {
      const model = await architecture.create({ preset: 'llama-tiny', overrides: { tie_word_embeddings: tied }, tokenizer, seed: 3 });
      const dir = path.join(work, `tiny-${tied}`);
      await model.save(dir);
      const files = (await fs.readdir(dir)).sort();
      expect(files).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']));
      const stored = await readSafetensors(path.join(dir, 'model.safetensors'));
      const config = presetConfig('llama-tiny', { vocab_size: tokenizer.vocabSize, tie_word_embeddings: tied });
      const names = llamaTensorSpecs(config).map((s) => s.name);
      expect([...stored.keys()].sort()).toEqual([...names].sort());
      expect(stored.has('lm_head.weight')).toBe(!tied);
      expect(stored.get('model.layers.0.self_attn.k_proj.weight')!.shape).toEqual([2 * 16, 64]); // [out, in]
      expect(stored.get('model.layers.1.mlp.down_proj.weight')!.shape).toEqual([64, 128]);
      const loaded = await architecture.load(dir);
      expect(loaded.info.source).toBe(dir);
      expect(loaded.tokenizer.encode('Where did the cat go?').ids).toEqual(tokenizer.encode('Where did the cat go?').ids);
      expect(logitsOf(loaded, [[1, 7, 300, 20]])).toEqual(logitsOf(model, [[1, 7, 300, 20]]));
      model.dispose();
      loaded.dispose();
    });
  }

  it('scores do not depend on the batch size', async () => {
    const model = await architecture.create({ preset: 'llama-tiny', tokenizer, seed: 9 });
    const requests = [
      { context: 'The cat', continuation: ' went under the table.' },
      { context: 'Where did', continuation: ' the dog go?' },
      { context: '', continuation: 'Numbers like 42 appear too.' },
    ];
    const one = await model.logLikelihood(requests, { batchSize: 1 });
    const all = await model.logLikelihood(requests, { batchSize: 3 });
    one.forEach((r, i) => expect(r.logprob).toBeCloseTo(all[i]!.logprob, 4));
    expect(one[0]!.tokens.length).toBeGreaterThan(0);
    model.dispose();
  });

  it('refuses other model types and broken weights with the file named', async () => {
    const model = await architecture.create({ preset: 'llama-tiny', tokenizer, seed: 2 });
    const dir = path.join(work, 'broken');
    await model.save(dir);
    model.dispose();
    const configFile = path.join(dir, 'config.json');
    const config = JSON.parse(await fs.readFile(configFile, 'utf8'));
    await fs.writeFile(configFile, JSON.stringify({ ...config, model_type: 'gpt2' }));
    await expect(architecture.load(dir)).rejects.toThrow(/config\.json.*model_type/);
    await fs.writeFile(configFile, JSON.stringify({ ...config, num_key_value_heads: 3 }));
    await expect(architecture.load(dir)).rejects.toThrow(/config\.json.*num_key_value_heads/);
    await fs.writeFile(configFile, JSON.stringify(config));
    const weightsFile = path.join(dir, 'model.safetensors');
    const stored = await readSafetensors(weightsFile);
    const withoutNorm = new Map([...stored].filter(([name]) => name !== 'model.norm.weight').map(([n, t]) => [n, { shape: t.shape, data: t.data }]));
    await writeSafetensors(weightsFile, withoutNorm);
    await expect(architecture.load(dir)).rejects.toThrow(/model\.safetensors.*missing tensor 'model\.norm\.weight'/);
    withoutNorm.set('model.norm.weight', { shape: [65], data: new Float32Array(65) });
    await writeSafetensors(weightsFile, withoutNorm);
    await expect(architecture.load(dir)).rejects.toThrow(/model\.norm\.weight.*\[65\]/);
  });
});
