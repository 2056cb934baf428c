import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/index.js';
import { causalScoredSequence, scoreLogLikelihood, scoreNextToken, float32Sum } from '../src/scoring/index.js';
import { WordTokenizer, ToyCausalLM } from './toy-model.js';

describe('BabyLM causal rule (spec 2.2)', () => {
  const tok = new WordTokenizer(false);
  const tokBos = new WordTokenizer(true);

  it('scores tokens ending after the continuation start, never the first token', () => {
    // "The cat sat": The(0,3) " cat"(3,7) " sat"(7,11); k = 11 - 4 = 7
    expect(causalScoredSequence(tok, 'The cat', ' sat').scoredPositions).toEqual([2]);
    // full-sentence scoring (BLiMP): everything but the first token
    expect(causalScoredSequence(tok, '', 'The cat sat').scoredPositions).toEqual([1, 2]);
    // a token straddling the boundary is scored (only its end offset matters)
    expect(causalScoredSequence(tok, 'The cat s', 'at').scoredPositions).toEqual([2]);
    // empty continuation scores nothing
    expect(causalScoredSequence(tok, 'The cat', '').scoredPositions).toEqual([]);
  });

  it('with a BOS the first real token is scored and BOS (0,0) never is', () => {
    const seq = causalScoredSequence(tokBos, '', 'The cat sat');
    expect(seq.ids[0]).toBe(0);
    expect(seq.scoredPositions).toEqual([1, 2, 3]);
    expect(causalScoredSequence(tokBos, 'The cat', ' sat').scoredPositions).toEqual([3]);
  });
});

