import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@class-it/runtime-tfjs';
import { GptModule, resolveGptConfig, gptParameterCount, GPT_PRESETS, type GptConfig } from '../src/index.js';

const SMALL: Partial<GptConfig> = { n_layer: 2, n_embd: 16, n_head: 2, n_positions: 16, vocab_size: 29 };

function countParams(module: GptModule): number {
  let n = 0;
  for (const v of module.variables.values()) n += v.size;
  return n;
}

function ids2d(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, [rows.length, rows[0].length], 'int32');
}

/** Mean next-token cross-entropy of the module on fixed ids (training off: no dropout). */
function lossOf(module: GptModule, rows: number[][]): tf.Scalar {
  return tf.tidy(() => {
    const ids = ids2d(rows);
    const { logits } = module.forward(ids, { training: false });
    const [b, t, v] = logits.shape;
    const inputs = tf.slice(logits, [0, 0, 0], [b, t - 1, v]);
    const targets = tf.oneHot(tf.reshape(tf.slice(ids, [0, 1], [b, t - 1]), [-1]), v);
    return tf.losses.softmaxCrossEntropy(targets, tf.reshape(inputs, [-1, v])) as tf.Scalar;
  });
}

describe('GPT config and presets', () => {
  it('parameter counts of the presets match the built variables and the documented sizes', async () => {
    await initEngine('cpu');
    const tiny = resolveGptConfig('gpt-tiny');
    const module = GptModule.create(tiny, 1);
    expect(countParams(module)).toBe(gptParameterCount(tiny));
    expect(gptParameterCount(tiny)).toBeLessThan(1_000_000);
    module.dispose();
    expect(gptParameterCount(resolveGptConfig('gpt2-100m')) / 1e6).toBeCloseTo(98.03, 1);
    expect(gptParameterCount(resolveGptConfig('gpt-10m')) / 1e6).toBeGreaterThan(9);
    expect(gptParameterCount(resolveGptConfig('gpt-140m')) / 1e6).toBeGreaterThan(130);
    const untied = resolveGptConfig('gpt-tiny', { tie_word_embeddings: false });
    expect(gptParameterCount(untied) - gptParameterCount(tiny)).toBe(512 * 64);
    expect(Object.keys(GPT_PRESETS)).toEqual(['gpt-tiny', 'gpt-10m', 'gpt2-100m', 'gpt-140m']);
  });

  it('overrides win over presets and bad fields are named', () => {
    expect(resolveGptConfig('gpt-tiny', { n_layer: 3 }).n_layer).toBe(3);
    expect(() => resolveGptConfig('gpt-huge')).toThrow(/unknown gpt preset 'gpt-huge'/);
    expect(() => resolveGptConfig('gpt-tiny', { n_head: 3 })).toThrow(/field 'n_head'.*divisible/);
    expect(() => resolveGptConfig('gpt-tiny', { resid_pdrop: 1.5 })).toThrow(/field 'resid_pdrop'/);
    expect(() => resolveGptConfig('gpt-tiny', { vocab_size: 0 }, 'x/config.json')).toThrow(/x\/config.json, field 'vocab_size'/);
  });
});

