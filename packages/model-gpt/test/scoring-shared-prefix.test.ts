/**
 * The runtime's scorer on a real GPT: sequences that share a prefix run in one row (the prefix once), repeated and
 * contained sequences run once, and every log-probability equals the whole-sequence path's
 * (`CLASS_IT_SCORING_SHARED_PREFIXES=0`), on every engine, with fewer tokens through the model and no tensor left.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { batchedLogprobs, initEngine, type LogprobQuery } from '@class-it/runtime-tfjs';
import { GptModule, resolveGptConfig } from '../src/index.js';

/** Every position read, as the causal rule reads a full sentence. */
function sentence(ids: number[]): LogprobQuery {
  return { inputs: ids.slice(0, -1), reads: ids.slice(1).map((v, p) => [p, v] as [number, number]) };
}

function workload(): LogprobQuery[] {
  let s = 5;
  const next = (n: number) => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n;
  const words = (n: number) => Array.from({ length: n }, () => 3 + next(60));
  const queries: LogprobQuery[] = [];
  for (let i = 0; i < 12; i++) { // minimal pairs: a shared start, then different endings
    const start = [1, ...words(2 + next(6))];
    queries.push(sentence([...start, ...words(2 + next(5)), 2]), sentence([...start, ...words(2 + next(5)), 2]));
  }
  for (let i = 0; i < 3; i++) { // a long context and five options, each read at its first token
    const context = [1, ...words(40)];
    for (let k = 0; k < 5; k++) queries.push({ inputs: [...context, 3 + k], reads: [[40, 10 + k], [41, 20]] });
  }
  const text = [1, ...words(20)]; // the reading-time chain: each context extends the last
  for (let n = 2; n <= text.length; n += 3) queries.push({ inputs: text.slice(0, n), reads: [[n - 1, 7]] });
  for (let i = 0; i < 6; i++) queries.push(sentence([1, ...words(3 + next(12))])); // unrelated sentences
  queries.push(queries[0]!); // a repeat
  return queries;
}

/** Scores with sharing on or off, and the tokens (padding included) the model was given. */
function score(module: GptModule, queries: LogprobQuery[], share: boolean, batchSize: number): { values: Float32Array[]; tokens: number } {
  process.env.CLASS_IT_SCORING_SHARED_PREFIXES = share ? '1' : '0';
  let tokens = 0;
  const forward = module.forward.bind(module);
  module.forward = (ids, options) => {
    tokens += ids.size;
    return forward(ids, options);
  };
  try {
    return { values: batchedLogprobs(module, queries, { batchSize, temperature: 1, padId: 0 }), tokens };
  } finally {
    module.forward = forward;
  }
}

afterEach(() => {
  delete process.env.CLASS_IT_SCORING_SHARED_PREFIXES;
});

describe('scoring with shared prefixes on a GPT', () => {
  for (const engine of ['cpu', 'wasm', 'tensorflow'] as const) {
    it(`${engine}: equals the whole-sequence path, runs fewer tokens, leaves no tensor`, async (ctx) => {
      try {
        await initEngine(engine);
      } catch (err) {
        console.warn(`SKIPPED: shared-prefix scoring on ${engine}: ${String(err).split('\n')[0]}`);
        ctx.skip();
      }
      const module = GptModule.create(resolveGptConfig(undefined, { n_layer: 2, n_embd: 32, n_head: 4, n_positions: 64, vocab_size: 80, initializer_range: 0.2 }), 7);
      const queries = workload();
      const whole = score(module, queries, false, 8);
      const before = tf.memory().numTensors;
      const shared = score(module, queries, true, 8);
      expect(tf.memory().numTensors).toBe(before);
      expect(shared.tokens).toBeLessThan(0.75 * whole.tokens);
      let worst = 0;
      shared.values.forEach((v, q) => v.forEach((x, r) => (worst = Math.max(worst, Math.abs(x - whole.values[q]![r]!)))));
      expect(worst).toBeLessThan(2e-5);
      // the plan does not depend on the batch size or the order of the queries
      const rebatched = score(module, queries, true, 3).values;
      const reversed = score(module, [...queries].reverse(), true, 8).values.reverse();
      for (const other of [rebatched, reversed]) {
        other.forEach((v, q) => v.forEach((x, r) => expect(Math.abs(x - shared.values[q]![r]!)).toBeLessThan(2e-5)));
      }
      expect(shared.values[queries.length - 1]).toEqual(shared.values[0]);
      module.dispose();
    });
  }

  it('a bad CLASS_IT_SCORING_SHARED_PREFIXES is a one-line error', async () => {
    await initEngine('cpu');
    const module = GptModule.create(resolveGptConfig(undefined, { n_layer: 1, n_embd: 8, n_head: 2, n_positions: 8, vocab_size: 10 }), 1);
    process.env.CLASS_IT_SCORING_SHARED_PREFIXES = 'yes';
    expect(() => batchedLogprobs(module, [sentence([1, 2, 3])], { batchSize: 4, temperature: 1, padId: 0 }))
      .toThrow(/^CLASS_IT_SCORING_SHARED_PREFIXES must be 0 or 1, got "yes"$/);
    module.dispose();
  });
});
