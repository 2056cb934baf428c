// One tfjs backend, in its own process: BLiMP-fast wall time and pairs/s of a fresh gpt-10m model through the
// real BLiMP evaluator (data reading, scoring via LanguageModel.logLikelihood, tallying, output files).
// Usage: node bench/zeroshot/worker.mjs <backend> <paradigms|all> <batchSize>   (prints one JSON line)
import { mkdtempSync, readdirSync, rmSync, symlinkSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, trainByteLevelBpe } from '@class-it/runtime-tfjs';
import { GptArchitecture } from '@class-it/model-gpt';
import { BlimpEvaluator } from '@class-it/eval-blimp';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const [backendArg = 'wasm', paradigmsArg = 'all', batchArg = '64'] = process.argv.slice(2);
const blimpFast = path.resolve(root, '../shared/eval-data/blimp/blimp_fast');

const engine = await initEngine(backendArg);
const files = readdirSync(blimpFast).filter((f) => f.endsWith('.jsonl')).sort();
const chosen = paradigmsArg === 'all' ? files : files.slice(0, Number(paradigmsArg));
const work = mkdtempSync(path.join(os.tmpdir(), 'bench-zeroshot-'));
const dataDir = path.join(work, 'blimp_fast');
mkdirSync(dataDir);
for (const f of chosen) symlinkSync(path.join(blimpFast, f), path.join(dataDir, f));

// A byte-level BPE trained on the benchmark's own sentences gives realistic token counts; the embedding keeps
// the preset's 16,384 rows so the compute is the gpt-10m preset's.
const texts = chosen.flatMap((f) => readFileSync(path.join(blimpFast, f), 'utf8').trim().split('\n').flatMap((l) => {
  const o = JSON.parse(l);
  return [o.sentence_good, o.sentence_bad];
}));
const tokenizer = trainByteLevelBpe(texts, { vocabSize: 4096, specialTokens: { eos: '<|endoftext|>' } });
const tokens = texts.reduce((n, t) => n + tokenizer.encode(t).ids.length, 0);
const model = await new GptArchitecture().create({ preset: 'gpt-10m', tokenizer, seed: 1, overrides: { vocab_size: 16384 } });

// Memory: the peak RSS of the whole process (the kernel's high-water mark, model and data included), the RSS
// sampled after every scoring batch, and tfjs's own tensor bytes (what is alive between batches).
const mb = (bytes) => +(bytes / 2 ** 20).toFixed(1);
const rssSamples = [];
let maxTensorBytes = 0;
const onProgress = (done) => {
  maxTensorBytes = Math.max(maxTensorBytes, tf.memory().numBytes);
  if (rssSamples.length === 0 || done - rssSamples[rssSamples.length - 1][0] >= 2000) rssSamples.push([done, mb(process.memoryUsage().rss)]);
};
const rssBeforeMb = mb(process.memoryUsage().rss);
const t0 = performance.now();
const { result } = await new BlimpEvaluator().evaluate({
  task: 'blimp', model, dataDir, outDir: path.join(work, 'out'), fast: true, settings: { batchSize: Number(batchArg) }, log: () => {}, onProgress,
});
const seconds = (performance.now() - t0) / 1000;
rmSync(work, { recursive: true, force: true });
console.log(JSON.stringify({
  engine: `tfjs-${engine}`,
  backend: model.info.backend,
  parameterCount: model.info.parameterCount,
  paradigms: chosen.length,
  pairs: result.itemCount,
  sentences: texts.length,
  tokens,
  batchSize: Number(batchArg),
  seconds: +seconds.toFixed(2),
  pairsPerSec: +(result.itemCount / seconds).toFixed(1),
  tokensPerSec: +(tokens / seconds).toFixed(0),
  accuracy: +result.score.toFixed(2),
  memory: {
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    rssBeforeScoringMb: rssBeforeMb,
    rssAfterScoringMb: mb(process.memoryUsage().rss),
    rssDuringScoringMb: rssSamples,
    maxTfjsTensorMbBetweenBatches: mb(maxTensorBytes),
    tfjsTensorsAfter: tf.memory().numTensors,
  },
}));
model.dispose();
