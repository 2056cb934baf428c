/** The reference's reading output files (spec §8.3), formatted as Python writes them. */
import path from 'node:path';
import { pyFloat, pyFormatFixed, pyJsonDumps, writeFileAtomic } from '@class-it/core';
import type { PredictivePower, ReadingScores } from './regressions.js';
import type { ReadingRow } from './reading-data.js';

export interface RowPrediction {
  row: ReadingRow;
  pred: number;
  prevPred: number;
}

export async function writeReadingFiles(outDir: string, predictions: RowPrediction[], correlations: Array<[string, number]>, scores: ReadingScores): Promise<string[]> {
  const jsonl = predictions
    .map(({ row, pred, prevPred }) => pyJsonDumps({ Index: row.index, Sentence: row.item, Word: row.word, Logprob: pyFloat(pred), Prev_Logprob: pyFloat(prevPred) }) + '\n')
    .join('');
  await writeFileAtomic(path.join(outDir, 'prediction.jsonl'), jsonl);
  const preds = { reading: { predictions: predictions.map(({ row, pred, prevPred }) => ({ id: row.index, pred: pyFloat(pred), prev_pred: pyFloat(prevPred) })) } };
  await writeFileAtomic(path.join(outDir, 'predictions.json'), pyJsonDumps(preds));
  await writeFileAtomic(path.join(outDir, 'correlations.txt'), correlations.map(([name, r]) => `${name}\t${pyFormatFixed(r, 4)}\n`).join(''));
  const powerJsonl = (lines: PredictivePower[]) =>
    lines.map((l) => pyJsonDumps(Object.fromEntries(Object.entries(l).map(([k, v]) => [k, typeof v === 'number' ? pyFloat(v) : v]))) + '\n').join('');
  await writeFileAtomic(path.join(outDir, 'predictive_power.jsonl'), powerJsonl(scores.predictivePower));
  await writeFileAtomic(path.join(outDir, 'predictive_power_spillover.jsonl'), powerJsonl(scores.predictivePowerSpillover));
  await writeFileAtomic(
    path.join(outDir, 'report.txt'),
    `EYE TRACKING SCORE: ${pyFormatFixed(scores.eyeTracking, 2)}\nSELF-PACED READING SCORE: ${pyFormatFixed(scores.selfPacedReading, 2)}\n`,
  );
  return ['prediction.jsonl', 'predictions.json', 'correlations.txt', 'predictive_power.jsonl', 'predictive_power_spillover.jsonl', 'report.txt'];
}
