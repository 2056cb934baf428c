/**
 * From training sequences to rows, micro-batches and optimizer steps (plain arrays, no tensors).
 *
 * A row is what one line of a batch holds: without packing one (truncated) sequence, with packing several
 * whole sequences side by side, each a segment with its own positions. `targets[t]` is the token predicted at
 * position t (the next token of the same segment) and `weights[t]` its loss weight (0 where there is none).
 * Order is kept exactly as given: stages arrive ordered and shuffled by the curriculum.
 */
import { DataError, type TrainingSequence } from '@class-it/core';

export interface Row {
  ids: number[];
  targets: number[];
  weights: number[];
  /** Packing only: segment id (1, 2, ...) of each position. */
  segmentIds?: number[];
  /** Packing only: position id of each token, restarting at 0 in every segment. */
  positions?: number[];
  /** Whitespace words of the sequences in this row. */
  words: number;
}

export function validateSequences(sequences: TrainingSequence[], vocabSize: number, where: string): void {
  sequences.forEach((seq, i) => {
    const at = { file: where, line: i + 1 };
    if (!Array.isArray(seq.ids) || !Array.isArray(seq.lossWeights)) throw new DataError('sequence needs ids and lossWeights arrays', { ...at, field: 'ids' });
    if (seq.ids.length !== seq.lossWeights.length) {
      throw new DataError(`ids has ${seq.ids.length} entries but lossWeights has ${seq.lossWeights.length}`, { ...at, field: 'lossWeights' });
    }
    for (const id of seq.ids) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new DataError(`token id ${id} is outside the vocabulary [0, ${vocabSize})`, { ...at, field: 'ids' });
    }
    for (const w of seq.lossWeights) {
      if (!Number.isFinite(w) || w < 0) throw new DataError(`loss weight ${w} must be a finite number >= 0`, { ...at, field: 'lossWeights' });
    }
    if (!Number.isFinite(seq.words) || seq.words < 0) throw new DataError(`words must be a number >= 0, got ${seq.words}`, { ...at, field: 'words' });
  });
}

/** Append one sequence (already truncated) to a row as a new segment. */
function appendSegment(row: Row, seq: TrainingSequence, length: number, segment: number | undefined): void {
  for (let t = 0; t < length; t++) {
    row.ids.push(seq.ids[t]!);
    const hasNext = t + 1 < length;
    row.targets.push(hasNext ? seq.ids[t + 1]! : 0);
    row.weights.push(hasNext ? seq.lossWeights[t + 1]! : 0);
    if (segment !== undefined) {
      row.segmentIds!.push(segment);
      row.positions!.push(t);
    }
  }
  row.words += seq.words;
}

/** Rows of a stage (one epoch), in order. Sequences longer than `sequenceLength` are truncated. */
export function buildRows(sequences: TrainingSequence[], sequenceLength: number, packing: boolean): Row[] {
  const rows: Row[] = [];
  if (!packing) {
    for (const seq of sequences) {
      const row: Row = { ids: [], targets: [], weights: [], words: 0 };
      appendSegment(row, seq, Math.min(seq.ids.length, sequenceLength), undefined);
      rows.push(row);
    }
    return rows;
  }
  let row: Row | undefined;
  let segment = 0;
  for (const seq of sequences) {
    const length = Math.min(seq.ids.length, sequenceLength);
    if (!row || row.ids.length + length > sequenceLength) {
      row = { ids: [], targets: [], weights: [], segmentIds: [], positions: [], words: 0 };
      rows.push(row);
      segment = 0;
    }
    segment += 1;
    appendSegment(row, seq, length, segment);
  }
  return rows;
}

/** Group rows into micro-batches of `batchSize` rows, and those into optimizer steps of `gradAccumulation`. */
export function groupSteps(rows: Row[], batchSize: number, gradAccumulation: number): Row[][][] {
  const micro: Row[][] = [];
  for (let i = 0; i < rows.length; i += batchSize) micro.push(rows.slice(i, i + batchSize));
  const steps: Row[][][] = [];
  for (let i = 0; i < micro.length; i += gradAccumulation) steps.push(micro.slice(i, i + gradAccumulation));
  return steps;
}

export function rowWeight(row: Row): number {
  let sum = 0;
  for (const w of row.weights) sum += w;
  return sum;
}

export function rowTokens(row: Row): number {
  return row.ids.length;
}
