// The benchmark workload, shared by the tfjs worker and (as JSON) the PyTorch reference: deterministic token
// ids, so every engine trains on and scores exactly the same numbers.
export function workload(options = {}) {
  const preset = options.preset ?? 'gpt-10m';
  const batch = options.batch ?? 8;
  const seqLen = options.seqLen ?? 128;
  const sentences = options.sentences ?? 64;
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const vocab = 16384; // gpt-10m's vocabulary
  const trainIds = Array.from({ length: batch }, () => Array.from({ length: seqLen + 1 }, () => Math.floor(rand() * vocab)));
  // Scoring: sentences of 12-20 tokens (BLiMP-like), scored in one batch of 64, padded to the longest.
  const scoreIds = Array.from({ length: sentences }, () => Array.from({ length: 12 + Math.floor(rand() * 9) }, () => Math.floor(rand() * vocab)));
  return { preset, batch, seqLen, trainIds, scoreIds };
}
