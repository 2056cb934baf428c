/**
 * Packing: several sequences in one row of `rowLength` tokens, each a segment with its own id and positions that
 * restart at 0. The model masks attention across segments (ForwardOptions.segmentIds); here the first token of
 * each segment gets loss weight 0, so no example is ever predicted from another. Greedy, in order: a sequence
 * goes into the current row if it fits, else a new row starts (order is kept, so curriculum order is kept).
 */
import type { TrainingSequence } from '../contracts/trainer.js';

export interface PackedRow {
  ids: number[];
  lossWeights: number[];
  /** 1, 2, ... per segment; 0 marks padding at the end of the row. */
  segmentIds: number[];
  positionIds: number[];
  words: number;
}

export function packSequences(sequences: TrainingSequence[], rowLength: number, padId = 0): PackedRow[] {
  const rows: PackedRow[] = [];
  let row: PackedRow | undefined;
  for (const seq of sequences) {
    const ids = seq.ids.slice(0, rowLength);
    if (!row || row.ids.length + ids.length > rowLength) {
      if (row) rows.push(row);
      row = { ids: [], lossWeights: [], segmentIds: [], positionIds: [], words: 0 };
    }
    const segment = (row.segmentIds[row.segmentIds.length - 1] ?? 0) + 1;
    ids.forEach((id, i) => {
      row!.ids.push(id);
      row!.lossWeights.push(i === 0 ? 0 : seq.lossWeights[i]!);
      row!.segmentIds.push(segment);
      row!.positionIds.push(i);
    });
    row.words += seq.words;
  }
  if (row) rows.push(row);
  for (const r of rows) {
    while (r.ids.length < rowLength) {
      r.ids.push(padId);
      r.lossWeights.push(0);
      r.segmentIds.push(0);
      r.positionIds.push(0);
    }
  }
  return rows;
}
