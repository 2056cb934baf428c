import * as tf from '@tensorflow/tfjs-core';
import * as rt from '@class-it/runtime-tfjs';
await rt.initEngine('wasm');
const a = tf.randomNormal([32, 128, 128]); const b = tf.randomNormal([32, 128, 64]);
const res = {};
const t = (name, f) => { const t0 = performance.now(); tf.dispose(f()); (res[name] ??= []).push(performance.now() - t0); };
const a2 = tf.reshape(a, [32, 128 * 128]);
const idx = Array.from({length: 32}, (_, i) => tf.tensor1d([i], 'int32'));
for (let rep = 0; rep < 8; rep++) {
  t('batched 3D', () => tf.matMul(a, b));
  t('unstack', () => tf.unstack(a));
  t('slice loop 3d', () => Array.from({length: 32}, (_, i) => tf.slice(a, [i, 0, 0], [1, 128, 128])));
  t('gather loop flat', () => idx.map((ix) => tf.gather(a2, ix)));
  t('2D 4096x128x64', () => tf.matMul(tf.reshape(a, [4096, 128]), tf.slice(tf.reshape(b, [4096, 64]), [0, 0], [128, 64])));
}
for (const [k, v] of Object.entries(res)) console.log(k.padEnd(20), v.sort((x, y) => x - y)[4].toFixed(1), 'ms median');
