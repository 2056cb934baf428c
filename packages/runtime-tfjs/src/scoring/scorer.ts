/**
 * LanguageModel scoring on a tfjs causal module: `logLikelihood` (BabyLM causal rule, spec §2.2) and
 * `nextTokenLogprobs` (reading surprisal, spec §8.2). Inputs are `t[0..n-2]` and token j is read from
 * position j-1, exactly as the reference feeds the model.
 *
 * Sequences longer than the context window: by default a clear error (the reference pipeline would fail
 * too). With `overflow: 'truncate-left'` the oldest context tokens are dropped, as lm-evaluation-harness does;
 * a request whose scored tokens would be dropped is still an error.
 */
import type { LogLikelihoodRequest, LogLikelihoodResult, ScoringOptions, Tokenizer } from '@class-it/core';
import type { CausalLMModule } from '../causal-lm.js';
import { causalScoredSequence } from './causal-rule.js';
import { batchedLogprobs, float32Sum, type LogprobQuery } from './batch-scorer.js';

export type OverflowPolicy = 'error' | 'truncate-left';

export interface TfjsScoringOptions extends ScoringOptions {
  overflow?: OverflowPolicy;
}

export const DEFAULT_SCORING_BATCH_SIZE = 32;

function padIdOf(tokenizer: Tokenizer): number {
  return tokenizer.specialId('pad') ?? tokenizer.specialId('eos') ?? 0;
}

function describe(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/** Fit `inputs` into the window; returns how many leading tokens were dropped. */
function fitWindow(inputs: number[], window: number, overflow: OverflowPolicy, what: string): number {
  if (inputs.length <= window) return 0;
  if (overflow === 'error') {
    throw new Error(`${what}: ${inputs.length} input tokens exceed the model's context window of ${window} ` +
      `(pass overflow: 'truncate-left' to drop the oldest context tokens)`);
  }
  return inputs.length - window;
}

export function scoreLogLikelihood(
  module: CausalLMModule, tokenizer: Tokenizer, requests: LogLikelihoodRequest[], options: TfjsScoringOptions = {},
): LogLikelihoodResult[] {
  const overflow = options.overflow ?? 'error';
  const sequences = requests.map((r, i) => {
    if (typeof r.context !== 'string' || typeof r.continuation !== 'string') {
      throw new Error(`logLikelihood request ${i}: context and continuation must be strings`);
    }
    return causalScoredSequence(tokenizer, r.context, r.continuation);
  });
  const queries: LogprobQuery[] = sequences.map((seq, i) => {
    const inputs = seq.ids.slice(0, -1);
    const dropped = fitWindow(inputs, module.contextLength, overflow, `logLikelihood request ${i} (${describe(requests[i].context + requests[i].continuation)})`);
    if (dropped > 0 && seq.scoredPositions.some((j) => j - 1 < dropped)) {
      throw new Error(`logLikelihood request ${i}: the continuation alone is longer than the context window (${module.contextLength} tokens)`);
    }
    return { inputs: inputs.slice(dropped), reads: seq.scoredPositions.map((j) => [j - 1 - dropped, seq.ids[j]] as [number, number]) };
  });
  const runnable = queries.map((q, i) => [q, i] as const).filter(([q]) => q.reads.length > 0);
  const values = batchedLogprobs(module, runnable.map(([q]) => q), {
    batchSize: options.batchSize ?? DEFAULT_SCORING_BATCH_SIZE,
    temperature: options.temperature ?? 1,
    padId: padIdOf(tokenizer),
    onBatch: options.onProgress ? (done) => options.onProgress!(done, runnable.length) : undefined,
    describeQuery: (n) => {
      const i = runnable[n][1];
      return `logLikelihood request ${i} (${describe(requests[i].context + requests[i].continuation)})`;
    },
  });
  const byRequest = new Map(runnable.map(([, i], n) => [i, values[n]]));
  return sequences.map((seq, i) => {
    const logprobs = byRequest.get(i) ?? new Float32Array(0);
    return {
      logprob: float32Sum(logprobs),
      tokens: seq.scoredPositions.map((j) => tokenizer.idToToken(seq.ids[j]) ?? `<id ${seq.ids[j]}>`),
      tokenLogprobs: Array.from(logprobs),
    };
  });
}

export function scoreNextToken(
  module: CausalLMModule, tokenizer: Tokenizer, requests: Array<{ context: string; tokenId: number }>, options: TfjsScoringOptions = {},
): number[] {
  const overflow = options.overflow ?? 'error';
  const queries: LogprobQuery[] = requests.map((r, i) => {
    if (!Number.isInteger(r.tokenId) || r.tokenId < 0 || r.tokenId >= module.vocabSize) {
      throw new Error(`nextTokenLogprobs request ${i}: tokenId ${r.tokenId} is outside the vocabulary (0..${module.vocabSize - 1})`);
    }
    const ids = tokenizer.encode(r.context, { addSpecialTokens: true }).ids;
    if (ids.length === 0) {
      throw new Error(`nextTokenLogprobs request ${i}: context ${describe(r.context)} has no tokens (and the tokenizer adds no BOS)`);
    }
    const dropped = fitWindow(ids, module.contextLength, overflow, `nextTokenLogprobs request ${i} (${describe(r.context)})`);
    const inputs = ids.slice(dropped);
    return { inputs, reads: [[inputs.length - 1, r.tokenId]] };
  });
  const values = batchedLogprobs(module, queries, {
    batchSize: options.batchSize ?? DEFAULT_SCORING_BATCH_SIZE,
    temperature: options.temperature ?? 1,
    padId: padIdOf(tokenizer),
    onBatch: options.onProgress ? (done) => options.onProgress!(done, queries.length) : undefined,
    describeQuery: (i) => `nextTokenLogprobs request ${i} (${describe(requests[i].context)})`,
  });
  return values.map((v) => v[0]);
}
