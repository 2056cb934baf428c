/**
 * The BabyLM causal scoring rule (babylm-eval-spec §2.2), the ONE place it lives:
 *   t = tok(s) with special tokens, s = context + continuation
 *   k = len(s) - len(c) + a_0                 (a_0: start offset of the first token)
 *   token j is scored iff j >= 1 and its end offset b_j > k
 * Special tokens added by the post-processor carry offsets (0, 0), so they are never scored; the first token
 * is never scored (it has no left context). Lengths are in UTF-16 code units, as the tokenizer's offsets.
 */
import type { Tokenizer } from '@class-it/core';

export interface ScoredSequence {
  /** Token ids of the whole sequence, special tokens included. */
  ids: number[];
  /** Indices j (>= 1) of the tokens whose log-probability is summed. */
  scoredPositions: number[];
}

export function causalScoredSequence(tokenizer: Tokenizer, context: string, continuation: string): ScoredSequence {
  const text = context + continuation;
  const encoding = tokenizer.encode(text, { addSpecialTokens: true });
  if (encoding.ids.length === 0) {
    throw new Error(`the tokenizer produced no tokens for ${JSON.stringify(text.slice(0, 60))}`);
  }
  const firstStart = encoding.offsets[0][0];
  const k = text.length - continuation.length + firstStart;
  const scoredPositions: number[] = [];
  for (let j = 1; j < encoding.ids.length; j++) {
    if (encoding.offsets[j][1] > k) scoredPositions.push(j);
  }
  return { ids: encoding.ids, scoredPositions };
}
