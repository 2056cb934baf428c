/**
 * Choosing the next token from one row of logits, as Hugging Face `generate` does: the repetition penalty
 * (greedy and sampling alike), then for sampling temperature, top-k and top-p (in that order, HF's warpers), a
 * softmax and one draw from the seeded stream. Plain JS on the host: one row is at most a vocabulary of floats.
 */
import type { Random } from '@class-it/core';

export interface SamplingRule {
  greedy: boolean;
  temperature: number;
  /** 0: no top-k filter. */
  topK: number;
  /** 1: no top-p filter. */
  topP: number;
  /** 1: no penalty. */
  repetitionPenalty: number;
}

/** HF RepetitionPenaltyLogitsProcessor on one row, in place: each token in `seen` once, negative logits times the
 *  penalty, positive ones divided by it. */
export function applyRepetitionPenalty(logits: Float32Array, seen: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const id of new Set(seen)) {
    const v = logits[id];
    if (v === undefined) continue;
    logits[id] = v < 0 ? v * penalty : v / penalty;
  }
}

/** Index of the largest value (the first one on ties, as torch.argmax). */
export function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** The next token of one row (`logits` may be changed in place). `seen` are the row's tokens so far. */
export function chooseToken(logits: Float32Array, seen: readonly number[], rule: SamplingRule, random: Random): number {
  applyRepetitionPenalty(logits, seen, rule.repetitionPenalty);
  if (rule.greedy) return argmax(logits);
  const candidates = topKCandidates(logits, rule.topK);
  // Descending by logit; softmax over the candidates (tokens outside top-k have probability 0, as HF's -inf).
  candidates.sort((a, b) => logits[b]! - logits[a]! || a - b);
  const max = logits[candidates[0]!]! / rule.temperature;
  const probs = candidates.map((id) => Math.exp(logits[id]! / rule.temperature - max));
  const total = probs.reduce((s, p) => s + p, 0);
  let kept = candidates.length;
  if (rule.topP < 1) {
    // HF TopPLogitsWarper drops a token when the probability mass of the tokens less likely than it, itself
    // included, is <= 1 - top_p; in descending order: keep token r while the mass before it is < top_p.
    let before = 0;
    kept = 0;
    while (kept < candidates.length && (kept === 0 || before < rule.topP)) before += probs[kept++]! / total;
  }
  let mass = 0;
  for (let i = 0; i < kept; i++) mass += probs[i]!;
  let u = random.next() * mass;
  for (let i = 0; i < kept; i++) {
    u -= probs[i]!;
    if (u < 0) return candidates[i]!;
  }
  return candidates[kept - 1]!;
}

/** Ids whose logit is at least the k-th largest (ties with it kept, as HF TopKLogitsWarper); all ids when k is 0
 *  or not smaller than the vocabulary. */
function topKCandidates(logits: Float32Array, k: number): number[] {
  const out: number[] = [];
  if (k <= 0 || k >= logits.length) {
    for (let i = 0; i < logits.length; i++) out.push(i);
    return out;
  }
  const sorted = Float32Array.from(logits).sort();
  const threshold = sorted[logits.length - k]!;
  for (let i = 0; i < logits.length; i++) if (logits[i]! >= threshold) out.push(i);
  return out;
}