describe('batched scoring', () => {
  let model: ToyCausalLM;
  const tok = new WordTokenizer(true);
  const requests = [
    { context: '', continuation: 'the dog barks' },
    { context: 'a b c d e', continuation: ' f g' },
    { context: 'hello', continuation: ' world' },
    { context: 'one two three four five six', continuation: ' seven eight' },
    { context: '', continuation: 'x' },
    { context: 'short', continuation: '' },
    { context: 'The cat', continuation: ' sat on the mat' },
  ];

  beforeAll(async () => {
    await initEngine('wasm');
    model = new ToyCausalLM(12, 3);
  });
  afterAll(() => model.dispose());

  it('matches a direct per-sentence computation of the rule', () => {
    const results = scoreLogLikelihood(model, tok, requests, { batchSize: 4 });
    requests.forEach((r, i) => {
      const seq = causalScoredSequence(tok, r.context, r.continuation);
      const rows = model.logSoftmaxRows(seq.ids.slice(0, -1).length ? seq.ids.slice(0, -1) : [0]);
      const want = seq.scoredPositions.map((j) => rows[j - 1][seq.ids[j]]);
      expect(results[i].tokenLogprobs.length).toBe(want.length);
      results[i].tokenLogprobs.forEach((v, n) => expect(v).toBeCloseTo(want[n], 5));
      expect(results[i].logprob).toBe(float32Sum(results[i].tokenLogprobs));
      expect(results[i].tokens).toEqual(seq.scoredPositions.map((j) => tok.idToToken(seq.ids[j])));
    });
    expect(results[5].logprob).toBe(0);
    expect(results[4].tokens.length).toBe(1);
  });

  it('does not depend on batch size, order or padding', () => {
    const reference = scoreLogLikelihood(model, tok, requests, { batchSize: 1 }).map((r) => r.logprob);
    for (const batchSize of [2, 3, 64]) {
      const got = scoreLogLikelihood(model, tok, requests, { batchSize }).map((r) => r.logprob);
      got.forEach((v, i) => expect(Math.abs(v - reference[i])).toBeLessThan(1e-5));
    }
    const reversed = scoreLogLikelihood(model, tok, [...requests].reverse(), { batchSize: 3 }).map((r) => r.logprob).reverse();
    reversed.forEach((v, i) => expect(Math.abs(v - reference[i])).toBeLessThan(1e-5));
  });

  it('temperature divides the logits', () => {
    const r = [{ context: 'hello', continuation: ' world' }];
    const seq = causalScoredSequence(tok, 'hello', ' world');
    const logits = tf.tidy(() => model.forward(tf.tensor2d([seq.ids.slice(0, -1)], undefined, 'int32'), { training: false }).logits.arraySync()[0]);
    const row = logits[1].map((v) => v / 2);
    const max = Math.max(...row);
    const want = row[seq.ids[2]] - max - Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    expect(scoreLogLikelihood(model, tok, r, { temperature: 2 })[0].logprob).toBeCloseTo(want, 4);
  });

  it('reports progress and rejects sequences longer than the window unless truncating left', () => {
    const calls: number[] = [];
    scoreLogLikelihood(model, tok, requests, { batchSize: 3, onProgress: (done) => calls.push(done) });
    expect(calls[calls.length - 1]).toBe(6); // the empty continuation needs no forward pass
    const long = { context: 'a b c d e f g h i j k l m n', continuation: ' o' };
    expect(() => scoreLogLikelihood(model, tok, [long])).toThrow(/exceed the model's context window of 12/);
    const truncated = scoreLogLikelihood(model, tok, [long], { overflow: 'truncate-left' })[0];
    expect(truncated.tokens.length).toBe(1);
    expect(Number.isFinite(truncated.logprob)).toBe(true);
    const hugeContinuation = { context: '', continuation: 'a b c d e f g h i j k l m n' };
    expect(() => scoreLogLikelihood(model, tok, [hugeContinuation], { overflow: 'truncate-left' })).toThrow(/continuation alone is longer/);
  });

  it('a non-finite log-probability is an error naming the request that reads it', () => {
    const broken = new ToyCausalLM(12, 3);
    const emb = broken.variables.get('emb')!;
    // the embedding of " w7" is NaN: every position at or after it has NaN logits
    const id = tok.encode(' w7', { addSpecialTokens: false }).ids[0]!;
    emb.assign(tf.tidy(() => tf.concat([tf.slice(emb, [0, 0], [id, 8]), tf.fill([1, 8], NaN), tf.slice(emb, [id + 1, 0], [49 - id, 8])])));
    const ok = { context: 'w3 w2', continuation: ' w1' };
    const bad = { context: 'w1 w2 w7', continuation: ' w4 w5' };
    expect(tok.encode('w3 w2 w1').ids).not.toContain(id);
    expect(() => scoreLogLikelihood(broken, tok, [ok, ok, bad])).toThrow(/^logLikelihood request 2 \("w1 w2 w7 w4 w5"\): the log-probability of scored token 1 is NaN/);
    broken.dispose();
  });

  it('nextTokenLogprobs reads the last position of tokenize(context)', () => {
    const ids = tok.encode('the dog').ids;
    const rows = model.logSoftmaxRows(ids);
    const target = tok.encode(' barks', { addSpecialTokens: false }).ids[0];
    const [got, other] = scoreNextToken(model, tok, [{ context: 'the dog', tokenId: target }, { context: 'x', tokenId: 5 }], { batchSize: 2 });
    expect(got).toBeCloseTo(rows[ids.length - 1][target], 5);
    expect(other).toBeCloseTo(model.logSoftmaxRows(tok.encode('x').ids)[1][5], 5);
    // equals logLikelihood of the same single token when the tokenisation agrees
    const ll = scoreLogLikelihood(model, tok, [{ context: 'the dog', continuation: ' barks' }])[0];
    expect(ll.tokenLogprobs[0]).toBeCloseTo(got, 5);
    expect(() => scoreNextToken(model, tok, [{ context: 'x', tokenId: 50 }])).toThrow(/outside the vocabulary/);
    expect(() => scoreNextToken(model, new WordTokenizer(false), [{ context: '', tokenId: 1 }])).toThrow(/has no tokens/);
  });
});
