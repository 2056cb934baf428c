// One tfjs backend and one preset, in its own process: greedy generation through the runtime's `generateText`
// (KV cache, host-side token choice, text tracking) on a freshly initialised GPT. Prints one JSON line:
//   - new tokens/s at batch 1 and 8 (128 new tokens; the prompt's prefill included in the time);
//   - per-token time by position in one long greedy run at batch 1 (up to the context window), to show the
//     KV cache keeps it near the first position's; and, with --no-cache-check, the same 128 tokens re-running the whole sequence;
//   - tensors left over (must be 0).
// Usage: node bench/generation/tfjs-worker.mjs <backend> <preset> <reps> [--long] [--no-cache-check]
//   <backend>: wasm, cpu, tensorflow, or tensorflow with -opbyop / -unfused (../engine-variant.mjs)
import * as tf from '@tensorflow/tfjs-core';
import * as rt from '@class-it/runtime-tfjs';
import { GptModule, resolveGptConfig, gptParameterCount } from '@class-it/model-gpt';
import { workload } from './workload.mjs';
import { applyEngineVariant } from '../engine-variant.mjs';

const [backendArg = 'wasm', preset = 'gpt-10m', repsArg = '3', ...flags] = process.argv.slice(2);
const engineVariant = applyEngineVariant(backendArg);
const backend = await rt.initEngine(engineVariant.backend);
const config = resolveGptConfig(preset);
const module = GptModule.create(config, 1);
const w = workload({ vocab: config.vocab_size });

// A stand-in tokenizer (random ids have no text): decode costs what a real one's would per step, O(tokens).
const tokenizer = {
  vocabSize: config.vocab_size, specialTokens: {},
  encode: () => { throw new Error('prompts are token ids'); },
  decode: (ids) => ids.join(' '),
  tokenToId: () => undefined, idToToken: (id) => String(id), specialId: () => undefined, save: async () => {},
};
// No EOS: every run generates exactly the asked number of tokens.
const defaults = { maxNewTokens: w.newTokens, doSample: false, temperature: 1, topK: 50, topP: 1, repetitionPenalty: 1, eosTokenIds: [], padTokenId: 0 };

/** Run greedy generation; the times at which each step's tokens were chosen (ms). */
async function timedRun(target, batch, newTokens) {
  const prompts = w.prompts.slice(0, batch).map((ids) => ({ ids }));
  const stamps = [];
  const t0 = performance.now();
  const outputs = await rt.generateText(target, tokenizer, defaults, prompts, {
    maxNewTokens: newTokens, onToken: (t) => { if (t.index === 0) stamps.push(performance.now()); },
  });
  const totalMs = performance.now() - t0;
  if (outputs.some((o) => o.ids.length !== newTokens)) throw new Error('a sequence stopped early');
  return { totalMs, stamps, t0, firstIds: outputs[0].ids.slice(0, 8) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const reps = Number(repsArg);
const before = tf.memory().numTensors;
await timedRun(module, 1, 8); // warm-up (kernels, allocation)
const byBatch = {};
for (const batch of w.batches) {
  await timedRun(module, batch, 4);
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(await timedRun(module, batch, w.newTokens));
  const total = median(runs.map((r) => r.totalMs));
  const steps = runs.map((r) => median(r.stamps.slice(2).map((s, i) => s - r.stamps[i + 1])));
  byBatch[batch] = {
    totalMs: total,
    newTokensPerSec: (batch * w.newTokens) / (total / 1000),
    msPerStep: median(steps),
    firstTokenMs: median(runs.map((r) => r.stamps[0] - r.t0)),
    firstIds: runs[0].firstIds,
  };
}

// Per-token time against position: one long run at batch 1, steps grouped in buckets of 32 positions.
let positions;
if (flags.includes('--long')) {
  const newTokens = config.n_positions - w.prompts[0].length;
  const run = await timedRun(module, 1, newTokens);
  const steps = run.stamps.slice(1).map((s, i) => s - run.stamps[i]);
  positions = [];
  for (let start = 0; start + 32 <= steps.length; start += 32) {
    positions.push({ fromPosition: w.prompts[0].length + 1 + start, msPerToken: +median(steps.slice(start, start + 32)).toFixed(3) });
  }
}

// Without the cache: the same generation re-running the whole sequence each step (batch 1).
let noCache;
if (flags.includes('--no-cache-check')) {
  const recomputing = Object.create(module, { forwardCached: { value: undefined } });
  const run = await timedRun(recomputing, 1, w.newTokens);
  const cached = await timedRun(module, 1, w.newTokens);
  noCache = { newTokensPerSec: w.newTokens / (run.totalMs / 1000), sameIds: JSON.stringify(run.firstIds) === JSON.stringify(cached.firstIds) };
}

console.log(JSON.stringify({
  engine: `tfjs-${backend}${engineVariant.variant}`,
  provider: rt.engineDetails()?.provider,
  preset,
  parameters: gptParameterCount(config),
  newTokens: w.newTokens,
  batches: byBatch,
  ...(positions ? { perTokenByPosition: positions } : {}),
  ...(noCache ? { withoutCache: noCache } : {}),
  // decoding steps run as one TensorFlow function (native engine, engine/native-function.ts)
  graphFunctions: rt.nativeFunctionStats(),
  fusedOps: rt.nativeFusedOps(),
  wasmBatchedMatMul: rt.wasmBatchedMatMulAvailable(),
  wasmThreads: rt.engineDetails()?.wasmThreads,
  tensorsLeft: tf.memory().numTensors - before,
}));