describe('GPT forward', () => {
  beforeAll(async () => {
    await initEngine('cpu');
  });

  it('init is seeded and follows GPT-2 (std 0.02, residual projections scaled)', () => {
    const config = resolveGptConfig('gpt-tiny', { n_layer: 8 });
    const a = GptModule.create(config, 5);
    const b = GptModule.create(config, 5);
    const c = GptModule.create(config, 6);
    const wte = (m: GptModule) => m.variables.get('transformer.wte.weight')!.dataSync();
    expect(Array.from(wte(a))).toEqual(Array.from(wte(b)));
    expect(Array.from(wte(a))).not.toEqual(Array.from(wte(c)));
    const std = (name: string) => tf.tidy(() => tf.moments(a.variables.get(name)!).variance.sqrt().dataSync()[0]);
    expect(std('transformer.wte.weight')).toBeCloseTo(0.02, 3);
    expect(std('transformer.h.0.mlp.c_proj.weight')).toBeCloseTo(0.02 / 4, 3);
    expect(std('transformer.h.3.attn.c_proj.weight')).toBeCloseTo(0.02 / 4, 3);
    expect(a.variables.get('transformer.h.0.ln_1.weight')!.dataSync()[0]).toBe(1);
    expect(a.noWeightDecay('transformer.h.0.ln_1.weight')).toBe(true);
    expect(a.noWeightDecay('transformer.h.0.attn.c_attn.bias')).toBe(true);
    expect(a.noWeightDecay('transformer.h.0.attn.c_attn.weight')).toBe(false);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('is causal, and padding / packing do not change the logits of real tokens', () => {
    const module = GptModule.create(resolveGptConfig(undefined, { ...SMALL, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 }), 3);
    const seqA = [3, 7, 1, 9];
    const seqB = [4, 2, 8];
    const logitsOf = (rows: number[][], extra: Parameters<GptModule['forward']>[1] = { training: false }) =>
      tf.tidy(() => module.forward(ids2d(rows), extra).logits.arraySync());
    const alone = logitsOf([seqA])[0];
    const aloneB = logitsOf([seqB])[0];
    // causality: changing a later token leaves earlier logits unchanged
    const changed = logitsOf([[3, 7, 1, 20]])[0];
    for (let t = 0; t < 3; t++) expect(changed[t]).toEqual(alone[t]);
    expect(changed[3]).not.toEqual(alone[3]);
    // right padding with an attention mask
    const padded = tf.tidy(() => module.forward(ids2d([[...seqB, 0, 0], [...seqA, 0]]), {
      training: false, attentionMask: tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]]),
    }).logits.arraySync());
    for (let t = 0; t < 3; t++) padded[0][t].forEach((v, i) => expect(v).toBeCloseTo(aloneB[t][i], 5));
    for (let t = 0; t < 4; t++) padded[1][t].forEach((v, i) => expect(v).toBeCloseTo(alone[t][i], 5));
    // packing: two sequences in one row, segments and restarted positions
    const packed = tf.tidy(() => module.forward(ids2d([[...seqA, ...seqB]]), {
      training: false,
      segmentIds: tf.tensor2d([[1, 1, 1, 1, 2, 2, 2]]),
      positionIds: tf.tensor2d([[0, 1, 2, 3, 0, 1, 2]], [1, 7], 'int32'),
    }).logits.arraySync())[0];
    for (let t = 0; t < 4; t++) packed[t].forEach((v, i) => expect(v).toBeCloseTo(alone[t][i], 5));
    for (let t = 0; t < 3; t++) packed[4 + t].forEach((v, i) => expect(v).toBeCloseTo(aloneB[t][i], 5));
    module.dispose();
  });

  it('a shared-prefix row gives each branch the logits of prefix + branch run alone', () => {
    const module = GptModule.create(resolveGptConfig(undefined, { ...SMALL, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 }), 3);
    expect(module.supportsPrefixSegments).toBe(true);
    const prefix = [3, 7, 1];
    const [b1, b2] = [[9, 4], [5, 6, 2]];
    const logitsOf = (row: number[]) => tf.tidy(() => module.forward(ids2d([row]), { training: false }).logits.arraySync()[0]);
    const shared = tf.tidy(() => module.forward(ids2d([[...prefix, ...b1, ...b2]]), {
      training: false,
      segmentIds: tf.tensor2d([[0, 0, 0, 1, 1, 2, 2, 2]], undefined, 'int32'),
      prefixSegmentIds: tf.zeros([1, 8], 'int32') as tf.Tensor2D,
      positionIds: tf.tensor2d([[0, 1, 2, 3, 4, 3, 4, 5]], undefined, 'int32'),
    }).logits.arraySync())[0];
    const want = [...logitsOf([...prefix, ...b1]), ...logitsOf([...prefix, ...b2]).slice(3)];
    want.forEach((row, t) => row.forEach((v, i) => expect(shared[t][i]).toBeCloseTo(v, 5)));
    module.dispose();
  });

  it('rejects sequences longer than the context window', () => {
    const module = GptModule.create(resolveGptConfig(undefined, SMALL), 1);
    const ids = tf.zeros([1, 17], 'int32') as tf.Tensor2D;
    expect(() => module.forward(ids, { training: false })).toThrow(/longer than the context window \(n_positions=16\)/);
    ids.dispose();
    module.dispose();
  });

  it('dropout is reproducible from dropoutSeed and active only in training', () => {
    const module = GptModule.create(resolveGptConfig(undefined, { ...SMALL, resid_pdrop: 0.2, attn_pdrop: 0.2, embd_pdrop: 0.2 }), 2);
    const run = (training: boolean, seed?: number) =>
      tf.tidy(() => Array.from(module.forward(ids2d([[1, 2, 3]]), { training, dropoutSeed: seed }).logits.dataSync()));
    expect(run(true, 11)).toEqual(run(true, 11));
    expect(run(true, 11)).not.toEqual(run(true, 12));
    expect(run(false)).toEqual(run(false));
    expect(run(true, 11)).not.toEqual(run(false));
    module.dispose();
  });
});

