/**
 * The (Super)GLUE fine-tuning evaluator (spec §9). For each task it reads the JSONL files, hands texts and
 * labels to a `ClassifierTrainer` (it never touches tensors), scores the validation predictions after every
 * epoch, keeps the epoch whose `metricForValid` strictly improves, and writes the reference's `results.txt` /
 * `predictions.json` per task. It returns the result and, as details for the runner's results.json, every task's
 * outcome and the 7-task means. An interrupted run resumes at the last finished epoch (the trainer keeps its
 * state in `<task>/state/`, this evaluator its epoch history in `<task>/epochs.json`).
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { inject, injectable } from 'tsyringe';
import {
  ConfigError, TOKENS, readJsonIfExists, writeFileAtomic, writeJsonAtomic,
  type ClassificationExample, type ClassifierTrainer, type EpochReport, type EvaluationCheck, type EvaluationCheckRequest, type EvaluationOutput, type EvaluationResult,
  type FineTuningContext, type FineTuningEvaluator,
} from '@class-it/core';
import { ALL_TASKS, TASKS, TASK_NAMES, tasksFor, type MetricName, type TaskName } from './tasks.js';
import { readTaskSplit, resolveTaskDir, splitFileName } from './data.js';
import { computeMetrics } from './metrics.js';
import { parseSettings, recipeOf, type TaskSettings } from './settings.js';
import { predictionsJson, resultsTxt } from './reference-files.js';

export interface EpochEntry {
  epoch: number;
  trainLoss: number;
  metrics: Partial<Record<MetricName, number>>;
  /** This epoch strictly improved `metricForValid` over every earlier one (its weights were kept). */
  best: boolean;
  predictions: number[];
}

/** What one task produced (a task entry of the details; metrics are fractions 0-1). */
export interface TaskOutcome {
  task: TaskName;
  metrics: Partial<Record<MetricName, number>>;
  bestEpoch: number;
  metricForValid: MetricName;
  /** 2024 leaderboard convention: F1 for MRPC/QQP, accuracy otherwise. */
  leaderboardMetric: MetricName;
  leaderboardScore: number;
  /** 2025 offline helper convention (`calculate_results_from_pred.py`): accuracy for every task. */
  offlineScore: number;
  epochs: Array<Omit<EpochEntry, 'predictions'>>;
  trainExamples: number;
  validExamples: number;
  settings: TaskSettings;
  examplesPerSecond: number;
  resumedFromEpoch: number;
  files: string[];
  fingerprint: string;
}

/** The details this evaluator returns for results.json. */
export type SuperGlueDetails = {
  scale: string;
  tasks: Partial<Record<TaskName, TaskOutcome>>;
  /** Only when all seven tasks ran. */
  means?: { leaderboard: number; offlineAccuracy: number };
};

interface History {
  fingerprint: string;
  entries: EpochEntry[];
}

/** The trainer, or a function giving it when first needed (so a missing runtime fails only when used). */
export type ClassifierTrainerSource = ClassifierTrainer | (() => ClassifierTrainer);

@injectable()
export class SuperGlueEvaluator implements FineTuningEvaluator {
  readonly name = 'superglue';
  readonly kind = 'fine-tuning' as const;
  readonly tasks: string[] = [...TASK_NAMES, ALL_TASKS];
  private readonly trainerSource: ClassifierTrainerSource;
  private trainerInstance?: ClassifierTrainer;

  constructor(@inject(TOKENS.ClassifierTrainer) trainer: ClassifierTrainerSource) {
    this.trainerSource = trainer;
  }

  private get trainer(): ClassifierTrainer {
    this.trainerInstance ??= typeof this.trainerSource === 'function' ? this.trainerSource() : this.trainerSource;
    return this.trainerInstance;
  }

  /** Each task's settings (the fast profile when `fast` and none is given); a bad or unknown one is a ConfigError. */
  private settingsPerTask(taskNames: TaskName[], raw: Record<string, unknown>, fast: boolean): Array<{ task: TaskName; settings: TaskSettings }> {
    const hasProfile = Object.prototype.hasOwnProperty.call(raw, 'profile');
    const settings = parseSettings(fast && !hasProfile ? { ...raw, profile: 'fast' } : raw);
    const perTask = taskNames.map((task) => ({ task, settings: settings.forTask(task) }));
    for (const { task, settings: s } of perTask) {
      if (TASKS[task].numLabels > 2 && s.metricForValid === 'f1') {
        throw new ConfigError(`task '${task}' has ${TASKS[task].numLabels} labels: binary F1 cannot select its epochs`, { field: 'settings.metricForValid' });
      }
    }
    return perTask;
  }

  async validate(request: EvaluationCheckRequest): Promise<EvaluationCheck> {
    const taskNames = tasksFor(request.task);
    this.settingsPerTask(taskNames, request.settings, request.fast);
    return { missing: await missingDataFiles(request.dataDir, taskNames) };
  }

