#!/usr/bin/env node
// Peak memory and wall time of the real command, `class-it eval --task blimp --fast` on all of BLiMP-fast, with a
// gpt-10m checkpoint: fresh weights (16,384-row embedding, 10.6 M parameters) and a byte-level BPE trained on the
// benchmark's own sentences, saved once to bench/out/zeroshot-gpt-10m/. The CLI's peak RSS is the kernel's
// high-water mark of that process (read at exit through a --import hook). Prints JSON and writes it to
// bench/out/zeroshot-cli-<time>.json.
//   node bench/zeroshot/cli-memory.mjs [--backends tensorflow,wasm,tensorflow-whole] [--batch 64]
// A backend may carry the bench's variant suffixes (../engine-variant.mjs), e.g. tensorflow-whole: no shared prefixes.
// With .venv (tools/scripts/setup-python.sh) the same checkpoint and files are also scored by the Python
// re-implementation of the reference pipeline (packages/eval-zeroshot/shared/test/py/babylm_reference.py: HF
// transformers, batches of 64 items, each sentence whole) on `--torch-threads` threads (default 2; 0 skips it): its
// wall time, peak RSS and accuracy go in the JSON beside ours (`pytorchReference`).
// Needs built dists (NX_DAEMON=false npx nx run-many -t build) and the BabyLM data at ../shared/eval-data.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineVariant } from '../engine-variant.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const backends = opt('backends', 'tensorflow').split(',');
const batch = opt('batch', '64');
const torchThreads = Number(opt('torch-threads', '2'));
const blimpFast = path.resolve(root, '../shared/eval-data/blimp/blimp_fast');
const checkpoint = path.join(root, 'bench/out/zeroshot-gpt-10m');

if (!existsSync(path.join(checkpoint, 'model.safetensors'))) {
  const { initEngine, trainByteLevelBpe } = await import('@class-it/runtime-tfjs');
  const { GptArchitecture } = await import('@class-it/model-gpt');
  await initEngine('wasm');
  const texts = readdirSync(blimpFast).filter((f) => f.endsWith('.jsonl')).sort().flatMap((f) =>
    readFileSync(path.join(blimpFast, f), 'utf8').trim().split('\n').flatMap((l) => { const o = JSON.parse(l); return [o.sentence_good, o.sentence_bad]; }));
  const tokenizer = trainByteLevelBpe(texts, { vocabSize: 16384, specialTokens: { eos: '<|endoftext|>' } });
  const model = await new GptArchitecture().create({ preset: 'gpt-10m', tokenizer, seed: 1, overrides: { vocab_size: 16384 } });
  mkdirSync(checkpoint, { recursive: true });
  await model.save(checkpoint);
  model.dispose();
  console.error(`[bench] wrote a gpt-10m checkpoint (tokenizer ${tokenizer.vocabSize} tokens) to ${path.relative(root, checkpoint)}`);
}

const work = mkdtempSync(path.join(os.tmpdir(), 'bench-cli-'));
const hook = path.join(work, 'max-rss.mjs');
writeFileSync(hook, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(path.join(work, 'max-rss'))}, String(process.resourceUsage().maxRSS)));\n`);
const shell = (cmd, a) => { try { return execFileSync(cmd, a, { encoding: 'utf8' }).trim(); } catch { return undefined; } };
const results = {};
for (const backend of backends) {
  const out = path.join(work, `out-${backend}`);
  const loadBefore = os.loadavg().map((v) => +v.toFixed(2));
  const { backend: engine, env: switches } = engineVariant(backend);
  const t0 = performance.now();
  try {
    execFileSync(process.execPath, ['--import', hook, path.join(root, 'packages/cli/bin/class-it.js'), 'eval', '--model', checkpoint, '--task', 'blimp',
      '--data', blimpFast, '--fast', '--out', out, '--backend', engine, '--set', `batchSize=${batch}`], {
      cwd: root, env: { ...process.env, ...switches, TF_CPP_MIN_LOG_LEVEL: '2' }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 24,
    });
    const record = JSON.parse(readFileSync(path.join(out, 'blimp', 'results.json'), 'utf8'));
    results[backend] = {
      seconds: +((performance.now() - t0) / 1000).toFixed(1),
      peakRssMb: +(Number(readFileSync(path.join(work, 'max-rss'), 'utf8')) / 1024).toFixed(1),
      accuracy: record.score,
      items: record.itemCount,
      loadBefore, loadAfter: os.loadavg().map((v) => +v.toFixed(2)),
    };
  } catch (err) {
    results[backend] = { error: String(err.stderr || err.message).trim().split('\n').slice(-3).join(' | '), loadBefore };
  }
  console.error(`[bench] class-it eval blimp on ${backend}: ${JSON.stringify(results[backend])}`);
}

// The reference pipeline's way, in PyTorch, on the same checkpoint and data (its process's wall time and peak RSS).
const python = path.join(root, '.venv/bin/python');
let pytorchReference;
if (torchThreads > 0 && existsSync(python)) {
  const script = path.join(root, 'packages/eval-zeroshot/shared/test/py/babylm_reference.py');
  const files = readdirSync(blimpFast).filter((f) => f.endsWith('.jsonl')).sort().map((f) => path.join(blimpFast, f));
  const refOut = path.join(work, 'reference.json');
  const argv = [script, checkpoint, refOut, '--threads', String(torchThreads), '--blimp', ...files];
  const wrapper = 'import resource, runpy, sys\nsys.argv = sys.argv[1:]\nrunpy.run_path(sys.argv[0], run_name="__main__")\n' +
    'sys.stderr.write("maxrss %d\\n" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n';
  const loadBefore = os.loadavg().map((v) => +v.toFixed(2));
  const t0 = performance.now();
  try {
    const run = spawnSync(python, ['-c', wrapper, ...argv], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (run.status !== 0) throw new Error(run.stderr || `exit ${run.status}`);
    const seconds = +((performance.now() - t0) / 1000).toFixed(1);
    const ref = JSON.parse(readFileSync(refOut, 'utf8')).blimp;
    const ours = results[backends[0]];
    pytorchReference = {
      threads: torchThreads,
      seconds,
      peakRssMb: +(Number(/maxrss (\d+)/.exec(run.stderr)[1]) / 1024).toFixed(1),
      accuracy: ref.average,
      loadBefore, loadAfter: os.loadavg().map((v) => +v.toFixed(2)),
      ...(ours?.seconds ? { speedupOf: { backend: backends[0], times: +(seconds / ours.seconds).toFixed(2) } } : {}),
    };
  } catch (err) {
    pytorchReference = { error: String(err.message).trim().split('\n').slice(-3).join(' | '), loadBefore };
  }
  console.error(`[bench] the reference pipeline in PyTorch: ${JSON.stringify(pytorchReference)}`);
}
rmSync(work, { recursive: true, force: true });

const report = {
  date: new Date().toISOString(),
  command: `node bench/zeroshot/cli-memory.mjs ${args.join(' ')}`.trim(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGb: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version },
  uptime: shell('uptime', []),
  workload: { command: 'class-it eval --task blimp --fast (all 67 BLiMP-fast files, 13,400 pairs)', checkpoint: path.relative(root, checkpoint), batchSize: Number(batch) },
  results,
  pytorchReference,
};
const outDir = path.join(root, 'bench/out');
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, `zeroshot-cli-${report.date.replace(/[:.]/g, '-')}.json`), JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(report, null, 2));
