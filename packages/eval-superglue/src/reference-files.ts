/**
 * The reference's per-task output files (spec §9.3): `results.txt` (metrics of the best epoch, one
 * `name: value` line each, Python float repr) and `predictions.json`
 * (`{"<task>": {"predictions": [{"id": "<task>_<i>", "pred": <int>}]}}`, valid-file order).
 */
import type { MetricName, TaskName } from './tasks.js';

/** A number as Python's `repr(float)` / `str(float)` writes it (`1.0`, `0.5`, `1e-05`, `0.0001`). */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exponent = Number(expText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exponent < -4 || exponent >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exponent).toString().padStart(2, '0');
    return `${sign}${m}e${exponent < 0 ? '-' : '+'}${e}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const intPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fracPart = digits.slice(exponent + 1);
  return `${sign}${intPart}.${fracPart || '0'}`;
}

export function resultsTxt(metrics: Partial<Record<MetricName, number>>, order: MetricName[]): string {
  return order.map((name) => `${name}: ${pythonFloat(metrics[name]!)}`).join('\n') + '\n';
}

export interface PredictionsFile {
  [task: string]: { predictions: Array<{ id: string; pred: number }> };
}

export function predictionsJson(task: TaskName, predictions: number[]): PredictionsFile {
  return { [task]: { predictions: predictions.map((pred, i) => ({ id: `${task}_${i}`, pred })) } };
}
