import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@class-it/runtime-tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { llamaParameterCount, presetConfig, type LlamaConfig } from '../src/config.js';
import { LlamaModule } from '../src/model.js';

beforeAll(async () => {
  await initEngine('cpu');
});

function ids(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, undefined, 'int32');
}

/** Mean next-token cross-entropy of a module on a batch (targets = ids shifted by one), masked by `weights`. */
function lossOf(module: LlamaModule, input: tf.Tensor2D, targets: tf.Tensor2D, weights: tf.Tensor2D, extra = {}): tf.Scalar {
  const { logits } = module.forward(input, { training: false, ...extra });
  const logp = tf.logSoftmax(logits, -1);
  const picked = tf.sum(tf.mul(logp, tf.oneHot(targets, module.vocabSize)), -1);
  return tf.neg(tf.div(tf.sum(tf.mul(picked, weights)), tf.sum(weights))) as tf.Scalar;
}

describe('llama config', () => {
  it('llama-tiny is well under 1M parameters and the parameter count matches the variables', () => {
    const config = presetConfig('llama-tiny');
    const module = LlamaModule.initialize(config, 1);
    let total = 0;
    for (const v of module.variables.values()) total += v.size;
    expect(total).toBe(llamaParameterCount(config));
    expect(total).toBeLessThan(1_000_000);
    expect(config.num_key_value_heads).toBeLessThan(config.num_attention_heads);
    module.dispose();
  });

  it('llama-140m has about 134M parameters; tied embeddings count once', () => {
    const config = presetConfig('llama-140m');
    expect(llamaParameterCount(config)).toBeGreaterThan(130e6);
    expect(llamaParameterCount(config)).toBeLessThan(145e6);
    const tied = presetConfig('llama-140m', { tie_word_embeddings: true });
    expect(llamaParameterCount(config) - llamaParameterCount(tied)).toBe(32000 * 768);
  });

  it('rejects bad fields with the field name', () => {
    expect(() => presetConfig('llama-tiny', { num_key_value_heads: 3 })).toThrow(/num_key_value_heads/);
    expect(() => presetConfig('llama-tiny', { hidden_act: 'gelu' })).toThrow(/hidden_act/);
    expect(() => presetConfig('llama-tiny', { hidden_size: -4 })).toThrow(/hidden_size/);
    expect(() => presetConfig('llama-huge')).toThrow(/unknown llama preset/);
  });
});

