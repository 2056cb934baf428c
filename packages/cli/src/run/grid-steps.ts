/**
 * The units of work of an experiment grid, one function each, called by the single-machine runner's loop
 * (`runner.ts`) and by the queue's workers (`queue/executors.ts`) alike, so that a step has one implementation:
 *
 *   baseModel      a model's base checkpoint: its `checkpoint:` (a Hub model `hf://...` downloaded first), or its pretraining (seeded by the experiment's first
 *                  seed and shared by the model's cells; with `pretrainPerSeed`, one pretraining per seed, by that seed)
 *   tuneCell       instruction-tune a cell's base model with the condition's curriculum (or return the base
 *                  itself when the curriculum trains nothing)
 *   evaluateUnit   one evaluation unit of a cell's model: a task, the report's samples, or the learning curves
 *   writeReport    the run's report
 *
 * Each skips what it finds finished on disk, so a rerun (or a job handed to another worker) resumes. What a
 * driver does around them (cell records, locks, progress) is the driver's.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { CellKey, PluginRegistry, TrainableModel } from '@class-it/core';
import { ClassItError, ConfigError, deriveSeed, listMilestoneCheckpoints, writeJsonAtomic } from '@class-it/core';
import { writeRunReport } from '@class-it/report';
import type { ConditionSpec, Experiment, ModelSpec } from '../config/experiment.js';
import type { InstructionData } from '../instruct/data.js';
import { conditionTrains } from '../instruct/job.js';
import type { ExperimentSteps } from './runner.js';
import type { ValidatedExperiment } from './validate.js';
import type { RunDir, TaskOutcome } from './run-dir.js';
import { loadModel, resolveModelDir, DEFAULT_CACHE_DIR, type ModelSourceOptions } from './load-model.js';
import { readEvaluationResult, runEvaluation } from './evaluate.js';
import { writeCellSamples } from './samples.js';

/** What every step of one run needs. */
export interface GridContext {
  exp: Experiment;
  registry: PluginRegistry;
  runDir: RunDir;
  /** Directory of the experiment file: relative paths in it resolve against this. */
  experimentDir: string;
  steps: ExperimentSteps;
  /** The experiment's instruction data, loaded once and shared (asked for only by cells that train). */
  instructionData: () => Promise<InstructionData>;
  /** A line for the run's log (and the cell's, with `key`). */
  log: (line: string, key?: CellKey) => void;
}

/** Runs one named piece of an evaluation unit: the runner records a failure and goes on, a worker lets it throw. */
export type Attempt = (name: string, run: () => Promise<void>) => Promise<void>;

/** Progress of a step, for a progress bar (`phase` says what is happening). */
export type OnPhase = (phase: string) => void;

/** What identifies a version of an experiment: its run directory and its queued jobs carry it. */
export function experimentHash(exp: Experiment): string {
  return createHash('sha256').update(JSON.stringify(exp)).digest('hex').slice(0, 16);
}

/** The cells: every model × condition × seed, except that an `evaluateOnly` model has one cell (its condition, the
 *  first seed: one fixed checkpoint, evaluated once). */
export function gridCells(exp: Experiment): CellKey[] {
  const cells: CellKey[] = [];
  for (const model of exp.models) {
    if (model.evaluateOnly !== undefined) {
      cells.push({ model: model.name, condition: model.evaluateOnly, seed: exp.seeds[0]! });
      continue;
    }
    for (const condition of exp.conditions) for (const seed of exp.seeds) cells.push({ model: model.name, condition: condition.name, seed });
  }
  return cells;
}

/** Where an experiment's `checkpoint:` models are found: relative to the experiment file, Hub models in the instruction
 *  section's download cache (default .cache/class-it beside the file), offline when it says so (or HF_HUB_OFFLINE=1). */
export function experimentModelSource(exp: Experiment, experimentDir: string, log?: (line: string) => void): ModelSourceOptions {
  return { baseDir: experimentDir, cacheDir: path.resolve(experimentDir, exp.instruction?.cacheDir ?? DEFAULT_CACHE_DIR), offline: exp.instruction?.offline, log };
}