describe('GPT gradients', () => {
  const rows = [[1, 5, 9, 2, 7, 3], [4, 4, 0, 11, 28, 6]];

  it('match central finite differences on the cpu backend (float32)', async () => {
    await initEngine('cpu');
    const module = GptModule.create(resolveGptConfig(undefined, { ...SMALL, initializer_range: 0.3 }), 9);
    const vars = [...module.variables.values()];
    const { value, grads } = tf.variableGrads(() => lossOf(module, rows), vars);
    value.dispose();
    // Directional derivatives along random unit directions through all parameters.
    let rng = 12345;
    const rand = () => ((rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
    for (let trial = 0; trial < 3; trial++) {
      const dirs = vars.map((v) => tf.tensor(Array.from({ length: v.size }, rand), v.shape));
      const norm = Math.sqrt(dirs.reduce((s, d) => s + tf.tidy(() => tf.sum(tf.square(d)).dataSync()[0]), 0));
      const analytic = vars.reduce((s, v, i) => s + tf.tidy(() => tf.sum(tf.mul(grads[v.name], dirs[i])).dataSync()[0]), 0) / norm;
      const eps = 2e-3;
      const originals = vars.map((v) => v.clone());
      const at = (scale: number) => {
        vars.forEach((v, i) => v.assign(tf.tidy(() => tf.add(originals[i], tf.mul(dirs[i], scale * eps / norm)))));
        return tf.tidy(() => lossOf(module, rows).dataSync()[0]);
      };
      const numeric = (at(1) - at(-1)) / (2 * eps);
      vars.forEach((v, i) => v.assign(originals[i]));
      originals.forEach((t) => t.dispose());
      dirs.forEach((t) => t.dispose());
      expect(Math.abs(numeric - analytic)).toBeLessThan(2e-2 * Math.abs(analytic) + 1e-3);
    }
    // A few single coordinates with large gradients.
    const wte = module.variables.get('transformer.wte.weight')!;
    const g = grads[wte.name].dataSync();
    let best = 0;
    g.forEach((x, i) => { if (Math.abs(x) > Math.abs(g[best])) best = i; });
    const base = wte.dataSync().slice();
    const eps = 1e-2;
    const lossWith = (delta: number) => {
      const data = base.slice(); data[best] += delta;
      wte.assign(tf.tensor(data, wte.shape));
      return tf.tidy(() => lossOf(module, rows).dataSync()[0]);
    };
    const numeric = (lossWith(eps) - lossWith(-eps)) / (2 * eps);
    expect(numeric).toBeCloseTo(g[best], 2);
    Object.values(grads).forEach((t) => t.dispose());
    module.dispose();
  });

  it('wasm and cpu give the same logits (1e-4) and gradients; no tensors leak across steps', async () => {
    const config = resolveGptConfig(undefined, { ...SMALL, initializer_range: 0.2 });
    const results: Record<string, { logits: Float32Array; grads: Float32Array[] }> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await initEngine(backend);
      const module = GptModule.create(config, 4);
      const logits = tf.tidy(() => module.forward(ids2d(rows), { training: false }).logits.dataSync() as Float32Array);
      const vars = [...module.variables.values()];
      const { value, grads } = tf.variableGrads(() => lossOf(module, rows), vars);
      results[backend] = { logits, grads: vars.map((v) => grads[v.name].dataSync() as Float32Array) };
      value.dispose();
      Object.values(grads).forEach((t) => t.dispose());
      // tensor count is stable across repeated forward/backward steps
      const step = () => {
        const r = tf.variableGrads(() => lossOf(module, rows), vars);
        r.value.dispose();
        Object.values(r.grads).forEach((t) => t.dispose());
      };
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step();
      expect(tf.memory().numTensors).toBe(before);
      module.dispose();
    }
    const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
    expect(maxDiff(results.cpu.logits, results.wasm.logits)).toBeLessThan(1e-4);
    results.cpu.grads.forEach((g, i) => expect(maxDiff(g, results.wasm.grads[i])).toBeLessThan(1e-4));
  });

  it('native TensorFlow gives the same logits (1e-4) and gradients as wasm, when it is installed', async (ctx) => {
    try {
      await initEngine('tensorflow');
    } catch (err) {
      console.warn(`SKIPPED: tensorflow-vs-wasm logits: native backend not installed (npm run setup:native): ${String(err).split('\n')[0]}`);
      ctx.skip();
    }
    const config = resolveGptConfig(undefined, { ...SMALL, initializer_range: 0.2 });
    const results: Record<string, { logits: Float32Array; grads: Float32Array[] }> = {};
    for (const backend of ['tensorflow', 'wasm'] as const) {
      await initEngine(backend);
      const module = GptModule.create(config, 4);
      const padded = [[...rows[0], 0, 0], [...rows[1], 3, 3]];
      const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]]);
      const logits = tf.tidy(() => module.forward(ids2d(padded), { training: false, attentionMask: mask }).logits.dataSync() as Float32Array);
      mask.dispose();
      const vars = [...module.variables.values()];
      const { value, grads } = tf.variableGrads(() => lossOf(module, rows), vars);
      results[backend] = { logits, grads: vars.map((v) => grads[v.name].dataSync() as Float32Array) };
      tf.dispose([value, ...Object.values(grads)]);
      module.dispose();
    }
    const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
    expect(maxDiff(results.tensorflow.logits, results.wasm.logits)).toBeLessThan(1e-4);
    results.tensorflow.grads.forEach((g, i) => expect(maxDiff(g, results.wasm.grads[i])).toBeLessThan(1e-4));
  });
});
