// Each FunctionDef of make_functions.py run as ONE eager op (through the patched binding's addFunctionDef) against
// the same ops run one by one as tfjs does; rows 1 (a decoding step), 8 and 1,024 (a training micro-batch).
// Prints one JSON object. Usage (from the scratch dir run.sh makes): node measure.mjs <dir with the .fdef files>
import tf from '@tensorflow/tfjs-node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';

const dir = process.argv[2];
const backend = tf.backend();
if (!backend.binding.addFunctionDef) throw new Error('this @tensorflow/tfjs-node binding has no addFunctionDef (apply binding.patch)');
const names = JSON.parse(fs.readFileSync(path.join(dir, 'names.json'), 'utf8'));
for (const key of Object.keys(names)) backend.binding.addFunctionDef(fs.readFileSync(path.join(dir, `${key}.fdef`)));
const call = (key, inputs) => backend.executeSingleOutput(names[key], [], inputs);

/** Median over 5 rounds of the mean µs of one call. */
function micros(n, f) {
  for (let i = 0; i < 200; i++) tf.dispose(f());
  const rounds = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) tf.dispose(f());
    rounds.push(Number(process.hrtime.bigint() - t0) / 1e3 / n);
  }
  return +rounds.sort((a, b) => a - b)[2].toFixed(1);
}
const maxDiff = (a, b) => {
  const x = a.dataSync(), y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  tf.dispose([a, b]);
  return m;
};

const eagerNorm = (x, w, b) => tf.tidy(() => {
  const mean = tf.mean(x, 1, true);
  const c = tf.sub(x, mean);
  const v = tf.mean(tf.mul(c, c), 1, true);
  return tf.add(tf.mul(tf.mul(c, tf.rsqrt(tf.add(v, 1e-5))), w), b);
});
const eagerGelu = (t) => tf.tidy(() => tf.mul(tf.mul(t, 0.5), tf.add(tf.tanh(tf.mul(tf.add(t, tf.mul(tf.mul(tf.mul(t, t), t), 0.044715)), Math.sqrt(2 / Math.PI))), 1)));
const eagerMlp = (x, w1, b1, w2, b2, g, beta) => tf.tidy(() => {
  const h = eagerGelu(tf.add(tf.matMul(eagerNorm(x, g, beta), w1), b1));
  return tf.add(tf.add(x, tf.matMul(h, w2)), b2);
});

const results = [];
for (const rows of [1, 8, 1024]) {
  const x = tf.randomNormal([rows, 256]), g = tf.randomNormal([256]), beta = tf.randomNormal([256]), h = tf.randomNormal([rows, 1024]);
  const w1 = tf.randomNormal([256, 1024], 0, 0.05), b1 = tf.randomNormal([1024]), w2 = tf.randomNormal([1024, 256], 0, 0.05), b2 = tf.randomNormal([256]);
  const n = rows === 1024 ? 50 : 1000;
  const cases = [
    ['layer norm (9 ops)', () => eagerNorm(x, g, beta), () => call('ln', [x, g, beta])],
    ['gelu_new on [rows, 1024] (9 ops)', () => eagerGelu(h), () => call('gelu', [h])],
    ['layer norm + MLP + residual (~25 ops)', () => eagerMlp(x, w1, b1, w2, b2, g, beta), () => call('mlp', [x, w1, b1, w2, b2, g, beta])],
  ];
  for (const [what, eager, fused] of cases) {
    const eagerUs = micros(n, eager);
    const functionUs = micros(n, fused);
    results.push({ rows, what, eagerUs, functionUs, speedup: +(eagerUs / functionUs).toFixed(2), maxAbsDiff: maxDiff(eager(), fused()) });
  }
  tf.dispose([x, g, beta, h, w1, b1, w2, b2]);
}
console.log(JSON.stringify({ date: new Date().toISOString(), load: os.loadavg(), cpu: os.cpus()[0]?.model, libtensorflow: backend.binding.TF_Version, results }, null, 2));
