/**
 * The scorer's row plan (no tensors): repeated and contained sequences run once, siblings share their prefix in one
 * row only when the module supports it and the cost model says it pays, and every read maps to the row position
 * that computes it.
 */
import { describe, expect, it } from 'vitest';
import { planScoringRows, rowCost, type ScoringPlan } from '../src/scoring/shared-prefix.js';

type Query = { inputs: number[]; reads: Array<[number, number]> };

/** Every position read, as the causal rule reads a full sentence: position p predicts token p + 1. */
function sentence(ids: number[]): Query {
  return { inputs: ids.slice(0, -1), reads: ids.slice(1).map((v, p) => [p, v] as [number, number]) };
}

const options = { sharePrefixes: true, maxRowTokens: 64, hiddenSize: 16 };

/** What each query's reads resolve to: [row id at the read's position, its row position id, the token]. */
function resolved(plan: ScoringPlan): Array<Array<[number, number, number]>> {
  return plan.answers.map(({ row, reads }) => reads.map((k) => {
    const [at, token] = plan.rows[row]!.reads[k]!;
    return [plan.rows[row]!.ids[at]!, plan.rows[row]!.positions[at]!, token];
  }));
}

/** The same for each query run alone: input id and position id at each read. */
function alone(queries: Query[]): Array<Array<[number, number, number]>> {
  return queries.map((q) => q.reads.map(([p, v]) => [q.inputs[p]!, p, v]));
}

describe('planScoringRows', () => {
  it('runs a BLiMP-like pair as one row: the shared prefix once, then each branch with continued positions', () => {
    const good = sentence([1, 5, 6, 7, 8, 9, 2]);
    const bad = sentence([1, 5, 6, 7, 3, 9, 2]);
    const plan = planScoringRows([good, bad], options);
    expect(plan.rows).toHaveLength(1);
    const [row] = plan.rows;
    // inputs [1 5 6 7 8 9] and [1 5 6 7 3 9]: prefix [1 5 6 7], branches [3 9] (sorted first) and [8 9]
    expect(row!.ids).toEqual([1, 5, 6, 7, 3, 9, 8, 9]);
    expect(row!.positions).toEqual([0, 1, 2, 3, 4, 5, 4, 5]);
    expect(row!.segments).toEqual([0, 0, 0, 0, 1, 1, 2, 2]);
    expect(row!.shared).toBe(true);
    expect(row!.queries).toBe(2);
    // the reads inside the prefix that both take (positions 0-2 predict 5, 6, 7) are computed once
    expect(row!.reads).toHaveLength(3 + 3 + 3);
    expect(resolved(plan)).toEqual(alone([good, bad]));
  });

  it('runs a repeated sequence once and reads a contained one from its extension', () => {
    const long = sentence([1, 4, 5, 6, 7]);
    const queries: Query[] = [
      { inputs: [1, 4], reads: [[1, 5]] }, // a context of the reading-time chain rule ...
      { inputs: [1, 4, 5], reads: [[2, 6]] }, // ... and the next one
      long,
      long,
      { inputs: [1, 4, 5], reads: [[2, 9]] }, // same inputs, another token
    ];
    const plan = planScoringRows(queries, { ...options, sharePrefixes: false });
    expect(plan.rows).toHaveLength(1);
    expect(plan.rows[0]!.ids).toEqual([1, 4, 5, 6]);
    expect(plan.rows[0]!.shared).toBe(false);
    expect(plan.rows[0]!.reads).toEqual([[0, 4], [1, 5], [2, 6], [2, 9], [3, 7]]); // each distinct read once
    expect(plan.rows[0]!.queries).toBe(5);
    expect(resolved(plan)).toEqual(alone(queries));
  });

  it('shares only when the module supports it, and only where the cost model says it pays', () => {
    const pair = [sentence([1, 5, 6, 7, 8, 9, 10, 11, 2]), sentence([1, 5, 6, 7, 8, 9, 10, 12, 2])];
    expect(planScoringRows(pair, { ...options, sharePrefixes: false }).rows).toHaveLength(2);
    // sharing only the first token (a BOS) of two 12-token sentences saves one token and doubles attention's rows
    const bosOnly = [sentence([1, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 2]), sentence([1, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 2])];
    expect(rowCost(23, 16)).toBeGreaterThan(2 * rowCost(12, 16));
    expect(planScoringRows(bosOnly, options).rows).toHaveLength(2);
    // a long shared context with five short options (entity tracking) is one row
    const context = Array.from({ length: 30 }, (_, i) => 100 + i);
    const choices = [1, 2, 3, 4, 5].map((k) => ({ inputs: [...context, 200 + k], reads: [[30, 300 + k]] as Array<[number, number]> }));
    const plan = planScoringRows(choices, options);
    expect(plan.rows).toHaveLength(1);
    expect(plan.rows[0]!.ids).toHaveLength(30 + 5);
    expect(resolved(plan)).toEqual(alone(choices));
  });

  it('keeps rows within maxRowTokens', () => {
    const context = Array.from({ length: 30 }, (_, i) => 100 + i);
    const choices = [1, 2, 3, 4, 5].map((k) => ({ inputs: [...context, 200 + k, 201 + k], reads: [[31, 300 + k]] as Array<[number, number]> }));
    const plan = planScoringRows(choices, { ...options, maxRowTokens: 35 });
    expect(plan.rows.map((r) => r.ids.length)).toEqual([34, 34, 32]);
    expect(resolved(plan)).toEqual(alone(choices));
  });

  it('does not depend on the order of the queries', () => {
    let s = 7;
    const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
    const queries = Array.from({ length: 60 }, () => sentence([1, 3 + (next() % 3), 3 + (next() % 3), ...Array.from({ length: 2 + (next() % 8) }, () => next() % 20)]));
    const plan = planScoringRows(queries, options);
    expect(plan.rows.some((r) => r.shared)).toBe(true);
    expect(resolved(plan)).toEqual(alone(queries));
    const reversed = planScoringRows([...queries].reverse(), options);
    expect(reversed.rows).toEqual(plan.rows);
    expect(resolved(reversed).reverse()).toEqual(resolved(plan));
    expect(plan.rows.reduce((n, r) => n + r.queries, 0)).toBe(60);
  });

  it('gives a query without reads no row unless its sequence runs anyway', () => {
    const plan = planScoringRows([{ inputs: [1, 2], reads: [] }, sentence([3, 4, 5]), { inputs: [3, 4], reads: [] }], options);
    expect(plan.rows).toHaveLength(1);
    expect(plan.answers.map((a) => a.row)).toEqual([-1, 0, 0]);
  });
});
