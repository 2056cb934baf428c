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

/** Sequences already checked against a vocabulary size (epochs and curricula repeat the same objects). */
const validated = new WeakMap<TrainingSequence, number>();

export function validateSequences(sequences: TrainingSequence[], vocabSize: number, where: string): void {
  sequences.forEach((seq, i) => {
    if (validated.get(seq) === vocabSize) return;
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
    validated.set(seq, vocabSize);
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

/**
 * Where each row starts: row r holds sequences [starts[r], starts[r + 1]). Without packing every sequence is a
 * row; with packing, whole (truncated) sequences fill a row greedily in order. Rows are built from these
 * boundaries only when their step runs, so a large corpus is not copied.
 */
export function rowStarts(sequences: TrainingSequence[], sequenceLength: number, packing: boolean): number[] {
  if (!packing) return Array.from({ length: sequences.length + 1 }, (_, i) => i);
  const starts: number[] = [];
  let used = Number.POSITIVE_INFINITY;
  sequences.forEach((seq, i) => {
    const length = Math.min(seq.ids.length, sequenceLength);
    if (used + length > sequenceLength) {
      starts.push(i);
      used = 0;
    }
    used += length;
  });
  starts.push(sequences.length);
  return starts;
}

/** The row made of sequences [start, end). */
export function makeRow(sequences: TrainingSequence[], start: number, end: number, sequenceLength: number, packing: boolean): Row {
  const row: Row = packing ? { ids: [], targets: [], weights: [], segmentIds: [], positions: [], words: 0 } : { ids: [], targets: [], weights: [], words: 0 };
  for (let i = start; i < end; i++) {
    const seq = sequences[i]!;
    appendSegment(row, seq, Math.min(seq.ids.length, sequenceLength), packing ? i - start + 1 : undefined);
  }
  return row;
}

/** All rows of a list of sequences, in order (sequences longer than `sequenceLength` are truncated). */
export function buildRows(sequences: TrainingSequence[], sequenceLength: number, packing: boolean): Row[] {
  const starts = rowStarts(sequences, sequenceLength, packing);
  const rows: Row[] = [];
  for (let r = 0; r + 1 < starts.length; r++) rows.push(makeRow(sequences, starts[r]!, starts[r + 1]!, sequenceLength, packing));
  return rows;
}

export function rowWeight(row: Row): number {
  let sum = 0;
  for (const w of row.weights) sum += w;
  return sum;
}

export function rowTokens(row: Row): number {
  return row.ids.length;
}
