/** Helpers shared by the built-in curricula. */
import type { InstructionExample } from '@class-it/core';
import type { CurriculumInput } from '@class-it/core';
import { ConfigError } from '@class-it/core';

/** `field`: the settings field (relative to the condition's settings) that names the datasets. */
export function requireDatasets(input: CurriculumInput, names: string[], curriculum: string, field: string): void {
  const available = Object.keys(input.datasets);
  for (const name of names) {
    if (!(name in input.datasets)) {
      throw new ConfigError(`curriculum '${curriculum}' names dataset '${name}', which is not configured (configured: ${available.join(', ') || 'none'})`, { field });
    }
  }
}

export function nonEmpty(examples: InstructionExample[], dataset: string, curriculum: string): InstructionExample[] {
  if (examples.length === 0) throw new ConfigError(`curriculum '${curriculum}': dataset '${dataset}' has no examples`, { field: 'datasets' });
  return examples;
}

/**
 * Split `total` into integer counts proportional to `weights` (largest remainder; ties go to the earlier entry),
 * so the counts always sum to `total` exactly.
 */
export function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) throw new Error('weights must have a positive sum');
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ r: x - Math.floor(x), i })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k]!.i]!++;
  return counts;
}

/** Unique stage names: a dataset used twice becomes `name`, `name#2`, ... */
export function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n}#${k}`;
  });
}
