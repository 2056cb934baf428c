#!/usr/bin/env node
// Training tokens/s, scoring sentences/s and peak memory of one model preset on every tfjs backend asked for,
// with the same model in PyTorch CPU in the same run as the reference. Every (engine, phase) is its own process,
// so each peak RSS is that phase's alone. `--runs N` repeats the whole set N times, engines interleaved, and the
// summary gives the median of each figure and of each run's ratio to that run's PyTorch (the VM is noisy: quote
// medians). The JSON records the machine, the load (os.loadavg) before and after every process, the versions and
// the exact command, and goes to stdout and bench/out/model-gpt-<preset>-<time>.json.
//   node bench/model-gpt/run.mjs --preset gpt-10m|gpt2-100m|llama-140m [--runs 3] [--steps 4] [--reps 5]
//        [--backends tensorflow,wasm] [--torch-threads 2,1] [--torch-attention eager|sdpa] [--phases train,score]
//        [--score-set random|blimp-pairs]   (what is scored: workload.mjs SCORE_SETS)
// Needs the built dist of core, runtime-tfjs, model-gpt and model-llama:
//   NX_DAEMON=false npx nx run-many -t build --projects=core,runtime-tfjs,model-gpt,model-llama
// The native backend comes from `npm run setup:native`; PyTorch from `.venv` (tools/scripts/setup-python.sh).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_PRESETS, SCORE_SETS, benchModel, workload } from './workload.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const preset = opt('preset', 'gpt-10m');
if (!BENCH_PRESETS[preset]) {
  console.error(`--preset must be one of ${Object.keys(BENCH_PRESETS).join(', ')}`);
  process.exit(1);
}
const runs = Number(opt('runs', '3'));
const steps = opt('steps', '4');
const reps = opt('reps', '5');
// WASM at 100M+ parameters takes minutes a step, so it runs by default only at gpt-10m.
const backends = opt('backends', preset === 'gpt-10m' ? 'tensorflow,wasm' : 'tensorflow').split(',').filter(Boolean);
// PyTorch runs once per thread count; each run's reference is the fastest (on a loaded VM 2 OpenMP threads can be
// slower than 1).
const torchThreads = opt('torch-threads', '2,1').split(',').filter(Boolean).map(Number);
const torchAttention = opt('torch-attention', 'eager');
const phases = opt('phases', 'train,score').split(',');
const scoreSet = opt('score-set', 'random');
if (!SCORE_SETS[scoreSet]) {
  console.error(`--score-set must be one of ${Object.keys(SCORE_SETS).join(', ')}`);
  process.exit(1);
}
const TARGETS = { 'tfjs-tensorflow': { train: 1.2, score: 2.0 }, 'tfjs-wasm': { train: 0.25 } };

for (const pkg of ['core', 'runtime-tfjs', 'model-gpt', 'model-llama']) {
  if (!existsSync(path.join(root, 'packages', pkg, 'dist/index.js'))) {
    console.error(`packages/${pkg}/dist is missing; build first: NX_DAEMON=false npx nx run-many -t build --projects=core,runtime-tfjs,model-gpt,model-llama`);
    process.exit(1);
  }
}

