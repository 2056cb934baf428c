/**
 * Entity tracking (Kim & Schuster 2023 boxes, BabyLM 2025 ranking format): 5-way accuracy per
 * `<split>_<numops>_ops` bucket; average = mean over splits of the mean over numops buckets (spec §5).
 * The data is not redistributed: give `dataDir` (fast: `entity_tracking_fast/regular.jsonl`, full:
 * `entity_tracking/{regular,ambiref,move_contents}.jsonl`) or `settings.urls` to download the files.
 */
import type { EvaluationCheck, EvaluationCheckRequest, EvaluationOutput, ZeroShotContext, ZeroShotEvaluator } from '@class-it/core';
import { ConfigError, DataError } from '@class-it/core';
import {
  commonSettings,
  fileStem,
  missingTaskFiles,
  packageVersion,
  readJsonlFile,
  resolveTaskFiles,
  runRankingTask,
  type Aggregate,
  type RankingItem,
  type TaskLayout,
} from '@class-it/eval-zeroshot-shared';
import { entityTrackingItem } from './items.js';

export const ENTITY_TRACKING_LAYOUT: TaskLayout = {
  name: 'entity tracking',
  fast: ['fast_eval/entity_tracking_fast', 'entity_tracking/entity_tracking_fast'],
  full: ['full_eval/entity_tracking', 'entity_tracking/entity_tracking'],
};

export const ENTITY_TRACKING_SPLITS = ['regular', 'ambiref', 'move_contents'] as const;

export async function loadEntityTrackingItems(files: string[], limit?: number): Promise<RankingItem[]> {
  const items: RankingItem[] = [];
  for (const file of files) {
    const stem = fileStem(file);
    for (const row of await readJsonlFile(file, limit)) items.push(entityTrackingItem(row, file, stem));
  }
  return items;
}

/** Mean over splits of the mean accuracy of each split's numops buckets (reference `process_results`). */
export function entityTrackingAggregate(uidAccuracies: Map<string, number>): Aggregate {
  const splitMeans = new Map<string, number>();
  for (const split of ENTITY_TRACKING_SPLITS) {
    const accs = [...uidAccuracies].filter(([uid]) => uid.startsWith(split)).map(([, acc]) => acc);
    if (accs.length) splitMeans.set(split, accs.reduce((a, b) => a + b, 0) / accs.length);
  }
  if (splitMeans.size === 0) {
    throw new DataError(`no entity-tracking split among the data files (file stems must start with ${ENTITY_TRACKING_SPLITS.join(', ')})`, {});
  }
  const means = [...splitMeans.values()];
  return { score: means.reduce((a, b) => a + b, 0) / means.length, extra: Object.fromEntries([...splitMeans].map(([s, m]) => [`split/${s}`, m])), extraUidLines: splitMeans };
}

export class EntityTrackingEvaluator implements ZeroShotEvaluator {
  readonly name = 'entity-tracking';
  readonly kind = 'zero-shot' as const;
  readonly tasks = ['entity_tracking'];

  async validate(request: EvaluationCheckRequest): Promise<EvaluationCheck> {
    if (request.task !== 'entity_tracking') throw new ConfigError(`the entity-tracking evaluator does not serve task '${request.task}'`, { field: 'task' });
    return { missing: await missingTaskFiles(request.dataDir, ENTITY_TRACKING_LAYOUT, request.fast, commonSettings(request.settings)) };
  }

  async evaluate(context: ZeroShotContext): Promise<EvaluationOutput> {
    if (context.task !== 'entity_tracking') throw new ConfigError(`the entity-tracking evaluator does not serve task '${context.task}'`, { field: 'task' });
    const settings = commonSettings(context.settings);
    const data = await resolveTaskFiles(context.dataDir, ENTITY_TRACKING_LAYOUT, context.fast, settings);
    return runRankingTask({
      context,
      evaluatorName: this.name,
      evaluatorVersion: packageVersion(import.meta.url),
      settings,
      items: await loadEntityTrackingItems(data.files, context.limit),
      data: data.identity,
      aggregate: entityTrackingAggregate,
    });
  }
}
