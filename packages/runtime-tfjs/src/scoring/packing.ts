/**
 * How the scorer's rows (`planScoringRows`) go into batches of lines, the [lines, width] inputs of one forward pass
 * (no tensors here: row indices). Without packing each line holds one row, and a batch is rows of similar length
 * padded to its longest, as before. With packing (a module that honours segment and position ids), a line holds
 * several rows one after another, each its own segment with its own positions, so short rows fill what would be
 * padding. A wider line wastes less but makes attention (quadratic in the width) costlier, so each batch's width is
 * the multiple of its longest row (1x to 4x) that `rowCost` says is cheapest per real token.
 *
 * The result depends only on the row lengths, in the plan's order, never on the queries' order.
 */
import { rowCost } from './shared-prefix.js';

export interface PackedBatch {
  /** Tokens of the longest line (the input's width). */
  width: number;
  /** Row indices of each line, in line order. */
  lines: number[][];
}

export interface PackOptions {
  /** Several rows to a line (the module honours segment and position ids). */
  pack: boolean;
  /** Most lines in one batch (the scorer's `batchSize`). */
  batchSize: number;
  /** Most tokens in one batch, padding included. */
  maxTokens: number;
  /** Longest line: the context window (positions restart in every row, but a line is one sequence to the model). */
  maxWidth: number;
  hiddenSize: number;
}

const WIDTH_MULTIPLES = [1, 2, 3, 4];

export function packBatches(lengths: number[], options: PackOptions): PackedBatch[] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const batches: PackedBatch[] = [];
  if (!options.pack) {
    for (let start = 0; start < order.length;) {
      const width = lengths[order[start]!]!;
      const count = Math.max(1, Math.min(options.batchSize, Math.floor(options.maxTokens / width)));
      batches.push({ width, lines: order.slice(start, start + count).map((r) => [r]) });
      start += count;
    }
    return batches;
  }
  // Rows by length; each stack is in plan order, taken from the front.
  const longest = lengths[order[0]!] ?? 0;
  const byLength: number[][] = Array.from({ length: longest + 1 }, () => []);
  for (const r of order) byLength[lengths[r]!]!.push(r);
  const next = new Array<number>(longest + 1).fill(0); // how many of each stack are taken
  let left = order.length;
  let top = longest;
  while (left > 0) {
    while (next[top]! >= byLength[top]!.length) top--;
    let best: { width: number; perToken: number } | undefined;
    for (const k of WIDTH_MULTIPLES) {
      const width = k === 1 ? top : Math.min(k * top, options.maxWidth, options.maxTokens);
      if (k > 1 && width <= top) break; // capped: no wider line is allowed
      const trial = fillBatch(byLength, [...next], top, width, options);
      const perToken = (trial.lines.length * rowCost(width, options.hiddenSize)) / trial.tokens;
      if (!best || perToken < best.perToken) best = { width, perToken };
    }
    const batch = fillBatch(byLength, next, top, best!.width, options);
    left -= batch.lines.reduce((n, line) => n + line.length, 0);
    batches.push({ width: Math.max(...batch.lines.map((line) => line.reduce((n, r) => n + lengths[r]!, 0))), lines: batch.lines });
  }
  return batches;
}

/** One batch of lines of `width`: each line starts with the longest row left and takes the longest that still fit.
 *  Advances `next` (the rows taken). */
function fillBatch(byLength: number[][], next: number[], top: number, width: number, options: PackOptions): { lines: number[][]; tokens: number } {
  const maxLines = Math.max(1, Math.min(options.batchSize, Math.floor(options.maxTokens / width)));
  const lines: number[][] = [];
  let tokens = 0;
  while (lines.length < maxLines) {
    const line: number[] = [];
    let free = width;
    for (let length = Math.min(free, top); length > 0;) {
      if (next[length]! < byLength[length]!.length) {
        line.push(byLength[length]![next[length]!++]!);
        free -= length;
        tokens += length;
        length = Math.min(length, free);
      } else {
        length--;
      }
    }
    if (line.length === 0) break;
    lines.push(line);
  }
  return { lines, tokens };
}
