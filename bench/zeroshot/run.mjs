#!/usr/bin/env node
// Zero-shot benchmark: BLiMP-fast (67 paradigms x 200 = 13,400 pairs) through the BLiMP evaluator with a fresh
// gpt-10m model, on every tfjs backend present; wall time and pairs/s. Prints JSON and writes it to
// bench/out/zeroshot-<time>.json.
//   node bench/zeroshot/run.mjs [--backends tensorflow,wasm[,cpu]] [--paradigms all|N] [--batch 64]
// Needs built dists: NX_DAEMON=false npx nx run-many -t build --projects=core,runtime-tfjs,model-gpt,eval-zeroshot-shared,eval-blimp
// and the BabyLM data at ../shared/eval-data (relative to the repo root).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const requested = opt('backends', 'tensorflow,wasm').split(','); // cpu works too but is ~50x slower
const paradigms = opt('paradigms', 'all');
const batch = opt('batch', '64');

for (const pkg of ['core', 'runtime-tfjs', 'model-gpt', 'eval-zeroshot/shared', 'eval-zeroshot/blimp']) {
  if (!existsSync(path.join(root, 'packages', pkg, 'dist/index.js'))) {
    console.error(`packages/${pkg}/dist is missing; build first: NX_DAEMON=false npx nx run-many -t build --projects=core,runtime-tfjs,model-gpt,eval-zeroshot-shared,eval-blimp`);
    process.exit(1);
  }
}
if (!existsSync(path.resolve(root, '../shared/eval-data/blimp/blimp_fast'))) {
  console.error(`no BLiMP fast data at ${path.resolve(root, '../shared/eval-data/blimp/blimp_fast')}`);
  process.exit(1);
}

const results = {};
const skipped = {};
for (const backend of requested) {
  try {
    const out = execFileSync(process.execPath, [path.join(here, 'worker.mjs'), backend, paradigms, batch], {
      cwd: root, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r = JSON.parse(out.trim().split('\n').pop());
    results[r.engine] = r;
    console.error(`[bench] ${r.engine}: ${r.pairs} pairs in ${r.seconds}s = ${r.pairsPerSec} pairs/s`);
  } catch (err) {
    skipped[`tfjs-${backend}`] = String(err.stderr || err.message).trim().split('\n').slice(-3).join(' | ');
    console.error(`[bench] tfjs-${backend} skipped: ${skipped[`tfjs-${backend}`]}`);
  }
}

const report = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  workload: { task: 'blimp (fast)', preset: 'gpt-10m', paradigms, batchSize: Number(batch) },
  results,
  skipped,
};
const outDir = path.join(root, 'bench/out');
mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `zeroshot-${report.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(report, null, 2));