  async evaluate(context: FineTuningContext): Promise<EvaluationOutput> {
    const taskNames = tasksFor(context.task);
    // The run's seed (derived from the cell's) replaces the reference's 42 unless the settings fix one (globally or per task).
    const raw = context.seed !== undefined ? { seed: context.seed, ...context.settings } : context.settings;
    const perTask = this.settingsPerTask(taskNames, raw, context.fast);
    await checkFilesPresent(context.dataDir, taskNames);
    const totalEpochs = perTask.reduce((acc, t) => acc + t.settings.epochs, 0);
    let epochsDone = 0;
    const outcomes: TaskOutcome[] = [];
    for (const { task, settings: s } of perTask) {
      const outcome = await this.runTask(task, s, context, (finished) => context.onProgress?.(epochsDone + finished, totalEpochs));
      epochsDone += s.epochs;
      context.onProgress?.(epochsDone, totalEpochs);
      outcomes.push(outcome);
    }
    const summary = summarise(outcomes);
    const result: EvaluationResult = {
      task: context.task,
      evaluator: this.name,
      metric: taskNames.length === 1 ? outcomes[0]!.leaderboardMetric : 'leaderboard_mean',
      score: taskNames.length === 1 ? outcomes[0]!.leaderboardScore * 100 : summary.leaderboardMean * 100,
      groups: Object.fromEntries(outcomes.map((o) => [o.task, o.leaderboardScore * 100])),
      extra: summary.extra,
      itemCount: outcomes.reduce((acc, o) => acc + o.validExamples, 0),
      files: outcomes.flatMap((o) => o.files.map((f) => `${o.task}/${f}`)),
    };
    const details: SuperGlueDetails = {
      scale: 'metrics are fractions 0-1 here; the EvaluationResult score/groups/extra are x100',
      tasks: Object.fromEntries(outcomes.map((o) => [o.task, o])),
      ...(summary.means ? { means: summary.means } : {}),
    };
    return { result, details };
  }

  private async runTask(task: TaskName, s: TaskSettings, context: FineTuningContext, onEpochDone: (finished: number) => void): Promise<TaskOutcome> {
    const def = TASKS[task];
    const log = (line: string) => context.log(`[${task}] ${line}`);
    const dataDir = await resolveTaskDir(context.dataDir, task);
    const train = (await readTaskSplit(dataDir, def, 'train')).examples.slice(0, s.maxTrainExamples);
    const valid = (await readTaskSplit(dataDir, def, 'valid')).examples.slice(0, s.maxValidExamples);
    if (train.length < s.batchSize) {
      throw new ConfigError(`task '${task}' has ${train.length} training examples, fewer than one batch of ${s.batchSize} (batches drop the remainder)`, { field: 'settings.batchSize' });
    }
    const taskDir = path.join(context.outDir, task);
    const stateDir = path.join(taskDir, 'state');
    const historyFile = path.join(taskDir, 'epochs.json');
    const doneFile = path.join(taskDir, 'task-result.json');
    const fingerprint = fingerprintOf(task, s, train, valid, context);

    const done = await readJsonIfExists<TaskOutcome>(doneFile);
    if (done?.fingerprint === fingerprint) {
      log(`already finished (best epoch ${done.bestEpoch}); reusing ${doneFile}`);
      return done;
    }
    let history = await readJsonIfExists<History>(historyFile);
    if (!history || history.fingerprint !== fingerprint) {
      if (history) log('settings, data or model changed since the last run: starting this task afresh');
      await fs.rm(stateDir, { recursive: true, force: true });
      history = { fingerprint, entries: [] };
    }
    await fs.mkdir(taskDir, { recursive: true });
    const labels = valid.map((e) => e.label);
    const metricNames = [...new Set<MetricName>([...def.metrics, s.metricForValid])];
    const current: History = history;

    const onEpoch = async (report: EpochReport): Promise<boolean> => {
      checkPredictions(report, valid.length, def.numLabels);
      // A re-run epoch (killed after this callback, before the trainer saved its state) replaces its old entry.
      current.entries = current.entries.filter((e) => e.epoch < report.epoch);
      const metrics = computeMetrics(metricNames, labels, report.predictions);
      const bestSoFar = Math.max(...current.entries.map((e) => e.metrics[s.metricForValid]!));
      const best = current.entries.length === 0 || metrics[s.metricForValid]! > bestSoFar;
      current.entries.push({ epoch: report.epoch, trainLoss: report.trainLoss, metrics, best, predictions: report.predictions });
      await writeJsonAtomic(historyFile, current);
      log(`epoch ${report.epoch}/${s.epochs} loss ${report.trainLoss.toFixed(4)} ` +
        metricNames.map((m) => `${m} ${metrics[m]!.toFixed(4)}`).join(' ') + (best ? ' (best)' : ''));
      onEpochDone(report.epoch);
      return best;
    };

    log(`fine-tuning on ${train.length} examples, validating on ${valid.length}, ${s.epochs} epochs, batch ${s.batchSize}, ` +
      `lr ${s.learningRate}, pooling ${s.pooling}, padding ${s.paddingSide}`);
    const modelDir = path.join(taskDir, 'model');
    const run = await this.trainer.fineTune(context.model, {
      numLabels: def.numLabels, train, valid, recipe: recipeOf(s), stateDir, onEpoch,
      saveBestTo: s.saveModel ? modelDir : undefined, log,
    });

    const entries = current.entries;
    for (let epoch = 1; epoch <= s.epochs; epoch++) {
      if (!entries.some((e) => e.epoch === epoch)) {
        throw new Error(`task '${task}': no validation result for epoch ${epoch} (the trainer and ${historyFile} disagree; delete ${taskDir} to start over)`);
      }
    }
    const bestEntry = entries.filter((e) => e.best).at(-1)!;
    await writeFileAtomic(path.join(taskDir, 'results.txt'), resultsTxt(bestEntry.metrics, def.metrics));
    await writeJsonAtomic(path.join(taskDir, 'predictions.json'), predictionsJson(task, bestEntry.predictions));
    const files = ['results.txt', 'predictions.json', 'epochs.json', 'task-result.json', ...(s.saveModel ? ['model'] : [])];
    const outcome: TaskOutcome = {
      task,
      metrics: bestEntry.metrics,
      bestEpoch: bestEntry.epoch,
      metricForValid: s.metricForValid,
      leaderboardMetric: def.leaderboardMetric,
      leaderboardScore: bestEntry.metrics[def.leaderboardMetric]!,
      offlineScore: bestEntry.metrics.accuracy!,
      epochs: entries.map(({ predictions: _p, ...rest }) => rest),
      trainExamples: train.length,
      validExamples: valid.length,
      settings: s,
      examplesPerSecond: run.examplesPerSecond,
      resumedFromEpoch: run.resumedFromEpoch,
      files,
      fingerprint,
    };
    await writeJsonAtomic(doneFile, outcome);
    if (!s.keepState) await fs.rm(stateDir, { recursive: true, force: true });
    log(`best epoch ${outcome.bestEpoch}: ${def.metrics.map((m) => `${m} ${bestEntry.metrics[m]!.toFixed(4)}`).join(' ')}`);
    return outcome;
  }
}

