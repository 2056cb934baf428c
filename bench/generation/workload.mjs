// The generation benchmark's workload, shared by the tfjs worker and (as JSON) the PyTorch reference: the same
// prompt token ids for every engine (16 tokens each, 8 prompts), greedy decoding of exactly `newTokens` tokens.
export function workload(options = {}) {
  const vocab = options.vocab ?? 16384; // gpt-10m's and gpt2-100m's vocabulary
  const promptLength = options.promptLength ?? 16;
  let s = 4242;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const prompts = Array.from({ length: 8 }, () => Array.from({ length: promptLength }, () => 1 + Math.floor(rand() * (vocab - 1))));
  return { prompts, newTokens: options.newTokens ?? 128, batches: [1, 8] };
}
