// The benchmark workload, shared by the tfjs worker and (as JSON) the PyTorch reference: the model presets and
// deterministic token ids, so every engine trains on and scores exactly the same numbers.
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

/** Training: `batch` rows of `seqLen` + 1 ids; scoring: `sentences` sentences of 12-20 tokens (BLiMP-like). */
export function workload(vocab, options = {}) {
  const batch = options.batch ?? 8;
  const seqLen = options.seqLen ?? 128;
  const sentences = options.sentences ?? 64;
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const trainIds = Array.from({ length: batch }, () => Array.from({ length: seqLen + 1 }, () => Math.floor(rand() * vocab)));
  const scoreIds = Array.from({ length: sentences }, () => Array.from({ length: 12 + Math.floor(rand() * 9) }, () => Math.floor(rand() * vocab)));
  return { batch, seqLen, trainIds, scoreIds };
}
