#!/usr/bin/env node
// Where a training step's (or a scoring call's) milliseconds go, on one tfjs backend: wall time of each part of the
// step (forward + backward, clipping, AdamW, the loss read), and tf.profile's kernel times summed by kernel (with the
// shapes of the costliest calls). Same step and scoring call as the bench worker (tfjs-worker.mjs).
//   node bench/model-gpt/profile.mjs [--preset gpt2-100m] [--backend tensorflow] [--phase train|score] [--steps 2]
//                                    [--top 25] [--signatures 3] [--score-set random|blimp-pairs]
import * as tf from '@tensorflow/tfjs-core';
import * as rt from '@class-it/runtime-tfjs';
import os from 'node:os';
import { benchModel, workload } from './workload.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const preset = opt('preset', 'gpt2-100m');
const steps = Number(opt('steps', '2'));
const top = Number(opt('top', '25'));
const signatures = Number(opt('signatures', '3'));
const phase = opt('phase', 'train');
if (phase !== 'train' && phase !== 'score') throw new Error(`--phase must be train or score, got '${phase}'`);
const backend = await rt.initEngine(opt('backend', 'tensorflow'));
tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false); // the profiler would otherwise read every output back

const model = benchModel(preset);
const w = workload(model.vocab, { scoreSet: opt('score-set', 'random') });
const module = model.create(1);
const names = [...module.variables.keys()];
const vars = [...module.variables.values()];
const optimizer = new rt.AdamW(module.variables, { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1 }, (n) => !module.noWeightDecay(n));
const rows = w.trainIds.map((ids) => ({ ids: ids.slice(0, -1), targets: ids.slice(1), weights: ids.slice(1).map(() => 1), words: 0 }));
const tokens = w.batch * w.seqLen;

const parts = {};
const timed = (part, f) => {
  const t0 = performance.now();
  const r = f();
  (parts[part] ??= []).push(performance.now() - t0);
  return r;
};
function trainStep(i) {
  const batch = rt.batchTensors(rows, tokens);
  const { value, grads } = timed('forward + backward', () => tf.variableGrads(() => rt.weightedLoss(module, batch, true, i), vars));
  const named = new Map(names.map((n, k) => [n, grads[vars[k].name]]));
  timed('clip (norm + scale)', () => rt.clipByGlobalNorm(named, rt.globalNorm(named.values()), 1.0));
  timed('AdamW', () => optimizer.apply(named, 1e-4));
  timed('read loss', () => value.dataSync());
  tf.dispose([value, ...named.values()]);
  rt.disposeBatch(batch);
}

const queries = w.scoreIds.map((ids) => ({ inputs: ids.slice(0, -1), reads: ids.slice(1).map((t, j) => [j, t]) }));
function scoreCall() {
  timed('batchedLogprobs', () => rt.batchedLogprobs(module, queries, { batchSize: 64, temperature: 1, padId: 0 }));
}
const step = phase === 'train' ? trainStep : scoreCall;

step(0); // warm-up
for (const k of Object.keys(parts)) parts[k] = [];
const kernels = new Map();
let stepMs = 0;
for (let i = 1; i <= steps; i++) {
  const t0 = performance.now();
  const profile = await tf.profile(() => step(i));
  stepMs += performance.now() - t0;
  for (const k of profile.kernels) {
    const entry = kernels.get(k.name) ?? { ms: 0, calls: 0, bySignature: new Map() };
    entry.ms += k.kernelTimeMs;
    entry.calls += 1;
    const signature = `${JSON.stringify(k.inputShapes)} -> ${JSON.stringify(k.outputShapes)}`;
    entry.bySignature.set(signature, (entry.bySignature.get(signature) ?? 0) + k.kernelTimeMs);
    kernels.set(k.name, entry);
  }
}
const kernelMs = [...kernels.values()].reduce((s, e) => s + e.ms, 0);
const perStep = (ms) => +(ms / steps).toFixed(1);
const report = {
  preset, backend, phase, parameters: model.parameters,
  tokensPerStep: phase === 'train' ? tokens : queries.reduce((n, q) => n + q.inputs.length, 0),
  steps, load: os.loadavg().map((v) => +v.toFixed(2)),
  stepMsUnderProfiler: perStep(stepMs),
  kernelMsPerStep: perStep(kernelMs),
  partsMsPerStep: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, perStep(v.reduce((a, b) => a + b, 0))])),
  kernels: [...kernels.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, top).map(([name, e]) => ({
    name, msPerStep: perStep(e.ms), share: +(e.ms / kernelMs).toFixed(3), callsPerStep: e.calls / steps,
    costliest: [...e.bySignature.entries()].sort((a, b) => b[1] - a[1]).slice(0, signatures).map(([sig, ms]) => `${perStep(ms)} ms: ${sig}`),
  })),
};
console.log(JSON.stringify(report, null, 2));