describe('llama forward', () => {
  const config: LlamaConfig = presetConfig('llama-tiny', { vocab_size: 50, attention_dropout: 0.2 });

  it('same seed gives the same weights and logits; a different seed does not', () => {
    const a = LlamaModule.initialize(config, 7);
    const b = LlamaModule.initialize(config, 7);
    const c = LlamaModule.initialize(config, 8);
    const x = ids([[1, 2, 3, 4]]);
    const la = tf.tidy(() => a.forward(x, { training: false }).logits.arraySync());
    const lb = tf.tidy(() => b.forward(x, { training: false }).logits.arraySync());
    const lc = tf.tidy(() => c.forward(x, { training: false }).logits.arraySync());
    expect(lb).toEqual(la);
    expect(lc).not.toEqual(la);
    [a, b, c, x].forEach((t) => t.dispose());
  });

  it('dropout: off in eval, seeded in training', () => {
    const m = LlamaModule.initialize(config, 3);
    const x = ids([[5, 6, 7, 8, 9]]);
    const run = (training: boolean, dropoutSeed?: number) =>
      tf.tidy(() => m.forward(x, { training, dropoutSeed }).logits.arraySync());
    expect(run(false)).toEqual(run(false));
    expect(run(true, 11)).toEqual(run(true, 11));
    expect(run(true, 11)).not.toEqual(run(true, 12));
    expect(run(true, 11)).not.toEqual(run(false));
    m.dispose();
    x.dispose();
  });

  it('is causal: changing a later token does not change earlier logits', () => {
    const m = LlamaModule.initialize(config, 4);
    const a = tf.tidy(() => m.forward(ids([[1, 2, 3, 4, 5]]), { training: false }).logits.arraySync()[0]!);
    const b = tf.tidy(() => m.forward(ids([[1, 2, 3, 9, 5]]), { training: false }).logits.arraySync()[0]!);
    for (let t = 0; t < 3; t++) for (let v = 0; v < config.vocab_size; v++) expect(b[t]![v]).toBeCloseTo(a[t]![v]!, 5);
    expect(b[3]).not.toEqual(a[3]);
    m.dispose();
  });

  it('packing: two segments with restarting positions equal two separate runs', () => {
    const m = LlamaModule.initialize(config, 5);
    const first = [3, 4, 5];
    const second = [6, 7, 8, 9];
    const packed = tf.tidy(() =>
      m
        .forward(ids([[...first, ...second]]), {
          training: false,
          segmentIds: tf.tensor2d([[0, 0, 0, 1, 1, 1, 1]], undefined, 'int32'),
          positionIds: tf.tensor2d([[0, 1, 2, 0, 1, 2, 3]], undefined, 'int32'),
        })
        .logits.arraySync()[0]!,
    );
    const alone1 = tf.tidy(() => m.forward(ids([first]), { training: false }).logits.arraySync()[0]!);
    const alone2 = tf.tidy(() => m.forward(ids([second]), { training: false }).logits.arraySync()[0]!);
    const expected = [...alone1, ...alone2];
    expected.forEach((row, t) => row.forEach((v, j) => expect(packed[t]![j]).toBeCloseTo(v, 5)));
    m.dispose();
  });

  it('a shared-prefix row gives each branch the logits of prefix + branch run alone', () => {
    const m = LlamaModule.initialize(config, 5);
    expect(m.supportsPrefixSegments).toBe(true);
    const prefix = [3, 4, 5];
    const [b1, b2] = [[6, 7], [8, 9, 2]];
    const alone = (row: number[]) => tf.tidy(() => m.forward(ids([row]), { training: false }).logits.arraySync()[0]!);
    const shared = tf.tidy(() =>
      m
        .forward(ids([[...prefix, ...b1, ...b2]]), {
          training: false,
          segmentIds: tf.tensor2d([[0, 0, 0, 1, 1, 2, 2, 2]], undefined, 'int32'),
          prefixSegmentIds: tf.zeros([1, 8], 'int32') as tf.Tensor2D,
          positionIds: tf.tensor2d([[0, 1, 2, 3, 4, 3, 4, 5]], undefined, 'int32'),
        })
        .logits.arraySync()[0]!,
    );
    const expected = [...alone([...prefix, ...b1]), ...alone([...prefix, ...b2]).slice(3)];
    expected.forEach((row, t) => row.forEach((v, j) => expect(shared[t]![j]).toBeCloseTo(v, 5)));
    m.dispose();
  });

  it('padding: a left-padded row with attentionMask and positionIds equals the unpadded row', () => {
    const m = LlamaModule.initialize(config, 6);
    const real = [10, 11, 12, 13];
    const padded = tf.tidy(() =>
      m
        .forward(ids([[0, 0, ...real], [1, 2, 3, 4, 5, 6]]), {
          training: false,
          attentionMask: tf.tensor2d([[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]]),
          positionIds: tf.tensor2d([[0, 0, 0, 1, 2, 3], [0, 1, 2, 3, 4, 5]], undefined, 'int32'),
        })
        .logits.arraySync()[0]!,
    );
    const alone = tf.tidy(() => m.forward(ids([real]), { training: false }).logits.arraySync()[0]!);
    alone.forEach((row, t) => row.forEach((v, j) => expect(padded[t + 2]![j]).toBeCloseTo(v, 5)));
    for (const row of padded) for (const v of row) expect(Number.isFinite(v)).toBe(true);
    m.dispose();
  });

  it('forward + backward leak no tensors', () => {
    const m = LlamaModule.initialize(config, 2);
    const x = ids([[1, 2, 3, 4], [5, 6, 7, 8]]);
    const y = ids([[2, 3, 4, 5], [6, 7, 8, 9]]);
    const w = tf.ones([2, 4]) as tf.Tensor2D;
    const step = () =>
      tf.tidy(() => {
        const { grads, value } = tf.variableGrads(() =>
          lossOf(m, x, y, w, { training: true, dropoutSeed: 1, segmentIds: tf.tensor2d([[0, 0, 1, 1], [0, 0, 0, 0]]) }),
        );
        value.dataSync();
        Object.values(grads).forEach((g) => g.dataSync());
      });
    step();
    const before = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(before);
    const exported = m.exportWeights();
    expect(tf.memory().numTensors).toBe(before);
    expect(exported.get('model.layers.0.self_attn.k_proj.weight')!.shape).toEqual([
      config.num_key_value_heads * config.head_dim,
      config.hidden_size,
    ]);
    [m, x, y, w].forEach((t) => t.dispose());
  });
});

describe('llama gradient check (finite differences, cpu backend)', () => {
  it('analytic gradients of every variable match central differences on llama-tiny', () => {
    // llama-tiny with a larger init so gradients stand well above float32 noise; GQA, masks and packing on.
    const config = presetConfig('llama-tiny', { initializer_range: 0.2 });
    const m = LlamaModule.initialize(config, 13);
    const x = ids([[1, 5, 9, 200, 7, 3], [4, 999, 8, 2, 6, 0]]);
    const y = ids([[5, 9, 200, 7, 3, 1], [999, 8, 2, 6, 0, 0]]);
    const w = tf.tensor2d([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]]);
    const extra = {
      attentionMask: tf.tensor2d([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]]),
      segmentIds: tf.tensor2d([[0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0]]),
      positionIds: tf.tensor2d([[0, 1, 2, 0, 1, 2], [0, 1, 2, 3, 4, 5]], undefined, 'int32'),
    };
    const loss = () => lossOf(m, x, y, w, extra);
    const { grads } = tf.variableGrads(loss);
    const eps = 1e-2;
    let checked = 0;
    for (const [name, variable] of m.variables) {
      const g = grads[variable.name]!;
      const gNorm = tf.norm(g).dataSync()[0]!;
      const original = variable.clone();
      const random = tf.randomNormal(variable.shape, 0, 1, 'float32', checked + 1);
      for (const dir of [tf.div(g, gNorm), tf.div(random, tf.norm(random))]) {
        const expected = tf.sum(tf.mul(g, dir)).dataSync()[0]!;
        variable.assign(tf.add(original, tf.mul(dir, eps)));
        const plus = loss().dataSync()[0]!;
        variable.assign(tf.sub(original, tf.mul(dir, eps)));
        const minus = loss().dataSync()[0]!;
        variable.assign(original);
        const numeric = (plus - minus) / (2 * eps);
        expect(Math.abs(numeric - expected), `${name}: numeric ${numeric} vs analytic ${expected}`).toBeLessThan(
          0.03 * gNorm + 2e-4,
        );
        dir.dispose();
      }
      expect(gNorm, `${name} has a zero gradient`).toBeGreaterThan(1e-5);
      original.dispose();
      random.dispose();
      checked++;
    }
    expect(checked).toBe(m.variables.size);
    m.dispose();
  });
});
