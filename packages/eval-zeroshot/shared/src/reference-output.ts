/**
 * The reference pipeline's output files (spec §2.4), written so BabyLM collation reads ours unchanged:
 * `best_temperature_report.txt` and `predictions.json` (one line, Python `json.dump` formatting).
 */
import path from 'node:path';
import { pyFormatFixed, pyJsonDumps, writeFileAtomic, type PyFloat } from '@class-it/core';

export interface ReferencePrediction {
  id: string | number;
  pred: string | number | PyFloat;
  [extra: string]: unknown;
}

/** `{"<UID>": {"predictions": [...]}}`, UIDs in first-appearance order. */
export type ReferencePredictions = Record<string, { predictions: ReferencePrediction[] }>;

/** Collects predictions with ids `<UID>_<k>`, k counting the items of that UID in order. */
export class PredictionCollector {
  private readonly byUid = new Map<string, ReferencePrediction[]>();

  add(uid: string, pred: ReferencePrediction['pred'], extra: Record<string, unknown> = {}): void {
    let list = this.byUid.get(uid);
    if (!list) this.byUid.set(uid, (list = []));
    list.push({ id: `${uid}_${list.length}`, pred, ...extra });
  }

  toJSON(): ReferencePredictions {
    return Object.fromEntries([...this.byUid].map(([uid, predictions]) => [uid, { predictions }]));
  }
}

export interface TemperatureReport {
  temperature: number;
  /** `ACCURACY`, or `SPEARMAN'S RHO` for the WUG tasks. */
  metric: string;
  /** One block per metadata key (`### <KEY> <METRIC>`), values in order. */
  blocks: Map<string, Map<string, number>>;
  average: number;
}

/** The text of `best_temperature_report.txt` (run.py `create_evaluation_report`). */
export function formatTemperatureReport(report: TemperatureReport): string {
  const lines = [`TEMPERATURE: ${pyFormatFixed(report.temperature, 2)}`, ''];
  for (const [key, values] of report.blocks) {
    lines.push(`### ${key.toUpperCase()} ${report.metric}`);
    for (const [name, v] of values) lines.push(`${name}: ${pyFormatFixed(v, 2)}`);
    lines.push('');
  }
  lines.push(`### AVERAGE ${report.metric}`, pyFormatFixed(report.average, 2), '');
  return lines.join('\n') + '\n';
}

export const REPORT_FILE = 'best_temperature_report.txt';
export const PREDICTIONS_FILE = 'predictions.json';

export async function writeTemperatureReport(outDir: string, report: TemperatureReport): Promise<string> {
  await writeFileAtomic(path.join(outDir, REPORT_FILE), formatTemperatureReport(report));
  return REPORT_FILE;
}

export async function writeReferencePredictions(outDir: string, predictions: ReferencePredictions, file = PREDICTIONS_FILE): Promise<string> {
  await writeFileAtomic(path.join(outDir, file), pyJsonDumps(predictions));
  return file;
}
