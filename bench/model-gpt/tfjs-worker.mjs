// One tfjs backend and one phase, in its own process (so the peak RSS is that phase's alone):
//   train: tokens/s of a training step (forward + backward + clip + AdamW: the trainer's own micro-batch gradients,
//          AdamW and clipping), median of `count` steps after two warm-up steps;
//   score: sentences/s of batched scoring (the runtime's batchedLogprobs, the path logLikelihood uses), median of
//          `count` repetitions after one warm-up.
// Memory: the process's peak RSS, tfjs's peak tensor bytes during one extra (untimed) step or repetition under
// tf.profile (which also checks that it leaves no tensor behind), and the bytes held by weights (and optimizer
// state) between steps.
// Usage: node bench/model-gpt/tfjs-worker.mjs <preset> <backend> <train|score> <count> [score set]   (prints one JSON line)
//   <backend>: wasm, cpu, tensorflow, or tensorflow with -opbyop (graph functions off) / -unfused (oneDNN's fused
//   kernels off) / -whole (every scored sequence run whole, no shared prefixes): ../engine-variant.mjs
//   [score set]: random (default) or blimp-pairs (workload.mjs SCORE_SETS)
import * as tf from '@tensorflow/tfjs-core';
import * as rt from '@class-it/runtime-tfjs';
import { benchModel, workload } from './workload.mjs';
import { applyEngineVariant } from '../engine-variant.mjs';

const [presetArg = 'gpt-10m', backendArg = 'wasm', phase = 'train', countArg = '3', scoreSet = 'random'] = process.argv.slice(2);
const count = Number(countArg);
const engineVariant = applyEngineVariant(backendArg);
const backend = await rt.initEngine(engineVariant.backend);
const model = benchModel(presetArg);
const w = workload(model.vocab, { scoreSet });
const module = model.create(1);
const mb = (bytes) => +(bytes / 2 ** 20).toFixed(1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (f) => { const t0 = performance.now(); const r = f(); return [performance.now() - t0, r]; };

async function trainPhase() {
  const names = [...module.variables.keys()];
  const vars = [...module.variables.values()];
  const optimizer = new rt.AdamW(module.variables, { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1 }, (n) => !module.noWeightDecay(n));
  const rows = w.trainIds.map((ids) => ({ ids: ids.slice(0, -1), targets: ids.slice(1), weights: ids.slice(1).map(() => 1), words: 0 }));
  const tokensPerStep = w.batch * w.seqLen;
  const microBatch = new rt.MicroBatchGradients(module); // the trainer's path (a graph function on native)
  const trainStep = (step) => {
    const batch = rt.batchTensors(rows, tokensPerStep);
    const { value, grads } = microBatch.compute(batch, step);
    const named = new Map(names.map((n, i) => [n, grads[vars[i].name]]));
    rt.clipByGlobalNorm(named, rt.globalNorm(named.values()), 1.0);
    optimizer.apply(named, 1e-4);
    const loss = value.dataSync()[0];
    tf.dispose([value, ...named.values()]); // clipping replaced (and disposed) the originals
    rt.disposeBatch(batch);
    return loss;
  };
  trainStep(0); // warm-up (kernel set-up, allocation; on native the two traced steps of the graph function)
  trainStep(0);
  const stepMs = [];
  const losses = [];
  for (let i = 1; i <= count; i++) {
    const [ms, loss] = time(() => trainStep(i));
    stepMs.push(ms);
    losses.push(loss);
  }
  const heldBytes = tf.memory().numBytes;
  const before = tf.memory().numTensors;
  const peakBytes = await profilePeak(() => trainStep(count + 1));
  const tensorLeakPerStep = tf.memory().numTensors - before;
  return {
    trainStepMs: +median(stepMs).toFixed(1),
    trainStepMsAll: stepMs.map((v) => +v.toFixed(1)),
    trainTokensPerSec: +(tokensPerStep / (median(stepMs) / 1000)).toFixed(1),
    losses,
    tensorLeakPerStep,
    memory: { peakRssMb: peakRssMb(), peakTfjsMb: mb(peakBytes), heldTfjsMb: mb(heldBytes) },
  };
}

async function scorePhase() {
  const queries = w.scoreIds.map((ids) => ({ inputs: ids.slice(0, -1), reads: ids.slice(1).map((t, j) => [j, t]) }));
  const scoreAll = () => rt.batchedLogprobs(module, queries, { batchSize: 64, temperature: 1, padId: 0 }).reduce((s, v) => s + rt.float32Sum(v), 0);
  // warm-up, counting the tokens (padding included) the model is given: fewer than the sentences' when prefixes are shared
  let tokensRun = 0;
  const forward = module.forward.bind(module);
  module.forward = (ids, options) => { tokensRun += ids.size; return forward(ids, options); };
  scoreAll();
  module.forward = forward;
  const scoreMs = [];
  let total;
  for (let i = 0; i < count; i++) {
    const [ms, t] = time(scoreAll);
    scoreMs.push(ms);
    total = t;
  }
  const heldBytes = tf.memory().numBytes;
  const before = tf.memory().numTensors;
  const peakBytes = await profilePeak(scoreAll);
  const tensorLeakPerCall = tf.memory().numTensors - before;
  return {
    scoreMs: +median(scoreMs).toFixed(1),
    scoreMsAll: scoreMs.map((v) => +v.toFixed(1)),
    scoreSentencesPerSec: +(w.scoreIds.length / (median(scoreMs) / 1000)).toFixed(1),
    scoreTotalLogprob: total,
    scoreTokens: { inSentences: queries.reduce((n, q) => n + q.inputs.length, 0), runWithPadding: tokensRun },
    tensorLeakPerCall,
    memory: { peakRssMb: peakRssMb(), peakTfjsMb: mb(peakBytes), heldTfjsMb: mb(heldBytes) },
  };
}

/** The most tensor bytes alive at once while `f` runs (tf.profile's peakBytes; native kernels' own scratch is not in it). */
async function profilePeak(f) {
  return (await tf.profile(f)).peakBytes;
}

function peakRssMb() {
  return mb(process.resourceUsage().maxRSS * 1024);
}

const result = phase === 'train' ? await trainPhase() : phase === 'score' ? await scorePhase() : undefined;
if (!result) throw new Error(`phase must be train or score, got '${phase}'`);
console.log(JSON.stringify({
  engine: `tfjs-${backend}${engineVariant.variant}`,
  graphFunctions: rt.nativeFunctionStats(),
  fusedOps: rt.nativeFusedOps(),
  wasmBatchedMatMul: rt.wasmBatchedMatMulAvailable(),
  wasmThreads: rt.engineDetails()?.wasmThreads,
  provider: rt.engineDetails()?.provider,
  libtensorflow: backend === 'tensorflow' ? tf.backend().binding?.TF_Version : undefined,
  onGpu: backend === 'tensorflow' ? Boolean(tf.backend().isUsingGpuDevice) : false,
  preset: model.name,
  architecture: model.architecture,
  parameters: model.parameters,
  phase,
  ...result,
}));
