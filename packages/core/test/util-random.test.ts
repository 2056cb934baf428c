import { describe, expect, it } from 'vitest';
import { Random, deriveSeed, seededShuffle } from '../src/util/random.js';

describe('seeded random', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Random(42), b = new Random(42), c = new Random(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
  it('shuffles into a permutation, roughly uniformly', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    const s = seededShuffle(items, 1, 'x');
    expect([...s].sort((p, q) => p - q)).toEqual(items);
    expect(seededShuffle(items, 1, 'x')).toEqual(s);
    expect(seededShuffle(items, 1, 'y')).not.toEqual(s);
    const firstCounts = new Array(4).fill(0);
    for (let seed = 0; seed < 4000; seed++) firstCounts[seededShuffle([0, 1, 2, 3], seed)[0]!]++;
    for (const n of firstCounts) expect(n).toBeGreaterThan(900);
    expect(deriveSeed(1, 'a')).not.toBe(deriveSeed(2, 'a'));
  });
});
