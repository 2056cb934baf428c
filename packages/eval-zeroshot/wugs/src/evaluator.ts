/**
 * WUG adjective nominalization (`wug_adj`) and past tense (`wug_past`), spec §6: score every candidate
 * sentence whole, P(first) = softmax over the candidates' scores, ρ = Spearman(P(first), human ratio) over
 * all items. The report and predictions.json follow the reference (`### UID SPEARMAN'S RHO`, `prob`).
 */
import type { EvaluationCheck, EvaluationCheckRequest, EvaluationOutput, EvaluationResult, ZeroShotContext, ZeroShotEvaluator } from '@class-it/core';
import { ConfigError, pyFloat } from '@class-it/core';
import {
  argmaxFirst,
  commonSettings,
  missingTaskFiles,
  packageVersion,
  PredictionCollector,
  readJsonlFile,
  resolveTaskFiles,
  scoreRankingItems,
  softmaxFloat32,
  writeReferencePredictions,
  writeTemperatureReport,
  zeroShotOutput,
  type RankingItem,
  type TaskLayout,
} from '@class-it/eval-zeroshot-shared';
import { wugItem, type WugItem } from './items.js';
import { spearman } from './spearman.js';

export const WUG_LAYOUTS: Record<string, TaskLayout> = {
  wug_adj: {
    name: 'WUG adjective nominalization',
    fast: ['fast_eval/wug_adj_nominalization', 'wug_adj'],
    full: ['full_eval/wug_adj_nominalization', 'wug_adj'],
  },
  wug_past: {
    name: 'WUG past tense',
    fast: ['fast_eval/wug_past_tense', 'wug_past'],
    full: ['full_eval/wug_past_tense', 'wug_past'],
  },
};

export async function loadWugItems(files: string[], limit?: number): Promise<WugItem[]> {
  const items: WugItem[] = [];
  for (const file of files) for (const row of await readJsonlFile(file, limit)) items.push(wugItem(row, file));
  return items;
}

export class WugEvaluator implements ZeroShotEvaluator {
  readonly name = 'wugs';
  readonly kind = 'zero-shot' as const;
  readonly tasks = ['wug_adj', 'wug_past'];

  async validate(request: EvaluationCheckRequest): Promise<EvaluationCheck> {
    const layout = WUG_LAYOUTS[request.task];
    if (!layout) throw new ConfigError(`the wugs evaluator does not serve task '${request.task}'`, { field: 'task' });
    return { missing: await missingTaskFiles(request.dataDir, layout, request.fast, commonSettings(request.settings)) };
  }

  async evaluate(context: ZeroShotContext): Promise<EvaluationOutput> {
    const task = context.task;
    const layout = WUG_LAYOUTS[task];
    if (!layout) throw new ConfigError(`the wugs evaluator does not serve task '${task}'`, { field: 'task' });
    const settings = commonSettings(context.settings);
    const data = await resolveTaskFiles(context.dataDir, layout, context.fast, settings);
    const wugs = await loadWugItems(data.files, context.limit);
    if (wugs.length === 0) throw new Error(`${task}: no items in ${data.dir}`);
    const ranking: RankingItem[] = wugs.map((w) => ({ uid: task, sentences: w.candidates, completions: w.candidates, metadata: [['UID', task]] }));
    context.log(`${task}: scoring ${wugs.length} items`);
    const scores = await scoreRankingItems(context.model, ranking, { batchSize: settings.batchSize, temperature: settings.temperature, onProgress: context.onProgress });

    const predictions = new PredictionCollector();
    const pFirst: number[] = [];
    wugs.forEach((w, i) => {
      const p = softmaxFloat32(scores[i]!)[0]!;
      pFirst.push(p);
      predictions.add(task, w.candidates[argmaxFirst(scores[i]!)]!, { prob: pyFloat(p) });
    });
    const rho = spearman(pFirst, wugs.map((w) => w.ratio));

    const files = [
      await writeTemperatureReport(context.outDir, { temperature: settings.temperature, metric: "SPEARMAN'S RHO", blocks: new Map([['UID', new Map([['avg', rho]])]]), average: rho }),
      await writeReferencePredictions(context.outDir, predictions.toJSON()),
    ];
    const result: EvaluationResult = { task, evaluator: this.name, metric: 'spearman', score: rho, groups: { [task]: rho }, extra: {}, itemCount: wugs.length, files };
    context.log(`${task}: Spearman rho ${rho.toFixed(4)} over ${wugs.length} items`);
    return zeroShotOutput(context, result, {
      evaluatorVersion: packageVersion(import.meta.url),
      counts: { [task]: wugs.length },
      data: data.identity,
      settings: { batchSize: settings.batchSize, temperature: settings.temperature },
    });
  }
}
