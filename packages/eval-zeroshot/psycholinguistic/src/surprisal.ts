/**
 * Word surprisal with the reference's string handling (spec §8.2, causal `get_p2`):
 *   tgt = tokenizer(word, add_special_tokens=False)      — the word WITHOUT a leading space
 *   p   = P(tgt[0] | tokenizer(item))                    — read at the last input position (specials included)
 *   ctx = item + decode(tgt[0]); for each later token t: piece = decode(t),
 *         p *= P(tokenizer(piece, no specials)[0] | tokenizer(ctx)); ctx += piece
 *   surprisal = −ln p
 * p is a float32 product, as the reference multiplies float32 softmax values. All conditional probabilities
 * are independent of each other, so every request of every word goes to the model in one batched call.
 */
import type { LanguageModel, ScoringOptions } from '@class-it/core';

export interface WordQuery {
  context: string;
  word: string;
}

/** The chain-rule requests of one word (context, token id), in order. */
export function chainRequests(model: LanguageModel, { context, word }: WordQuery): Array<{ context: string; tokenId: number }> {
  const tok = model.tokenizer;
  const target = tok.encode(word, { addSpecialTokens: false }).ids;
  if (target.length === 0) throw new Error(`the word ${JSON.stringify(word)} tokenises to nothing`);
  const requests = [{ context, tokenId: target[0]! }];
  let ctx = context + tok.decode([target[0]!]);
  for (const id of target.slice(1)) {
    const piece = tok.decode([id]);
    const pieceIds = tok.encode(piece, { addSpecialTokens: false }).ids;
    if (pieceIds.length === 0) throw new Error(`token ${id} of ${JSON.stringify(word)} decodes to ${JSON.stringify(piece)}, which tokenises to nothing`);
    requests.push({ context: ctx, tokenId: pieceIds[0]! });
    ctx += piece;
  }
  return requests;
}

/** −ln of the float32 product of the chain's probabilities. If that product underflows to 0 (where the
 *  reference would fail on log(0)), the float64 sum of log-probabilities is used instead. */
export function surprisalFromLogprobs(logprobs: number[]): number {
  let p = 1;
  for (const lp of logprobs) p = Math.fround(p * Math.fround(Math.exp(lp)));
  if (p > 0) return -Math.log(p);
  return -logprobs.reduce((a, b) => a + b, 0);
}

/** Surprisals of many (context, word) queries; identical queries are asked once. */
export async function wordSurprisals(model: LanguageModel, queries: WordQuery[], options: ScoringOptions = {}): Promise<number[]> {
  const keyOf = (q: WordQuery) => `${q.context}\u0000${q.word}`;
  const unique = new Map<string, WordQuery>();
  for (const q of queries) if (!unique.has(keyOf(q))) unique.set(keyOf(q), q);
  const chains = [...unique.values()].map((q) => chainRequests(model, q));
  const flat = chains.flat();
  const logprobs = await model.nextTokenLogprobs(flat, options);
  if (logprobs.length !== flat.length) throw new Error(`model returned ${logprobs.length} log-probs for ${flat.length} requests`);
  const byKey = new Map<string, number>();
  let k = 0;
  [...unique.keys()].forEach((key, i) => {
    const n = chains[i]!.length;
    byKey.set(key, surprisalFromLogprobs(logprobs.slice(k, k + n)));
    k += n;
  });
  return queries.map((q) => byKey.get(keyOf(q))!);
}
