/**
 * Ranking items: K candidate (sentence, completion) pairs of which candidate 0 is correct (spec §2.1). Only
 * the completion's tokens are scored; the model implements the causal rule (spec §2.2) behind
 * `LanguageModel.logLikelihood`, so an item maps to requests with
 * `context = sentence.slice(0, sentence.length - completion.length)` and `continuation = completion`.
 */
import type { LanguageModel, LogLikelihoodRequest } from '@class-it/core';

export interface RankingItem {
  /** The group the item is tallied under (paradigm, domain, `regular_3_ops`, task name). */
  uid: string;
  /** Full candidate sentences s_i. */
  sentences: string[];
  /** Completions c_i (each a suffix of s_i); the prediction written to predictions.json is `completions[pred]`. */
  completions: string[];
  /** All tally keys in the reference's order (e.g. field, UID, linguistics_term), UID included. */
  metadata: Array<[string, string]>;
}

/** The (context, continuation) request of candidate `i`. Throws if the completion is not a suffix. */
export function candidateRequest(sentence: string, completion: string): LogLikelihoodRequest {
  if (!sentence.endsWith(completion)) {
    throw new Error(`completion ${JSON.stringify(completion)} is not a suffix of ${JSON.stringify(sentence)}`);
  }
  return { context: sentence.slice(0, sentence.length - completion.length), continuation: completion };
}

export interface ScoreOptions {
  batchSize?: number;
  temperature?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Score every candidate of every item in one `logLikelihood` call (the runtime buckets by length). */
export async function scoreRankingItems(model: LanguageModel, items: RankingItem[], options: ScoreOptions = {}): Promise<number[][]> {
  const requests: LogLikelihoodRequest[] = [];
  for (const item of items) {
    item.sentences.forEach((s, i) => requests.push(candidateRequest(s, item.completions[i]!)));
  }
  const results = await model.logLikelihood(requests, {
    batchSize: options.batchSize,
    temperature: options.temperature,
    onProgress: options.onProgress,
  });
  if (results.length !== requests.length) {
    throw new Error(`model returned ${results.length} scores for ${requests.length} requests`);
  }
  const scores: number[][] = [];
  let k = 0;
  for (const item of items) {
    scores.push(item.sentences.map(() => results[k++]!.logprob));
  }
  return scores;
}

/** Index of the largest score; exact ties go to the FIRST index, i.e. the correct candidate (torch.max). */
export function argmaxFirst(scores: number[]): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) {
    if (scores[i]! > scores[best]!) best = i;
  }
  return best;
}

/** torch.softmax over float32 scores: exp(x - max) / sum, every step rounded to float32. */
export function softmaxFloat32(scores: number[]): number[] {
  const f = Math.fround;
  const max = Math.max(...scores.map(f));
  const exps = scores.map((s) => f(Math.exp(f(f(s) - max))));
  let sum = 0;
  for (const e of exps) sum = f(sum + e);
  return exps.map((e) => f(e / sum));
}
