/**
 * Graph functions on the native engine (src/engine/native-function.ts): a traced piece of tfjs code compiles after
 * two calls that trace the same graph and then gives the numbers of running it op by op; code that depends on
 * changing JS values, reads tensors back, or loses a captured tensor keeps (or goes back to) running op by op with
 * the right results; no tensor is left behind. Plus the protobuf reader of TensorFlow's op definitions. Skipped
 * loudly without the native engine built by `npm run setup:native` (its binding has the graph-function patch).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { NativeFunction, nativeFunctionStats, nativeFunctionsAvailable } from '../src/engine/native-function.js';
import { nativeBackend } from '../src/engine/native.js';
import { readOpInputArgs } from '../src/engine/graph-def.js';
import { embeddingLookup, gelu, layerNorm, matMul } from '../src/engine/ops.js';
import { nativeEngine } from './native-engine.js';

const ready = (await nativeEngine()) && nativeFunctionsAvailable();
if (!ready) console.warn('SKIPPED native-function tests: no native TensorFlow backend with graph functions (npm run setup:native)');

describe.skipIf(!ready)('graph functions on the native engine', () => {
  let weight: tf.Variable;
  let gain: tf.Variable;
  let shift: tf.Variable;
  let table: tf.Variable;

  beforeAll(() => {
    weight = tf.variable(tf.randomNormal([16, 48], 0, 0.3, 'float32', 1));
    gain = tf.variable(tf.randomUniform([16], 0.5, 1.5, 'float32', 2));
    shift = tf.variable(tf.randomNormal([16], 0, 0.1, 'float32', 3));
    table = tf.variable(tf.randomNormal([30, 16], 0, 1, 'float32', 4));
  });

  /** Embedding rows, layer norm, a product, a split, GELU, a softmax, an expandDims and a concat. */
  const block = (ids: tf.Tensor, extra: tf.Tensor) => (): tf.Tensor[] => {
    const x = tf.add(embeddingLookup(table as tf.Tensor2D, ids), extra) as tf.Tensor2D;
    const h = matMul(layerNorm(x, gain as tf.Tensor1D, shift as tf.Tensor1D, 1e-5), weight);
    const [a, b, c] = tf.split(h, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const mixed = tf.concat([gelu(a!), tf.softmax(b!), tf.expandDims(tf.sum(c!, 1), 1)], 1);
    return [mixed, tf.mean(mixed)];
  };
  const inputs = (step: number) => [tf.tensor1d([step % 30, (step * 7) % 30, 3], 'int32'), tf.randomNormal([3, 16], 0, 1, 'float32', 10 + step)];

  it('compiles after two equal traces and then gives the op-by-op numbers, with no tensor left behind', () => {
    const fn = new NativeFunction();
    const callsBefore = nativeFunctionStats().calls;
    let tensors = 0;
    for (let step = 0; step < 6; step++) {
      const [ids, extra] = inputs(step);
      const expected = tf.tidy(() => block(ids!, extra!)().map((t) => t.arraySync()));
      const got = tf.tidy(() => fn.run([ids!, extra!], block(ids!, extra!)).map((t) => t.arraySync()));
      expect(fn.isCompiled).toBe(step >= 1);
      const [e, g] = [expected[0] as number[][], got[0] as number[][]];
      e.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - g[i]![j]!)).toBeLessThan(1e-5)));
      expect(Math.abs((expected[1] as number) - (got[1] as number))).toBeLessThan(1e-6);
      ids!.dispose();
      extra!.dispose();
      if (step === 2) tensors = tf.memory().numTensors;
      if (step > 2) expect(tf.memory().numTensors).toBe(tensors);
    }
    expect(fn.eagerReason).toBeUndefined();
    expect(nativeFunctionStats().calls - callsBefore).toBe(4);
  });

  it('a new call site compiles at its first trace when the same graph and tensors were validated; other weights reuse the function', () => {
    const { registered } = nativeFunctionStats();
    const fn = new NativeFunction();
    const [ids, extra] = inputs(9);
    tf.tidy(() => fn.run([ids!, extra!], block(ids!, extra!)));
    expect(fn.isCompiled).toBe(true);
    expect(nativeFunctionStats().registered).toBe(registered);
    // new weights (another checkpoint of the same shapes): validated anew by two traces, then the same function
    const saved = weight;
    weight = tf.variable(tf.randomNormal([16, 48], 0, 0.3, 'float32', 99));
    const other = new NativeFunction();
    for (let step = 0; step < 3; step++) {
      const expected = tf.tidy(() => block(ids!, extra!)()[0]!.arraySync()) as number[][];
      const got = tf.tidy(() => other.run([ids!, extra!], block(ids!, extra!))[0]!.arraySync()) as number[][];
      expect(other.isCompiled).toBe(step >= 1);
      expected.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - got[i]![j]!)).toBeLessThan(1e-5)));
    }
    expect(nativeFunctionStats().registered).toBe(registered);
    weight.dispose();
    weight = saved;
    tf.dispose([ids!, extra!]);
  });

  it('with resultsFromFunction, the traced calls return the function\'s numbers too, and drop their own', () => {
    const fn = new NativeFunction({ resultsFromFunction: true });
    const [ids, extra] = inputs(4);
    const scale = tf.scalar(1.5); // a capture no other test has (held in JS until the first trace uploads it)
    const body = () => block(ids!, extra!)().map((t) => tf.mul(t, scale));
    const { calls } = nativeFunctionStats();
    const before = tf.memory().numTensors;
    const results = [];
    for (let call = 0; call < 3; call++) {
      results.push(tf.tidy(() => fn.run([ids!, extra!], body).map((t) => t.dataSync().slice())));
      expect(fn.isCompiled).toBe(call >= 1);
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(nativeFunctionStats().calls - calls).toBe(3);
    scale.dispose();
    // bit for bit: calls 1 and 2 were traced, call 3 only ran the function
    expect(results[0]).toEqual(results[2]);
    expect(results[1]).toEqual(results[2]);
    tf.dispose([ids!, extra!]);
  });

  it('code whose graph changes with a JS value keeps running op by op, with the right results', () => {
    const fn = new NativeFunction();
    for (let step = 1; step <= 4; step++) {
      const x = tf.ones([2, 2]);
      const got = tf.tidy(() => fn.run([x], () => [tf.mul(x, step)])[0]!.arraySync()) as number[][];
      expect(got).toEqual([[step, step], [step, step]]);
      x.dispose();
    }
    expect(fn.isCompiled).toBe(false);
    expect(fn.eagerReason).toMatch(/changes from call to call/);
  });

  it('code that reads a tensor back to JS is never compiled', () => {
    const fn = new NativeFunction();
    for (let step = 0; step < 3; step++) {
      const x = tf.ones([2]);
      const got = tf.tidy(() => fn.run([x], () => {
        const scale = tf.sum(x).dataSync()[0]!; // a host read
        return [tf.mul(x, scale)];
      })[0]!.arraySync());
      expect(got).toEqual([2, 2]);
      x.dispose();
    }
    expect(fn.isCompiled).toBe(false);
    expect(fn.eagerReason).toMatch(/reads a tensor back/);
  });

  it('goes back to op by op when a captured tensor is freed', () => {
    const fn = new NativeFunction();
    const captured = tf.tensor1d([1, 2, 3]);
    const body = (x: tf.Tensor) => () => [tf.add(x, captured)];
    for (let step = 0; step < 3; step++) {
      const x = tf.fill([3], step);
      tf.tidy(() => fn.run([x], body(x)));
      x.dispose();
    }
    expect(fn.isCompiled).toBe(true);
    captured.dispose();
    const replacement = tf.tensor1d([10, 20, 30]);
    const x = tf.zeros([3]);
    const got = tf.tidy(() => fn.run([x], () => [tf.add(x, replacement)])[0]!.arraySync());
    expect(got).toEqual([10, 20, 30]);
    expect(fn.isCompiled).toBe(false);
    expect(fn.eagerReason).toMatch(/function call failed/);
    tf.dispose([x, replacement]);
  });

  it('reads the type and count attributes of op inputs from TensorFlow\'s op list', () => {
    const binding = (nativeBackend() as unknown as { binding: { allOpDefs(): Uint8Array } }).binding;
    const ops = readOpInputArgs(binding.allOpDefs());
    expect(ops.size).toBeGreaterThan(1000);
    expect(ops.get('ExpandDims')).toEqual([{ typeAttr: 'T' }, { typeAttr: 'Tdim' }]);
    expect(ops.get('ConcatV2')).toEqual([{ typeAttr: 'T', numberAttr: 'N' }, { typeAttr: 'Tidx' }]);
    expect(ops.get('IdentityN')).toEqual([{ typeListAttr: 'T' }]);
  });
});