/**
 * Make `runDir` the run of this version of the experiment (experiment.json, with its hash): a run of another
 * version there is refused, or, with `restart`, moved aside first (`afterMovedAside` is told where).
 */
export async function prepareRunDir(exp: Experiment, runDir: RunDir, restart: boolean, afterMovedAside?: (aside: string) => Promise<void>): Promise<void> {
  const hash = experimentHash(exp);
  let existing: { hash?: string } | undefined;
  try {
    existing = JSON.parse(await fs.readFile(runDir.experimentFile, 'utf8')) as { hash?: string };
  } catch {
    existing = undefined;
  }
  if (existing && restart) {
    const aside = `${runDir.root}.old-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await fs.rename(runDir.root, aside);
    await afterMovedAside?.(aside);
    existing = undefined;
  }
  if (existing && existing.hash !== hash) {
    throw new ConfigError(`${runDir.root} holds a run of a different version of experiment '${exp.name}'. ` +
      'Resuming would mix results: give the experiment another name, or pass --restart to move the old run aside.', { file: runDir.experimentFile });
  }
  await writeJsonAtomic(runDir.experimentFile, { hash, experiment: exp });
}

/** One pretraining of the grid: a model's, shared by its cells, or (`perSeed`) the one of its cells of `seed`. */
export interface Pretraining {
  model: string;
  /** The seed it is pretrained with. */
  seed: number;
  /** One pretraining per seed (`pretrainPerSeed`): its directory and its queue job name the seed. */
  perSeed: boolean;
}

/** The pretraining a cell of `model` with seed `cellSeed` starts from; undefined for a `checkpoint:` model. By default
 *  one per model, seeded by the experiment's first seed; with `pretrainPerSeed`, the cell's own seed. */
export function pretrainingOf(exp: Experiment, model: ModelSpec, cellSeed: number): Pretraining | undefined {
  if (!model.pretrain) return undefined;
  return model.pretrainPerSeed ? { model: model.name, seed: cellSeed, perSeed: true } : { model: model.name, seed: exp.seeds[0]!, perSeed: false };
}

/** Every pretraining of the grid, in model then seed order (what `run` and the queue compute once each). */
export function gridPretrainings(exp: Experiment): Pretraining[] {
  return exp.models.flatMap((model) => {
    const seeds = model.pretrainPerSeed ? exp.seeds : exp.seeds.slice(0, 1);
    return seeds.flatMap((seed) => pretrainingOf(exp, model, seed) ?? []);
  });
}

/** The run-directory folder of a pretraining. */
export function pretrainingDir(runDir: RunDir, p: Pretraining): string {
  return runDir.pretrainDir(p.model, p.perSeed ? p.seed : undefined);
}

export function modelOf(exp: Experiment, name: string): ModelSpec {
  const model = exp.models.find((m) => m.name === name);
  if (!model) throw new ConfigError(`experiment '${exp.name}' has no model '${name}'`, { field: 'models' });
  return model;
}

export function conditionOf(exp: Experiment, name: string): ConditionSpec {
  const condition = exp.conditions.find((c) => c.name === name);
  if (!condition) throw new ConfigError(`experiment '${exp.name}' has no condition '${name}'`, { field: 'conditions' });
  return condition;
}

/** Tasks validation found without data that the experiment marks optional: skipped in every cell, with the reason. */
export function skippedTasks(validated: ValidatedExperiment | undefined): Map<string, string> {
  return new Map((validated?.plan.tasks ?? []).filter((t) => t.status === 'optional-missing').map((t) => [t.task, `optional, data missing: ${t.missing?.join('; ')}`]));
}

/** The base checkpoint directory of a model's cells of seed `cellSeed`: the experiment's checkpoint, or the pretraining
 *  they start from (`pretrainingOf`; computed unless done). */
export async function baseModel(ctx: GridContext, model: ModelSpec, cellSeed: number, key?: CellKey): Promise<string> {
  const pretraining = pretrainingOf(ctx.exp, model, cellSeed);
  if (!pretraining) return resolveModelDir(model.checkpoint!, experimentModelSource(ctx.exp, ctx.experimentDir, (line) => ctx.log(line, key)));
  return ctx.steps.pretrain(ctx.registry, {
    model: model.name, settings: model.pretrain!, outDir: pretrainingDir(ctx.runDir, pretraining), seed: pretraining.seed,
    experimentDir: ctx.experimentDir, backend: ctx.exp.backend, log: (line) => ctx.log(line, key),
  });
}

/** Instruction-tune a cell from `baseModelDir`; returns the model directory to evaluate (the base when nothing trains). */
export async function tuneCell(ctx: GridContext, key: CellKey, baseModelDir: string, onPhase?: OnPhase): Promise<string> {
  const condition = conditionOf(ctx.exp, key.condition);
  const log = (line: string) => ctx.log(line, key);
  if (modelOf(ctx.exp, key.model).evaluateOnly !== undefined && conditionTrains(ctx.registry, condition)) {
    throw new ConfigError(`model '${key.model}' is evaluateOnly, but its condition '${condition.name}' trains (curriculum ${condition.curriculum})`);
  }
  if (!conditionTrains(ctx.registry, condition)) {
    log(`curriculum ${condition.curriculum}: nothing to train, the base model is evaluated as it is`);
    return baseModelDir;
  }
  if (!ctx.exp.instruction) {
    throw new ConfigError(`condition '${condition.name}' trains (curriculum ${condition.curriculum}) but the experiment has no 'instruction' section with datasets`);
  }
  return ctx.steps.instructionTune(ctx.registry, {
    baseModelDir, condition, data: await ctx.instructionData(), seed: key.seed, outDir: ctx.runDir.trainDir(key), log, backend: ctx.exp.backend,
    onStage: (stage, step, total) => onPhase?.(`training ${stage} ${step}/${total}`),
  });
}

type ZeroShotTask = Experiment['evaluation']['zeroShot'][number];
type FinetuneTask = Experiment['evaluation']['finetune'][number];

/**
 * The seed of a cell's evaluation: a fine-tuning task draws (classifier head, order, dropout) from a seed derived from
 * the cell's (core's `deriveSeed`, one stream per task), so the seeds of a grid vary the fine-tuning too; the task's
 * own `settings.seed`, if given, still wins. Zero-shot tasks draw nothing: none (their scores depend only on the model).
 */
export function evaluationSeed(cellSeed: number, task: Pick<CellTask, 'task' | 'kind'>): number | undefined {
  return task.kind === 'fine-tuning' ? deriveSeed(cellSeed, `finetune:${task.task}`) : undefined;
}

/** One evaluation of a cell's final model, as the runner sees a task of either section. */
export interface CellTask {
  task: string;
  kind: 'zero-shot' | 'fine-tuning';
  data: string;
  fast: boolean;
  settings: Record<string, unknown>;
}

/**
 * A unit of evaluation work of a cell: one task on the final model, the report's samples (`samples`), or every
 * learning-curve task on every milestone checkpoint (`curves`).
 */
export type EvaluationUnit =
  | { kind: 'task'; name: string; task: CellTask }
  | { kind: 'samples'; name: 'samples' }
  | { kind: 'curves'; name: 'curves'; tasks: ZeroShotTask[] };

function cellTasks(exp: Experiment): CellTask[] {
  return [
    ...exp.evaluation.zeroShot.map((t: ZeroShotTask): CellTask => ({ task: t.task, kind: 'zero-shot', data: t.data, fast: t.fast, settings: t.settings })),
    ...exp.evaluation.finetune.map((t: FinetuneTask): CellTask => ({ task: t.task, kind: 'fine-tuning', data: t.data, fast: false, settings: t.settings })),
  ];
}

/** The evaluation units of every cell, in the order the runner runs them; tasks in `skipped` (by name) are left out. */
export function evaluationUnits(exp: Experiment, skipped: ReadonlyMap<string, string> = new Map()): EvaluationUnit[] {
  const units: EvaluationUnit[] = cellTasks(exp).filter((t) => !skipped.has(t.task)).map((task) => ({ kind: 'task', name: task.task, task }));
  if (exp.report?.samples.length) units.push({ kind: 'samples', name: 'samples' });
  const curveTasks = exp.evaluation.zeroShot.filter((t) => t.checkpoints && !skipped.has(t.task));
  if (curveTasks.length > 0) units.push({ kind: 'curves', name: 'curves', tasks: curveTasks });
  return units;
}

/** The final model of a cell, loaded once on first use and shared by the units that need it. */
export class CellModel {
  private loaded?: Promise<TrainableModel>;

  constructor(private readonly ctx: GridContext, readonly dir: string) {}

  get(): Promise<TrainableModel> {
    if (!this.loaded) {
      const loading = loadModel(this.ctx.registry, this.dir, this.ctx.exp.backend);
      loading.catch(() => { if (this.loaded === loading) this.loaded = undefined; }); // the next unit tries again
      this.loaded = loading;
    }
    return this.loaded;
  }

  async dispose(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = undefined;
    if (loaded) (await loaded.catch(() => undefined))?.dispose();
  }
}

/**
 * Run one evaluation unit of a cell whose model is `model`. Each piece (a task; `samples`; `<chck_NM>/<task>` of
 * the curves) goes through `attempt` under its outcome name; a piece whose results are on disk is not recomputed.
 */
export async function evaluateUnit(ctx: GridContext, key: CellKey, unit: EvaluationUnit, model: CellModel, attempt: Attempt, onPhase?: OnPhase): Promise<void> {
  const { exp, registry, runDir } = ctx;
  const log = (line: string) => ctx.log(line, key);
  const dataRoot = path.resolve(ctx.experimentDir, exp.evaluation.dataDir);
  if (unit.kind === 'task') {
    const t = unit.task;
    await attempt(t.task, async () => {
      const outDir = runDir.evalDir(key, t.task);
      if (await readEvaluationResult(outDir)) return log(`${t.task}: done before, skipped`);
      onPhase?.(`evaluating ${t.task}`);
      const result = await runEvaluation(registry, await model.get(), {
        task: t.task, dataDir: path.resolve(dataRoot, t.data), outDir, fast: t.fast, settings: t.settings, seed: evaluationSeed(key.seed, t), log,
        onProgress: (d, n) => onPhase?.(`evaluating ${t.task} ${d}/${n}`),
      });
      log(`${t.task}: ${result.metric} ${result.score.toFixed(2)}`);
    });
  } else if (unit.kind === 'samples') {
    // The report's samples: the final model's greedy answers to `report.samples` (written once).
    await attempt('samples', async () => {
      await writeCellSamples(() => model.get(), model.dir, exp.report!, runDir.cellDir(key));
    });
  } else {
    // Learning curves: fast zero-shot tasks on every chck_*M milestone of this cell's training.
    for (const chk of await listMilestoneCheckpoints(runDir.trainDir(key))) {
      const chkModel = new CellModel(ctx, chk.dir);
      try {
        for (const t of unit.tasks) {
          const outDir = runDir.checkpointEvalDir(key, chk.name, t.task);
          if (await readEvaluationResult(outDir)) continue;
          onPhase?.(`${chk.name} ${t.task}`);
          await attempt(`${chk.name}/${t.task}`, async () => {
            const data = typeof t.checkpoints === 'string' ? t.checkpoints : t.data;
            await runEvaluation(registry, await chkModel.get(), {
              task: t.task, dataDir: path.resolve(dataRoot, data), outDir, fast: t.fast || typeof t.checkpoints === 'string', settings: t.settings, log,
            });
          });
        }
      } finally {
        await chkModel.dispose();
      }
    }
  }
}

/** Why a cell whose evaluations ended with `outcomes` failed; undefined when none of them failed. */
export function failedEvaluations(outcomes: Record<string, TaskOutcome>): ClassItError | undefined {
  const failed = Object.entries(outcomes).flatMap(([name, o]) => (o.status === 'failed' ? [`${name}: ${o.error}`] : []));
  return failed.length > 0 ? new ClassItError(`${failed.length} evaluation(s) failed: ${failed.join('; ')}`) : undefined;
}

/** The run's report (tables, figures, HTML) from what its cells wrote; returns the files written. */
export function writeReport(runDir: RunDir, registry: PluginRegistry): Promise<string[]> {
  return writeRunReport({ runDir: runDir.root, registry });
}
