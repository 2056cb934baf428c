/**
 * Child of wasm-threads.test.ts: start the engine named by argv[2] (wasm: threads from CLASS_IT_WASM_THREADS), run a
 * forward and backward pass through the ops the wasm rewrites touch (a dense layer with GELU, layer norm, a matMul
 * to logits, the token cross-entropy), and print one JSON line: the engine, the loss and every gradient's values.
 * The process must then end on its own (the threaded build's workers must not keep it alive).
 */
import * as tf from '@tensorflow/tfjs-core';
import { engineDetails, initEngine, layerNorm, linear, matMul } from '../src/engine/index.js';
import { tokenCrossEntropy } from '../src/training/loss.js';

const values = (shape: number[], seed: number) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 0.5), shape);
};

await initEngine(process.argv[2] ?? 'wasm');
const [rows, width, hidden, vocab] = [96, 64, 256, 500];
const x = values([rows, width], 1) as tf.Tensor2D;
const params = {
  w1: values([width, hidden], 2) as tf.Tensor2D, b1: values([hidden], 3) as tf.Tensor1D,
  gain: values([hidden], 4) as tf.Tensor1D, shift: values([hidden], 5) as tf.Tensor1D,
  head: values([hidden, vocab], 6) as tf.Tensor2D,
};
const targets = tf.tensor1d(Array.from({ length: rows }, (_, i) => (i * 37) % vocab), 'int32');
const names = Object.keys(params) as Array<keyof typeof params>;
const { value, grads } = tf.valueAndGrads((...p: tf.Tensor[]) => {
  const [w1, b1, gain, shift, head] = p as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor2D];
  const h = layerNorm(linear(x, w1, b1, 'gelu_new'), gain, shift, 1e-5);
  return tf.mean(tokenCrossEntropy(matMul(h, head), targets));
})(names.map((n) => params[n]));
const gradients = Object.fromEntries(names.map((n, i) => [n, Array.from(grads[i]!.dataSync())]));
console.log(JSON.stringify({ engine: engineDetails(), loss: value.dataSync()[0], gradients }));