const load = () => os.loadavg().map((v) => +v.toFixed(2));
const lastLine = (out) => JSON.parse(out.trim().split('\n').pop());
const failure = (err) => String(err.stderr || err.message).trim().split('\n').slice(-3).join(' | ');
const shell = (cmd, a) => { try { return execFileSync(cmd, a, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return undefined; } };

/** Run one (engine, phase) process; its JSON line plus the load before and after, or the reason it failed. */
function measure(command, argv, env) {
  const loadBefore = load();
  const t0 = Date.now();
  try {
    const out = execFileSync(command, argv, { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
    return { ...lastLine(out), loadBefore, loadAfter: load(), wallSec: (Date.now() - t0) / 1000 };
  } catch (err) {
    return { error: failure(err), loadBefore, loadAfter: load() };
  }
}

const uptimeAtStart = shell('uptime', []);
const model = benchModel(preset);
const w = workload(model.vocab, { scoreSet });
const python = path.join(root, '.venv/bin/python');
const workDir = path.join(root, 'bench/out');
mkdirSync(workDir, { recursive: true });
const torchWork = (threads) => {
  const file = path.join(workDir, `model-gpt-workload-${preset}-${threads}.json`);
  writeFileSync(file, JSON.stringify({ ...w, architecture: model.architecture, config: model.config, threads, attention: torchAttention }));
  return file;
};
const tfjsEnv = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' };

const runResults = [];
for (let run = 1; run <= runs; run++) {
  const engines = {};
  for (const phase of phases) {
    const count = phase === 'train' ? steps : reps;
    for (const backend of backends) {
      const r = measure(process.execPath, [path.join(here, 'tfjs-worker.mjs'), preset, backend, phase, count, scoreSet], tfjsEnv);
      const name = r.engine ?? `tfjs-${backend}`;
      (engines[name] ??= {})[phase] = r;
      console.error(`[bench ${preset} run ${run}/${runs}] ${name} ${phase}: ${r.error ?? summaryLine(r)} (load ${r.loadBefore[0]})`);
    }
    if (!existsSync(python)) continue;
    for (const threads of torchThreads) {
      const name = `pytorch-cpu-${threads}t`;
      const r = measure(python, [path.join(here, 'torch_ref.py'), torchWork(threads), phase, count], process.env);
      (engines[name] ??= {})[phase] = r;
      console.error(`[bench ${preset} run ${run}/${runs}] ${name} ${phase}: ${r.error ?? summaryLine(r)} (load ${r.loadBefore[0]})`);
    }
  }
  runResults.push({ run, engines, ratios: ratiosOf(engines) });
}

function summaryLine(r) {
  return r.phase === 'train'
    ? `${r.trainTokensPerSec} tok/s, peak RSS ${r.memory.peakRssMb} MB`
    : `${r.scoreSentencesPerSec} sent/s, peak RSS ${r.memory.peakRssMb} MB`;
}

/** One run's PyTorch reference (the fastest thread count for each measure) and every tfjs engine's ratio to it. */
function ratiosOf(engines) {
  const torch = Object.entries(engines).filter(([name]) => name.startsWith('pytorch'));
  const best = (phase, key) => Math.max(...torch.map(([, e]) => e[phase]?.[key] ?? -Infinity));
  const ref = { train: best('train', 'trainTokensPerSec'), score: best('score', 'scoreSentencesPerSec') };
  const ratios = {};
  for (const [name, e] of Object.entries(engines)) {
    if (name.startsWith('pytorch')) continue;
    ratios[name] = {
      train: e.train?.trainTokensPerSec && ref.train > 0 ? +(e.train.trainTokensPerSec / ref.train).toFixed(3) : undefined,
      score: e.score?.scoreSentencesPerSec && ref.score > 0 ? +(e.score.scoreSentencesPerSec / ref.score).toFixed(3) : undefined,
    };
  }
  return { pytorchReference: { trainTokensPerSec: ref.train > 0 ? ref.train : undefined, scoreSentencesPerSec: ref.score > 0 ? ref.score : undefined }, ...ratios };
}

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  return v.length % 2 ? v[(v.length - 1) / 2] : +((v[v.length / 2 - 1] + v[v.length / 2]) / 2).toFixed(3);
};
const engineNames = [...new Set(runResults.flatMap((r) => Object.keys(r.engines)))];
const summary = {};
for (const name of engineNames) {
  const pick = (phase, f) => runResults.map((r) => { const e = r.engines[name]?.[phase]; return e && !e.error ? f(e) : undefined; });
  summary[name] = {
    trainTokensPerSec: median(pick('train', (e) => e.trainTokensPerSec)),
    scoreSentencesPerSec: median(pick('score', (e) => e.scoreSentencesPerSec)),
    trainPeakRssMb: median(pick('train', (e) => e.memory.peakRssMb)),
    scorePeakRssMb: median(pick('score', (e) => e.memory.peakRssMb)),
    trainPeakTfjsMb: median(pick('train', (e) => e.memory.peakTfjsMb)),
    scorePeakTfjsMb: median(pick('score', (e) => e.memory.peakTfjsMb)),
  };
  if (!name.startsWith('pytorch')) {
    const trainRatio = median(runResults.map((r) => r.ratios[name]?.train));
    const scoreRatio = median(runResults.map((r) => r.ratios[name]?.score));
    const target = TARGETS[name] ?? {};
    summary[name].trainVsPytorch = trainRatio;
    summary[name].scoreVsPytorch = scoreRatio;
    summary[name].targets = {
      ...(target.train !== undefined && preset !== 'llama-140m' ? { train: target.train, trainMet: trainRatio !== undefined && trainRatio >= target.train } : {}),
      ...(target.score !== undefined && preset !== 'llama-140m' ? { score: target.score, scoreMet: scoreRatio !== undefined && scoreRatio >= target.score } : {}),
    };
  }
}
summary.pytorchReference = {
  trainTokensPerSec: median(runResults.map((r) => r.ratios.pytorchReference.trainTokensPerSec)),
  scoreSentencesPerSec: median(runResults.map((r) => r.ratios.pytorchReference.scoreSentencesPerSec)),
  note: 'per run, the fastest PyTorch thread count for each measure; ratios are per run, then the median',
};

const loads = runResults.flatMap((r) => Object.values(r.engines).flatMap((e) => Object.values(e).map((m) => m.loadBefore[0])));
const report = {
  date: new Date().toISOString(),
  command: `node bench/model-gpt/run.mjs ${args.join(' ')}`.trim(),
  git: { commit: shell('git', ['rev-parse', 'HEAD']), dirty: (shell('git', ['status', '--porcelain']) ?? '') !== '' },
  machine: {
    cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGb: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(), node: process.version,
    tfjsCore: JSON.parse(readFileSync(path.join(root, 'node_modules/@tensorflow/tfjs-core/package.json'), 'utf8')).version,
  },
  load: {
    note: 'os.loadavg() (1, 5, 15 min) before each process; other users of the machine are not ours to stop',
    uptimeAtStart, uptimeAtEnd: shell('uptime', []),
    oneMinuteMedian: median(loads), oneMinuteMin: Math.min(...loads), oneMinuteMax: Math.max(...loads),
  },
  workload: {
    preset, architecture: model.architecture, parameters: model.parameters, vocab: model.vocab,
    train: `${w.batch} x ${w.seqLen} tokens a step: forward + backward + clip 1.0 + AdamW (dropout as the preset)`,
    score: `${w.scoreIds.length} sentences in one call, summed log-probabilities`,
    scoreSet: { name: scoreSet, what: SCORE_SETS[scoreSet] },
    stepsPerRun: Number(steps), scoreRepsPerRun: Number(reps), runs, torchThreads, torchAttention,
  },
  summary,
  runs: runResults,
};
const file = path.join(workDir, `model-gpt-${preset}-${report.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(report, null, 2));
console.error(`[bench] written to ${path.relative(root, file)}`);
