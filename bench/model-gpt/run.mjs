#!/usr/bin/env node
// Benchmark of the gpt-10m preset: training tokens/s and scoring sentences/s on every tfjs backend present, and
// the same model in PyTorch CPU in the same run as the reference. Prints JSON with the ratios and writes it to
// bench/out/model-gpt-<time>.json.
//   node bench/model-gpt/run.mjs [--steps N] [--reps N] [--backends tensorflow,wasm] [--torch-threads 2,1]
// Needs the built dist of core, runtime-tfjs and model-gpt:
//   NX_DAEMON=false npx nx run-many -t build --projects=core,runtime-tfjs,model-gpt
// The native backend comes from `npm run setup:native`; PyTorch from `.venv` (tools/scripts/setup-python.sh).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { workload } from './workload.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const steps = opt('steps', '4');
const reps = opt('reps', '5');
// PyTorch runs once per thread count; the ratios use the fastest (on a loaded VM 2 OpenMP threads can be far
// slower than 1).
const torchThreads = opt('torch-threads', '2,1').split(',').map(Number);
const requested = opt('backends', 'tensorflow,wasm').split(',');

for (const pkg of ['core', 'runtime-tfjs', 'model-gpt']) {
  if (!existsSync(path.join(root, 'packages', pkg, 'dist/index.js'))) {
    console.error(`packages/${pkg}/dist is missing; build first: NX_DAEMON=false npx nx run-many -t build --projects=core,runtime-tfjs,model-gpt`);
    process.exit(1);
  }
}

const results = {};
const skipped = {};
const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' };
for (const backend of requested) {
  try {
    const out = execFileSync(process.execPath, [path.join(here, 'tfjs-worker.mjs'), backend, steps, reps], { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const r = JSON.parse(out.trim().split('\n').pop());
    results[r.engine] = r;
    console.error(`[bench] ${r.engine}: ${r.trainTokensPerSec.toFixed(0)} train tok/s, ${r.scoreSentencesPerSec.toFixed(1)} sent/s`);
  } catch (err) {
    skipped[`tfjs-${backend}`] = String(err.stderr || err.message).trim().split('\n').slice(-3).join(' | ');
    console.error(`[bench] tfjs-${backend} skipped: ${skipped[`tfjs-${backend}`]}`);
  }
}

const python = path.join(root, '.venv/bin/python');
if (existsSync(python)) {
  const { resolveGptConfig } = await import('@class-it/model-gpt');
  const w = workload();
  const work = path.join(root, 'bench/out');
  mkdirSync(work, { recursive: true });
  for (const threads of torchThreads) {
    const file = path.join(work, `model-gpt-workload-${threads}.json`);
    writeFileSync(file, JSON.stringify({ ...w, config: resolveGptConfig(w.preset), threads }));
    const name = `pytorch-cpu-${threads}t`;
    try {
      const out = execFileSync(python, [path.join(here, 'torch_ref.py'), file, steps, reps], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      results[name] = JSON.parse(out.trim().split('\n').pop());
      console.error(`[bench] ${name}: ${results[name].trainTokensPerSec.toFixed(0)} train tok/s, ${results[name].scoreSentencesPerSec.toFixed(1)} sent/s`);
    } catch (err) {
      skipped[name] = String(err.stderr || err.message).trim().split('\n').slice(-3).join(' | ');
    }
  }
} else {
  skipped['pytorch-cpu'] = `no ${python} (run tools/scripts/setup-python.sh: pip install torch==2.13.0+cpu from the local index)`;
}

const torchRuns = Object.values(results).filter((r) => r.engine === 'pytorch-cpu');
const best = (key) => torchRuns.length ? Math.max(...torchRuns.map((r) => r[key])) : undefined;
const ref = torchRuns.length ? { trainTokensPerSec: best('trainTokensPerSec'), scoreSentencesPerSec: best('scoreSentencesPerSec') } : undefined;
const ratios = {};
const targets = { 'tfjs-tensorflow': { train: 1.0, score: 2.0 }, 'tfjs-wasm': { train: 0.25 } };
for (const [engine, r] of Object.entries(results)) {
  if (engine.startsWith('pytorch') || !ref) continue;
  ratios[engine] = {
    trainVsPytorch: +(r.trainTokensPerSec / ref.trainTokensPerSec).toFixed(3),
    scoreVsPytorch: +(r.scoreSentencesPerSec / ref.scoreSentencesPerSec).toFixed(3),
    targets: targets[engine] ?? {},
  };
}
const report = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  pytorchReference: ref ? { ...ref, note: 'the fastest PyTorch thread count for each measure' } : undefined,
  workload: { preset: 'gpt-10m', trainBatch: '8 x 128 tokens', scoring: '64 sentences of 12-20 tokens, one batch', steps: Number(steps), reps: Number(reps) },
  results,
  ratios,
  skipped,
};
const outDir = path.join(root, 'bench/out');
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, `model-gpt-${Date.now()}.json`), JSON.stringify(report, null, 2));
console.log(JSON.stringify(report, null, 2));
