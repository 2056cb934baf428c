/**
 * The reference's per-task output files (spec §9.3): `results.txt` (metrics of the best epoch, one
 * `name: value` line each, Python float repr) and `predictions.json`
 * (`{"<task>": {"predictions": [{"id": "<task>_<i>", "pred": <int>}]}}`, valid-file order).
 */
import { pyFloatRepr } from '@class-it/core';
import type { MetricName, TaskName } from './tasks.js';

export function resultsTxt(metrics: Partial<Record<MetricName, number>>, order: MetricName[]): string {
  return order.map((name) => `${name}: ${pyFloatRepr(metrics[name]!)}`).join('\n') + '\n';
}

export interface PredictionsFile {
  [task: string]: { predictions: Array<{ id: string; pred: number }> };
}

export function predictionsJson(task: TaskName, predictions: number[]): PredictionsFile {
  return { [task]: { predictions: predictions.map((pred, i) => ({ id: `${task}_${i}`, pred })) } };
}
