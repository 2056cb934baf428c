/**
 * Test fixtures for the trainer: a tiny one-layer causal transformer implementing `CausalLMModule` (it honours
 * segment ids, position ids and seeded dropout, like the real architectures), and a `TrainableModel` around it
 * whose `save` writes its weights as JSON.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainableModel, TrainingSequence } from '@class-it/core';
import type { CausalLMModule, ForwardOptions, ForwardOutput } from '../src/causal-lm.js';
import { dropout, embeddingLookup, layerNorm } from '../src/engine/ops.js';

let instances = 0;

export class TinyCausalLM implements CausalLMModule {
  readonly architecture = 'tiny-test';
  readonly hfArchitectures = ['TinyTestForCausalLM'];
  readonly config: Record<string, unknown>;
  readonly variables = new Map<string, tf.Variable>();
  readonly hiddenSize: number;

  constructor(readonly vocabSize: number, readonly contextLength: number, hidden: number, seed: number, private dropoutRate = 0) {
    this.hiddenSize = hidden;
    this.config = { vocab_size: vocabSize, n_positions: contextLength, n_embd: hidden };
    const id = ++instances;
    const add = (name: string, init: tf.Tensor) => this.variables.set(name, tf.variable(init, true, `tiny${id}/${name}`));
    let s = seed;
    const normal = (shape: number[]) => tf.randomNormal(shape, 0, 0.2, 'float32', ++s);
    add('wte.weight', normal([vocabSize, hidden]));
    add('wpe.weight', normal([contextLength, hidden]));
    for (const n of ['q', 'k', 'v', 'o']) {
      add(`attn.${n}.weight`, normal([hidden, hidden]));
      // No key bias: softmax ignores it, so its gradient is pure rounding noise (which Adam would amplify).
      if (n !== 'k') add(`attn.${n}.bias`, tf.zeros([hidden]));
    }
    add('ln_f.weight', tf.ones([hidden]));
    add('ln_f.bias', tf.zeros([hidden]));
  }

  setDropout(rate: number): void {
    this.dropoutRate = rate;
  }

  private v(name: string): tf.Variable {
    return this.variables.get(name)!;
  }

  noWeightDecay(name: string): boolean {
    return name.endsWith('.bias') || name.startsWith('ln_');
  }

  forward(ids: tf.Tensor2D, options: ForwardOptions): ForwardOutput {
    const [b, t] = ids.shape;
    const d = this.hiddenSize;
    const positions = options.positionIds ?? tf.tile(tf.range(0, t, 1, 'int32').reshape([1, t]), [b, 1]);
    const x = tf.add(embeddingLookup(this.v('wte.weight') as tf.Tensor2D, ids), embeddingLookup(this.v('wpe.weight') as tf.Tensor2D, positions.toInt())) as tf.Tensor3D;
    const lin = (h: tf.Tensor3D, n: string) => {
      const y = tf.reshape(tf.matMul(tf.reshape(h, [b * t, d]), this.v(`attn.${n}.weight`)), [b, t, d]) as tf.Tensor3D;
      const bias = this.variables.get(`attn.${n}.bias`);
      return bias ? (tf.add(y, bias) as tf.Tensor3D) : y;
    };
    const q = lin(x, 'q');
    const k = lin(x, 'k');
    const val = lin(x, 'v');
    let allowed = tf.tile(tf.linalg.bandPart(tf.ones([t, t]), -1, 0).reshape([1, t, t]), [b, 1, 1]);
    if (options.attentionMask) allowed = tf.mul(allowed, tf.cast(options.attentionMask, 'float32').reshape([b, 1, t])); // no attending to pads
    if (options.segmentIds) {
      const seg = options.segmentIds.toFloat();
      allowed = tf.mul(allowed, tf.cast(tf.equal(seg.reshape([b, t, 1]), seg.reshape([b, 1, t])), 'float32'));
    }
    const scores = tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(d)), tf.mul(tf.sub(1, allowed), -1e9));
    const attn = dropout(tf.matMul(tf.softmax(scores), val), this.dropoutRate, options.dropoutSeed, options.training);
    const h = tf.add(x, lin(attn as tf.Tensor3D, 'o')) as tf.Tensor3D;
    const hidden = layerNorm(h, this.v('ln_f.weight') as tf.Tensor1D, this.v('ln_f.bias') as tf.Tensor1D, 1e-5);
    const logits = tf.reshape(tf.matMul(tf.reshape(hidden, [b * t, d]), this.v('wte.weight'), false, true), [b, t, this.vocabSize]) as tf.Tensor3D;
    return { logits, hidden };
  }

  exportWeights(): Map<string, { shape: number[]; data: Float32Array }> {
    return new Map([...this.variables].map(([name, v]) => [name, { shape: v.shape, data: v.dataSync() as Float32Array }]));
  }

  dispose(): void {
    tf.dispose([...this.variables.values()]);
  }
}

/** A TrainableModel around a TinyCausalLM; `save` writes config.json and weights.json. */
export function tinyModel(options: { vocab?: number; context?: number; hidden?: number; seed?: number; dropout?: number } = {}): TrainableModel & { module: TinyCausalLM } {
  const module = new TinyCausalLM(options.vocab ?? 11, options.context ?? 16, options.hidden ?? 8, options.seed ?? 1, options.dropout ?? 0);
  const unused = () => {
    throw new Error('not used in trainer tests');
  };
  return {
    module,
    architecture: module.architecture,
    config: module.config,
    hiddenSize: module.hiddenSize,
    info: { architecture: 'tiny-test', source: 'test', parameterCount: 0, backend: tf.getBackend(), contextLength: module.contextLength },
    tokenizer: undefined as never,
    logLikelihood: unused,
    nextTokenLogprobs: unused,
    dispose: () => module.dispose(),
    async save(dir: string) {
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(module.config));
      const weights = Object.fromEntries([...module.exportWeights()].map(([n, w]) => [n, Array.from(w.data)]));
      await fs.writeFile(path.join(dir, 'weights.json'), JSON.stringify(weights));
    },
  };
}

/** Deterministic pseudo-random sequences over a small vocabulary (a repeating pattern, so loss can fall). */
export function patternSequences(count: number, options: { vocab?: number; minLen?: number; maxLen?: number; seed?: number } = {}): TrainingSequence[] {
  const vocab = options.vocab ?? 11;
  const minLen = options.minLen ?? 3;
  const maxLen = options.maxLen ?? 9;
  let state = options.seed ?? 7;
  const rand = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const out: TrainingSequence[] = [];
  for (let i = 0; i < count; i++) {
    const len = minLen + Math.floor(rand() * (maxLen - minLen + 1));
    const start = Math.floor(rand() * vocab);
    const ids = Array.from({ length: len }, (_, j) => (start + j * 2) % vocab);
    out.push({ ids, lossWeights: ids.map(() => 1), words: len - 1 });
  }
  return out;
}

export function weightsOf(module: CausalLMModule): Map<string, Float32Array> {
  return new Map([...module.variables].map(([n, v]) => [n, v.dataSync().slice() as Float32Array]));
}

export function maxAbsDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let max = 0;
  for (const [name, x] of a) {
    const y = b.get(name)!;
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  }
  return max;
}