/** The train and valid files of `tasks` that are not under `dataDir`. */
async function missingDataFiles(dataDir: string, tasks: TaskName[]): Promise<string[]> {
  const missing: string[] = [];
  for (const task of tasks) {
    let dir: string;
    try {
      dir = await resolveTaskDir(dataDir, task);
    } catch {
      missing.push(`${task}.valid.jsonl (under ${dataDir})`);
      continue;
    }
    const train = path.join(dir, splitFileName(task, 'train'));
    if (!(await fs.stat(train).then(() => true, () => false))) missing.push(train);
  }
  return missing;
}

/** Every task's train and valid file must be there before hours of training start. */
async function checkFilesPresent(dataDir: string, tasks: TaskName[]): Promise<void> {
  const missing = await missingDataFiles(dataDir, tasks);
  if (missing.length > 0) {
    throw new ConfigError(`missing (Super)GLUE data files: ${missing.join(', ')}. The BabyLM glue_filtered folder has ` +
      'all 14 files; some public mirrors lack boolq.train.jsonl and multirc.train.jsonl');
  }
}

function checkPredictions(report: EpochReport, count: number, numLabels: number): void {
  if (report.predictions.length !== count) {
    throw new Error(`trainer returned ${report.predictions.length} predictions for ${count} validation examples (epoch ${report.epoch})`);
  }
  for (const p of report.predictions) {
    if (!Number.isInteger(p) || p < 0 || p >= numLabels) throw new Error(`trainer returned prediction ${p}, not a label in [0, ${numLabels - 1}]`);
  }
}

/** Means over the seven tasks (only when all seven ran) and the flat extra scores (x100). */
function summarise(outcomes: TaskOutcome[]): { means?: { leaderboard: number; offlineAccuracy: number }; leaderboardMean: number; extra: Record<string, number> } {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const leaderboardMean = mean(outcomes.map((o) => o.leaderboardScore));
  const offlineMean = mean(outcomes.map((o) => o.offlineScore));
  const extra: Record<string, number> = {};
  const single = outcomes.length === 1;
  for (const o of outcomes) {
    for (const [m, v] of Object.entries(o.metrics)) extra[single ? m : `${o.task}_${m}`] = v! * 100;
    extra[single ? 'best_epoch' : `${o.task}_best_epoch`] = o.bestEpoch;
  }
  if (!single) {
    extra.leaderboard_mean = leaderboardMean * 100;
    extra.accuracy_mean = offlineMean * 100;
  }
  const complete = TASK_NAMES.every((t) => outcomes.some((o) => o.task === t));
  return { means: complete ? { leaderboard: leaderboardMean, offlineAccuracy: offlineMean } : undefined, leaderboardMean, extra };
}

function fingerprintOf(task: TaskName, s: TaskSettings, train: ClassificationExample[], valid: ClassificationExample[], context: FineTuningContext): string {
  const { keepState: _k, ...relevant } = s;
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ task, settings: relevant, model: { architecture: context.model.architecture, source: context.model.info.source, parameters: context.model.info.parameterCount } }));
  for (const e of [...train, null, ...valid]) hash.update(JSON.stringify(e) + '\n');
  return hash.digest('hex').slice(0, 16);
}
