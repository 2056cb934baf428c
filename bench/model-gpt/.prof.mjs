import * as tf from '@tensorflow/tfjs-core';
import * as rt from '@class-it/runtime-tfjs';
import { GptModule, resolveGptConfig } from '@class-it/model-gpt';
await rt.initEngine(process.argv[2] ?? 'wasm');
const config = resolveGptConfig('gpt-10m', { n_layer: 2 });
const module = GptModule.create(config, 1);
const vars = [...module.variables.values()];
const rows = Array.from({length: 8}, (_, r) => { const ids = Array.from({length: 129}, (_, i) => (i * 7919 + r * 31) % 16384); return { ids: ids.slice(0, -1), targets: ids.slice(1), weights: ids.slice(1).map(() => 1), words: 0 }; });
const batch = rt.batchTensors(rows, 1024);
const step = () => { const { value, grads } = tf.variableGrads(() => rt.weightedLoss(module, batch, true, 1), vars); value.dataSync(); tf.dispose([value, ...Object.values(grads)]); };
step();
const t0 = performance.now(); step(); console.log('step ms', performance.now() - t0);
const prof = await tf.profile(step);
const by = new Map();
for (const k of prof.kernels) { const key = k.name + ' ' + JSON.stringify(k.inputShapes); by.set(key, (by.get(key) ?? 0) + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0)); }
console.log([...by].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${v.toFixed(0).padStart(7)} ${k}`).join('\n'));
