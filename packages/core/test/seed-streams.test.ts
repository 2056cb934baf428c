import { describe, expect, it } from 'vitest';
import { Random, splitmix32 } from '../src/util/random.js';
import { deriveIndexedSeed, randomAtState, unsplitmix32 } from '../src/util/seed-streams.js';

// Values recorded from the tfjs runtime's own `deriveSeed(base, stream)` and `seededPermutation(n, seed)` before
// they were replaced by these functions: GPT initialisation, dropout masks and the fine-tuning shuffle depend on
// them, so they must never change.
describe('deriveIndexedSeed', () => {
  it('gives the numbers the runtime has always used', () => {
    const pairs: Array<[number, number]> = [[0, 0], [1337, 0], [1337, 1], [42, 7001], [-5, 3], [4294967295, 1_000_003], [2 ** 31, 15]];
    expect(pairs.map(([s, i]) => deriveIndexedSeed(s, i))).toEqual([0, 3280740218, 800415234, 1146975480, 4267849204, 1149403206, 2000386762]);
  });

  it('returns unsigned 32-bit integers and separates neighbouring indices', () => {
    const seeds = Array.from({ length: 1000 }, (_, i) => deriveIndexedSeed(7, i));
    expect(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 32)).toBe(true);
    expect(new Set(seeds).size).toBe(1000);
    expect(deriveIndexedSeed(7, 1)).not.toBe(deriveIndexedSeed(8, 1));
  });
});

describe('randomAtState', () => {
  it('undoes the seed mix of Random: splitmix32(unsplitmix32(y)) = y', () => {
    for (const y of [0, 1, 5, 0x9e3779b9, 0x7fffffff, 0x80000000, 0xffffffff, 123456789]) {
      expect(splitmix32(unsplitmix32(y))).toBe(y);
    }
    for (let x = 0; x < 5000; x++) expect(unsplitmix32(splitmix32(x * 858_993))).toBe((x * 858_993) >>> 0);
  });

  it('shuffles as the fine-tuning permutation always did (mulberry32 from the state)', () => {
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    expect(randomAtState(5).shuffle(range(10))).toEqual([5, 3, 7, 8, 2, 0, 4, 1, 9, 6]);
    expect(randomAtState(deriveIndexedSeed(1337, 3)).shuffle(range(12))).toEqual([3, 5, 9, 11, 2, 4, 7, 1, 6, 0, 10, 8]);
  });

  it('is the stream of new Random(seed) once the seed mix is accounted for', () => {
    const a = new Random(42);
    const b = randomAtState(splitmix32(42));
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(Array.from({ length: 5 }, () => a.next()));
    expect(() => randomAtState(Number.NaN)).toThrow(/finite/);
  });
});
