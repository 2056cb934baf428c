/** BLiMP (67 paradigms) and the BLiMP supplement (5 files): accuracy per UID, macro mean (spec §3). */
import type { EvaluationContext, EvaluationResult, Evaluator } from '@class-it/core';
import { ConfigError } from '@class-it/core';
import {
  commonSettings,
  fileStem,
  packageVersion,
  readJsonlFile,
  resolveTaskFiles,
  runRankingTask,
  type RankingItem,
  type TaskLayout,
} from '@class-it/eval-zeroshot-shared';
import { blimpItem } from './items.js';

export const BLIMP_LAYOUT: TaskLayout = {
  name: 'BLiMP',
  fast: ['fast_eval/blimp_fast', 'blimp/blimp_fast'],
  full: ['full_eval/blimp_filtered', 'blimp/blimp_filtered'],
};

export const SUPPLEMENT_LAYOUT: TaskLayout = {
  name: 'BLiMP supplement',
  fast: ['fast_eval/supplement_fast', 'blimp_supplement/supplement_fast'],
  full: ['full_eval/supplement_filtered', 'blimp_supplement/supplement_filtered'],
};

export async function loadBlimpItems(files: string[]): Promise<RankingItem[]> {
  const items: RankingItem[] = [];
  for (const file of files) {
    const stem = fileStem(file);
    for (const row of await readJsonlFile(file)) items.push(blimpItem(row, file, stem));
  }
  return items;
}

export class BlimpEvaluator implements Evaluator {
  readonly name = 'blimp';
  readonly kind = 'zero-shot' as const;
  readonly tasks = ['blimp', 'blimp_supplement'];

  async evaluate(context: EvaluationContext): Promise<EvaluationResult> {
    if (!this.tasks.includes(context.task)) throw new ConfigError(`the blimp evaluator does not serve task '${context.task}'`, { field: 'task' });
    const settings = commonSettings(context.settings);
    const layout = context.task === 'blimp' ? BLIMP_LAYOUT : SUPPLEMENT_LAYOUT;
    const data = await resolveTaskFiles(context.dataDir, layout, context.fast, settings);
    const items = await loadBlimpItems(data.files);
    return runRankingTask({
      context,
      evaluatorName: this.name,
      evaluatorVersion: packageVersion(import.meta.url),
      settings,
      items,
      data: data.identity,
    });
  }
}
