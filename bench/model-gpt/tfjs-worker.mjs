// One tfjs backend, in its own process: training tokens/s (forward + backward + AdamW step, the trainer's own
// loss and optimizer when @class-it/runtime-tfjs exports them) and scoring sentences/s for the gpt-10m preset.
// Usage: node bench/model-gpt/tfjs-worker.mjs <backend> <trainSteps> <scoreReps>   (prints one JSON line)
import * as tf from '@tensorflow/tfjs-core';
import * as rt from '@class-it/runtime-tfjs';
import { GptModule, resolveGptConfig, gptParameterCount } from '@class-it/model-gpt';
import { workload } from './workload.mjs';

const [backendArg = 'wasm', stepsArg = '3', repsArg = '3'] = process.argv.slice(2);
const backend = await rt.initEngine(backendArg);
const w = workload();
const config = resolveGptConfig(w.preset);
const module = GptModule.create(config, 1);
const vars = [...module.variables.values()];
const names = [...module.variables.keys()];

const useTrainerParts = typeof rt.weightedLoss === 'function' && typeof rt.AdamW === 'function' && typeof rt.batchTensors === 'function';
const optimizer = useTrainerParts
  ? new rt.AdamW(module.variables, { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1 }, (n) => !module.noWeightDecay(n))
  : tf.train.adam(1e-4, 0.9, 0.95, 1e-8);

const rows = w.trainIds.map((ids) => ({ ids: ids.slice(0, -1), targets: ids.slice(1), weights: ids.slice(1).map(() => 1), words: 0 }));
const tokensPerStep = w.batch * w.seqLen;

function fallbackLoss(ids, targets, seed) {
  const { logits } = module.forward(ids, { training: true, dropoutSeed: seed });
  const flat = tf.reshape(logits, [-1, config.vocab_size]);
  const onehot = tf.oneHot(targets, config.vocab_size);
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(flat), onehot), 1)));
}

function trainStep(step) {
  if (useTrainerParts) {
    const batch = rt.batchTensors(rows, tokensPerStep);
    const { value, grads } = tf.variableGrads(() => rt.weightedLoss(module, batch, true, step), vars);
    const named = new Map(names.map((n, i) => [n, grads[vars[i].name]]));
    const norm = rt.globalNorm(named.values());
    rt.clipByGlobalNorm(named, norm, 1.0);
    optimizer.apply(named, 1e-4);
    const loss = value.dataSync()[0];
    tf.dispose([value, ...named.values()]); // clipping replaced (and disposed) the originals
    rt.disposeBatch(batch);
    return loss;
  }
  const ids = tf.tensor2d(rows.map((r) => r.ids), undefined, 'int32');
  const targets = tf.tensor1d(rows.flatMap((r) => r.targets), 'int32');
  const loss = optimizer.minimize(() => fallbackLoss(ids, targets, step), true, vars);
  const value = loss.dataSync()[0];
  tf.dispose([loss, ids, targets]);
  return value;
}

const queries = w.scoreIds.map((ids) => ({ inputs: ids.slice(0, -1), reads: ids.slice(1).map((t, j) => [j, t]) }));
function scoreAll() {
  const out = rt.batchedLogprobs(module, queries, { batchSize: 64, temperature: 1, padId: 0 });
  return out.reduce((s, v) => s + rt.float32Sum(v), 0);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (f) => { const t0 = performance.now(); const r = f(); return [performance.now() - t0, r]; };

trainStep(0); // warm-up (kernel compilation, allocation)
const stepMs = [];
let lastLoss;
for (let i = 1; i <= Number(stepsArg); i++) { const [ms, loss] = time(() => trainStep(i)); stepMs.push(ms); lastLoss = loss; }
scoreAll();
const scoreMs = [];
let total;
for (let i = 0; i < Number(repsArg); i++) { const [ms, t] = time(scoreAll); scoreMs.push(ms); total = t; }
const before = tf.memory().numTensors;
trainStep(99);
scoreAll();
console.log(JSON.stringify({
  engine: `tfjs-${backend}`,
  provider: rt.engineDetails()?.provider,
  parameters: gptParameterCount(config),
  trainStep: useTrainerParts ? 'runtime-tfjs trainer parts (weightedLoss + AdamW + clip)' : 'own loss + tf.train.adam',
  trainStepMs: median(stepMs),
  trainTokensPerSec: tokensPerStep / (median(stepMs) / 1000),
  scoreMs: median(scoreMs),
  scoreSentencesPerSec: w.scoreIds.length / (median(scoreMs) / 1000),
  lastLoss,
  scoreTotalLogprob: total,
  tensorLeakPerStep: tf.memory().numTensors - before,
}));
