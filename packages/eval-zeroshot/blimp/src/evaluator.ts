/** BLiMP (67 paradigms) and the BLiMP supplement (5 files): accuracy per UID, macro mean (spec §3). */
import type { EvaluationCheck, EvaluationCheckRequest, EvaluationOutput, ZeroShotContext, ZeroShotEvaluator } from '@class-it/core';
import { ConfigError } from '@class-it/core';
import {
  commonSettings,
  fileStem,
  missingTaskFiles,
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

export async function loadBlimpItems(files: string[], limit?: number): Promise<RankingItem[]> {
  const items: RankingItem[] = [];
  for (const file of files) {
    const stem = fileStem(file);
    for (const row of await readJsonlFile(file, limit)) items.push(blimpItem(row, file, stem));
  }
  return items;
}

export class BlimpEvaluator implements ZeroShotEvaluator {
  readonly name = 'blimp';
  readonly kind = 'zero-shot' as const;
  readonly tasks = ['blimp', 'blimp_supplement'];

  async validate(request: EvaluationCheckRequest): Promise<EvaluationCheck> {
    if (!this.tasks.includes(request.task)) throw new ConfigError(`the blimp evaluator does not serve task '${request.task}'`, { field: 'task' });
    const layout = request.task === 'blimp' ? BLIMP_LAYOUT : SUPPLEMENT_LAYOUT;
    return { missing: await missingTaskFiles(request.dataDir, layout, request.fast, commonSettings(request.settings)) };
  }

  async evaluate(context: ZeroShotContext): Promise<EvaluationOutput> {
    if (!this.tasks.includes(context.task)) throw new ConfigError(`the blimp evaluator does not serve task '${context.task}'`, { field: 'task' });
    const settings = commonSettings(context.settings);
    const layout = context.task === 'blimp' ? BLIMP_LAYOUT : SUPPLEMENT_LAYOUT;
    const data = await resolveTaskFiles(context.dataDir, layout, context.fast, settings);
    const items = await loadBlimpItems(data.files, context.limit);
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
