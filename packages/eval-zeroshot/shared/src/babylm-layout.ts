/**
 * Where the reference pipeline puts a task's output files (spec §1.3), so collation (`collate_preds.py`)
 * finds ours: `<root>/<model stem>/<revision|main>/zero_shot/<backend>/<task>/<data dir stem>/`, and for
 * reading `<root>/<model stem>/<revision|main>/zero_shot/<backend>/reading/`.
 */
import path from 'node:path';

/** The reference's (`--task`, data directory stem) of each of our tasks. */
export function referenceTaskDir(task: string, fast: boolean): { task: string; dataset?: string } {
  switch (task) {
    case 'blimp': return { task: 'blimp', dataset: fast ? 'blimp_fast' : 'blimp_filtered' };
    case 'blimp_supplement': return { task: 'blimp', dataset: fast ? 'supplement_fast' : 'supplement_filtered' };
    case 'ewok': return { task: 'ewok', dataset: fast ? 'ewok_fast' : 'ewok_filtered' };
    case 'entity_tracking': return { task: 'entity_tracking', dataset: fast ? 'entity_tracking_fast' : 'entity_tracking' };
    case 'wug_adj': return { task: 'wug_adj', dataset: 'wug_adj_nominalization' };
    case 'wug_past': return { task: 'wug_past', dataset: 'wug_past_tense' };
    case 'reading': return { task: 'reading' };
    default: throw new Error(`unknown zero-shot task '${task}'`);
  }
}

/** Python's `pathlib.Path(p).stem` (quirk kept: a model name with a dot loses its "suffix"). */
export function pathStem(p: string): string {
  const base = path.posix.basename(p.replace(/\/+$/, ''));
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

export function babylmOutputDir(options: { root: string; model: string; revision?: string; backend?: string; task: string; fast: boolean }): string {
  const { task, dataset } = referenceTaskDir(options.task, options.fast);
  const parts = [options.root, pathStem(options.model), options.revision ?? 'main', 'zero_shot', options.backend ?? 'causal', task];
  if (dataset) parts.push(dataset);
  return path.join(...parts);
}
