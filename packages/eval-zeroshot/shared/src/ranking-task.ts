/**
 * The common run of a ranking benchmark (BLiMP, supplement, EWoK, entity tracking): score every candidate,
 * predict the argmax (ties → candidate 0), tally accuracy per metadata value, write predictions.json and
 * best_temperature_report.txt, and return the result with its details (the runner writes results.json).
 */
import type { EvaluationOutput, EvaluationResult, ZeroShotContext } from '@class-it/core';
import { AccuracyTally } from './accuracy.js';
import type { DataIdentity } from './data-identity.js';
import { zeroShotOutput } from './details.js';
import { argmaxFirst, scoreRankingItems, type RankingItem } from './ranking.js';
import { PredictionCollector, writeReferencePredictions, writeTemperatureReport } from './reference-output.js';
import type { CommonSettings } from './settings.js';

export interface Aggregate {
  score: number;
  /** Extra named scores (e.g. per-split means). */
  extra: Record<string, number>;
  /** Lines appended to the report's UID block (the reference adds split means there). */
  extraUidLines?: Map<string, number>;
}

export interface RankingRun {
  context: ZeroShotContext;
  evaluatorName: string;
  evaluatorVersion: string;
  settings: CommonSettings;
  items: RankingItem[];
  data: DataIdentity;
  /** Default: macro mean over UID accuracies. */
  aggregate?: (uidAccuracies: Map<string, number>) => Aggregate;
}

export function macroAggregate(uidAccuracies: Map<string, number>): Aggregate {
  const accs = [...uidAccuracies.values()];
  return { score: accs.reduce((a, b) => a + b, 0) / accs.length, extra: {} };
}

export async function runRankingTask(run: RankingRun): Promise<EvaluationOutput> {
  const { context, items, settings } = run;
  if (items.length === 0) throw new Error(`${context.task}: no items to evaluate`);
  context.log(`${context.task}: scoring ${items.length} items (${items.reduce((n, it) => n + it.sentences.length, 0)} candidates)`);
  const scores = await scoreRankingItems(context.model, items, {
    batchSize: settings.batchSize,
    temperature: settings.temperature,
    onProgress: context.onProgress,
  });

  const tally = new AccuracyTally();
  const predictions = new PredictionCollector();
  items.forEach((item, i) => {
    const chosen = argmaxFirst(scores[i]!);
    tally.add(item.metadata, chosen === 0);
    predictions.add(item.uid, item.completions[chosen]!);
  });

  const blocks = tally.accuracies();
  const uidAccuracies = blocks.get('UID') ?? new Map<string, number>();
  const aggregate = (run.aggregate ?? macroAggregate)(new Map(uidAccuracies));
  if (aggregate.extraUidLines) for (const [k, v] of aggregate.extraUidLines) uidAccuracies.set(k, v);

  const files = [
    await writeTemperatureReport(context.outDir, { temperature: settings.temperature, metric: 'ACCURACY', blocks, average: aggregate.score }),
    await writeReferencePredictions(context.outDir, predictions.toJSON()),
  ];
  const extra: Record<string, number> = { ...aggregate.extra };
  for (const [key, values] of blocks) {
    if (key === 'UID') continue;
    for (const [value, acc] of values) extra[`${key}/${value}`] = acc;
  }
  const groups = Object.fromEntries([...(tally.accuracies().get('UID') ?? [])]);
  const result: EvaluationResult = {
    task: context.task,
    evaluator: run.evaluatorName,
    metric: 'accuracy',
    score: aggregate.score,
    groups,
    extra,
    itemCount: items.length,
    files,
  };
  context.log(`${context.task}: average accuracy ${aggregate.score.toFixed(2)} over ${uidAccuracies.size} groups`);
  return zeroShotOutput(context, result, {
    evaluatorVersion: run.evaluatorVersion,
    counts: tally.totals('UID'),
    data: run.data,
    settings: { batchSize: settings.batchSize, temperature: settings.temperature },
  });
}
