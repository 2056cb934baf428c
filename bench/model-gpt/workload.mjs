// The benchmark workload, shared by the tfjs worker and (as JSON) the PyTorch reference: the model presets and
// deterministic token ids, so every engine trains on and scores exactly the same numbers.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveGptConfig, gptParameterCount, GptModule } from '@class-it/model-gpt';
import { presetConfig, llamaParameterCount, LlamaModule } from '@class-it/model-llama';

/** The paper's sizes: name -> architecture and its preset (`--preset`). */
export const BENCH_PRESETS = {
  'gpt-10m': { architecture: 'gpt2', preset: 'gpt-10m' },
  'gpt2-100m': { architecture: 'gpt2', preset: 'gpt2-100m' },
  'llama-140m': { architecture: 'llama', preset: 'llama-140m' },
};

/** The HF config of a bench preset (GPT2Config / LlamaConfig field names) and its parameter count. */
export function benchModel(name) {
  const entry = BENCH_PRESETS[name];
  if (!entry) throw new Error(`unknown bench preset '${name}'; expected one of ${Object.keys(BENCH_PRESETS).join(', ')}`);
  const config = entry.architecture === 'gpt2' ? resolveGptConfig(entry.preset) : presetConfig(entry.preset);
  const parameters = entry.architecture === 'gpt2' ? gptParameterCount(config) : llamaParameterCount(config);
  const create = (seed) => (entry.architecture === 'gpt2' ? GptModule.create(config, seed) : LlamaModule.initialize(config, seed));
  return { ...entry, name, config, parameters, vocab: config.vocab_size, create };
}

/** The scoring sets (`--score-set`): what the `sentences` scored sentences are. */
export const SCORE_SETS = {
  random: 'sentences of 12-20 random ids (no two share a prefix)',
  'blimp-pairs': 'BLiMP-fast minimal pairs, one pair from each of 32 paradigms spread over the 67, a word-level id per ' +
    'distinct word or punctuation mark and a BOS: the prefix sharing of real BLiMP pairs',
};

/** Training: `batch` rows of `seqLen` + 1 ids; scoring: `sentences` sentences from `scoreSet` (SCORE_SETS). */
export function workload(vocab, options = {}) {
  const batch = options.batch ?? 8;
  const seqLen = options.seqLen ?? 128;
  const sentences = options.sentences ?? 64;
  const scoreSet = options.scoreSet ?? 'random';
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const trainIds = Array.from({ length: batch }, () => Array.from({ length: seqLen + 1 }, () => Math.floor(rand() * vocab)));
  const randomIds = Array.from({ length: sentences }, () => Array.from({ length: 12 + Math.floor(rand() * 9) }, () => Math.floor(rand() * vocab)));
  if (!(scoreSet in SCORE_SETS)) throw new Error(`unknown score set '${scoreSet}'; expected one of ${Object.keys(SCORE_SETS).join(', ')}`);
  const scoreIds = scoreSet === 'random' ? randomIds : blimpPairIds(vocab, sentences / 2);
  return { batch, seqLen, trainIds, scoreIds, scoreSet };
}

/** `pairs` BLiMP-fast pairs (good, bad), one from each of `pairs` paradigms spread evenly over the sorted files. */
function blimpPairIds(vocab, pairs) {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/eval-data/blimp/blimp_fast');
  if (!existsSync(dir)) throw new Error(`--score-set blimp-pairs needs the BabyLM data at ${dir}`);
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
  const ids = new Map();
  const encode = (text) => [1, ...text.match(/\w+|[^\w\s]/g).map((word) => {
    if (!ids.has(word)) ids.set(word, 3 + (ids.size % (vocab - 3)));
    return ids.get(word);
  })];
  return Array.from({ length: pairs }, (_, i) => {
    const item = JSON.parse(readFileSync(path.join(dir, files[Math.floor((i * files.length) / pairs)]), 'utf8').split('\n')[0]);
    return [encode(item.sentence_good), encode(item.sentence_bad)];
  }).flat();
}
