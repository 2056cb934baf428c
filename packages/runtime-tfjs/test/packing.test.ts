/**
 * The scorer's batches of lines (no tensors): every row once, lines within their width, batches within the batch
 * size and the token budget, and less padding with packing than one row to a line.
 */
import { describe, expect, it } from 'vitest';
import { packBatches, type PackedBatch, type PackOptions } from '../src/scoring/packing.js';

const base: PackOptions = { pack: true, batchSize: 64, maxTokens: 682, maxWidth: 1024, hiddenSize: 768 };

function lengthsOf(count: number, min: number, max: number, seed = 3): number[] {
  let s = seed;
  return Array.from({ length: count }, () => min + ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % (max - min + 1)));
}

/** Checks the invariants and returns the tokens given to the model (lines x width, padding included). */
function checked(lengths: number[], batches: PackedBatch[], options: PackOptions): number {
  const seen = batches.flatMap((b) => b.lines.flat()).sort((a, b) => a - b);
  expect(seen).toEqual(lengths.map((_, i) => i));
  let tokens = 0;
  for (const { width, lines } of batches) {
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(options.batchSize);
    const fills = lines.map((line) => line.reduce((n, r) => n + lengths[r]!, 0));
    expect(Math.max(...fills)).toBe(width);
    if (lines.length > 1) expect(lines.length * width).toBeLessThanOrEqual(options.maxTokens);
    if (lines.some((line) => line.length > 1)) expect(width).toBeLessThanOrEqual(options.maxWidth);
    tokens += lines.length * width;
  }
  return tokens;
}

describe('packBatches', () => {
  it('without packing: one row to a line, longest first, within the batch size and the token budget', () => {
    const lengths = lengthsOf(100, 5, 40);
    const options = { ...base, pack: false, batchSize: 16 };
    const batches = packBatches(lengths, options);
    checked(lengths, batches, options);
    expect(batches.every((b) => b.lines.every((line) => line.length === 1))).toBe(true);
    const order = batches.flatMap((b) => b.lines.flat()).map((r) => lengths[r]!);
    expect(order).toEqual([...order].sort((a, b) => b - a));
  });

  it('with packing: short rows fill what would be padding', () => {
    const lengths = lengthsOf(64, 11, 19); // the bench's random sentences
    const unpacked = checked(lengths, packBatches(lengths, { ...base, pack: false }), { ...base, pack: false });
    const batches = packBatches(lengths, base);
    const packed = checked(lengths, batches, base);
    const real = lengths.reduce((a, b) => a + b, 0);
    expect(unpacked).toBeGreaterThan(real * 1.1);
    expect(packed).toBeLessThan(unpacked);
    expect(batches.some((b) => b.lines.some((line) => line.length > 1))).toBe(true);
  });

  it('keeps one row to a line when the rows are all the same length (nothing to gain, attention would cost more)', () => {
    const lengths = new Array(50).fill(12);
    const batches = packBatches(lengths, base);
    checked(lengths, batches, base);
    expect(batches.every((b) => b.width === 12 && b.lines.every((line) => line.length === 1))).toBe(true);
  });

  it('gives a row longer than the token budget a batch of its own, and stays within the context window', () => {
    const lengths = [900, 5, 700, 6, 7];
    const options = { ...base, maxWidth: 1000 };
    const batches = packBatches(lengths, options);
    checked(lengths, batches, options);
    expect(batches[0]).toEqual({ width: 900, lines: [[0]] });
  });

  it('depends only on the lengths', () => {
    const lengths = lengthsOf(300, 3, 60, 9);
    expect(packBatches(lengths, base)).toEqual(packBatches([...lengths], base));
    checked(lengths, packBatches(lengths, { ...base, batchSize: 7, hiddenSize: 64 }), { ...base, batchSize: 7, hiddenSize: 64 });
  });
});
