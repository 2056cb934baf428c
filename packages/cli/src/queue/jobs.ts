/**
 * The jobs of an experiment on the queue, and their dependencies:
 *
 *   pretrain <model> [<seed>]   one per model that pretrains (seeded by the first seed, like the runner), or one per
 *                               model and seed with `pretrainPerSeed` (`grid-steps.ts` `gridPretrainings`)
 *   tune <cell>                 one per cell; after the pretraining of its base model
 *   eval <cell> <unit>          one per evaluation unit of the cell (a task, `samples`, `curves`), one after another
 *                               in the runner's order, the first after the cell's tune
 *   cell <cell>                 records the cell as done or failed (cell.json); after the cell's last evaluation
 *   report                      the run's report; after everything
 *
 * A BullMQ flow is a tree in which a parent waits for its children, so fan-in (the report after every cell) is a
 * flow, while fan-out (many cells after one pretraining) is not: `class-it run --queue` adds the report with the
 * pretrainings as its children, and each job, once its step is done, adds the jobs it released as further
 * children of the report (a cell's record with its evaluations as a chain of children). A cell's jobs all hold
 * the cell's lock, so its evaluations run one after another anyway; chained, they never wait on each other's lock,
 * and the grid's parallelism is across cells. Job ids are deterministic (experiment name, hash, step), so adding
 * a job that exists, queued or done, adds nothing.
 */
import path from 'node:path';
import type { CellKey } from '@class-it/core';
import { ConfigError } from '@class-it/core';
import type { Experiment } from '../config/experiment.js';
import { cellName } from '../run/run-dir.js';
import { evaluationUnits, experimentHash, gridCells, gridPretrainings, pretrainingOf, skippedTasks, type Pretraining } from '../run/grid-steps.js';
import type { ValidatedExperiment } from '../run/validate.js';

/** The queue of untagged jobs; a job for workers with tag T goes to `<QUEUE_NAME>-<T>`. */
export const QUEUE_NAME = 'class-it';

/** Steps whose jobs `class-it run --gpu` can send to workers started with `--tags gpu`. */
export const GPU_STEPS = ['pretrain', 'tune', 'eval'] as const;
export type GpuStep = (typeof GPU_STEPS)[number];

export type JobStep =
  | { kind: 'pretrain'; model: string; /** Only for a model with `pretrainPerSeed`: which of its pretrainings. */ seed?: number }
  | { kind: 'tune'; cell: CellKey }
  | { kind: 'eval'; cell: CellKey; unit: string }
  | { kind: 'cell'; cell: CellKey }
  | { kind: 'report' };

/** What every job of one enqueued experiment carries: the experiment itself, as validated when it was enqueued. */
export interface QueuedRun {
  experiment: Experiment;
  /** Directory of the experiment file (on storage every worker sees): relative paths resolve against it. */
  experimentDir: string;
  /** The run directory, absolute (on storage every worker sees). */
  runDir: string;
  /** `experimentHash` of the experiment: the run directory and every job id carry it. */
  hash: string;
  /** Tasks validation found without data that the experiment marks optional: skipped in every cell, with the reason. */
  skippedTasks: Record<string, string>;
  /** Steps whose jobs go to the `gpu` queue. */
  gpuSteps: GpuStep[];
  /** How many times a job is tried before it is reported failed. */
  attempts: number;
}

export interface JobData {
  run: QueuedRun;
  step: JobStep;
}

/** An experiment as its jobs carry it. `runsDir` resolves against this process's working directory, once. */
export function queuedRun(exp: Experiment, experimentDir: string, validated: ValidatedExperiment | undefined, options: { gpuSteps?: GpuStep[]; attempts?: number } = {}): QueuedRun {
  return {
    experiment: exp, experimentDir: path.resolve(experimentDir), runDir: path.resolve(exp.runsDir, exp.name), hash: experimentHash(exp),
    skippedTasks: Object.fromEntries(skippedTasks(validated)), gpuSteps: options.gpuSteps ?? [], attempts: options.attempts ?? 3,
  };
}

export interface PlannedJob {
  id: string;
  /** The step's kind, BullMQ's job name. */
  name: JobStep['kind'];
  queue: string;
  data: JobData;
  /** The job this one waits for (its parent waits for it in turn); undefined for the first jobs and the report. */
  after?: string;
}

/** The queue of tag `tag` (the untagged queue without one). */
export function queueName(tag?: string): string {
  if (tag !== undefined && !/^[A-Za-z0-9_-]+$/.test(tag)) throw new ConfigError(`'${tag}' is not a tag (letters, digits, '-' and '_')`, { field: '--tags' });
  return tag ? `${QUEUE_NAME}-${tag}` : QUEUE_NAME;
}

export function parseGpuSteps(text: string | undefined): GpuStep[] {
  if (!text) return [];
  const steps = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (steps.includes('all')) return [...GPU_STEPS];
  for (const s of steps) {
    if (!(GPU_STEPS as readonly string[]).includes(s)) throw new ConfigError(`unknown step '${s}' (steps: ${GPU_STEPS.join(', ')}, all)`, { field: '--gpu' });
  }
  return steps as GpuStep[];
}

/** The id of a job: `<experiment>.<hash>/<step>[/<cell>[/<unit>]]` (BullMQ ids may not hold ':'). */
export function jobId(run: Pick<QueuedRun, 'experiment' | 'hash'>, step: JobStep): string {
  const prefix = `${run.experiment.name}.${run.hash}`;
  switch (step.kind) {
    case 'pretrain': return `${prefix}/pretrain/${step.model}${step.seed === undefined ? '' : `/seed${step.seed}`}`;
    case 'tune': return `${prefix}/tune/${cellName(step.cell)}`;
    case 'eval': return `${prefix}/eval/${cellName(step.cell)}/${step.unit}`;
    case 'cell': return `${prefix}/cell/${cellName(step.cell)}`;
    case 'report': return `${prefix}/report`;
  }
}

/** One line naming a job's step, for status and logs. */
export function describeStep(step: JobStep): string {
  switch (step.kind) {
    case 'pretrain': return `pretrain ${step.model}${step.seed === undefined ? '' : ` seed ${step.seed}`}`;
    case 'tune': return `tune ${cellName(step.cell)}`;
    case 'eval': return `eval ${cellName(step.cell)} ${step.unit}`;
    case 'cell': return `cell ${cellName(step.cell)}`;
    case 'report': return 'report';
  }
}

function planned(run: QueuedRun, step: JobStep, after?: JobStep): PlannedJob {
  const tag = step.kind !== 'cell' && step.kind !== 'report' && (run.gpuSteps as string[]).includes(step.kind) ? 'gpu' : undefined;
  return { id: jobId(run, step), name: step.kind, queue: queueName(tag), data: { run, step }, ...(after ? { after: jobId(run, after) } : {}) };
}

/** The pretraining job a pretraining is computed by. */
function pretrainStep(p: Pretraining): JobStep {
  return { kind: 'pretrain', model: p.model, ...(p.perSeed ? { seed: p.seed } : {}) };
}

/** The pretraining job a cell's tune waits for; undefined for a `checkpoint:` model (it needs none). */
function pretrainStepOf(run: QueuedRun, cell: CellKey): JobStep | undefined {
  const model = run.experiment.models.find((m) => m.name === cell.model);
  const pretraining = model && pretrainingOf(run.experiment, model, cell.seed);
  return pretraining ? pretrainStep(pretraining) : undefined;
}

/** Every job of the run, in dependency order (each after the one it waits for). */
export function planJobs(run: QueuedRun): PlannedJob[] {
  const exp = run.experiment;
  const skipped = new Map(Object.entries(run.skippedTasks));
  const units = evaluationUnits(exp, skipped);
  const jobs: PlannedJob[] = [];
  for (const pretraining of gridPretrainings(exp)) jobs.push(planned(run, pretrainStep(pretraining)));
  for (const cell of gridCells(exp)) {
    let previous: JobStep = { kind: 'tune', cell };
    jobs.push(planned(run, previous, pretrainStepOf(run, cell)));
    for (const unit of units) {
      const evaluation: JobStep = { kind: 'eval', cell, unit: unit.name };
      jobs.push(planned(run, evaluation, previous));
      previous = evaluation;
    }
    jobs.push(planned(run, { kind: 'cell', cell }, previous));
  }
  jobs.push(planned(run, { kind: 'report' }));
  return jobs;
}

const sameCell = (a: CellKey, b: CellKey) => a.model === b.model && a.condition === b.condition && a.seed === b.seed;

/**
 * The jobs a finished step releases (its job adds them), in plan order: after a pretraining, its model's tunes;
 * after a tune, the cell's evaluations and its record.
 */
export function releasedBy(run: QueuedRun, step: JobStep): PlannedJob[] {
  const jobs = planJobs(run);
  if (step.kind === 'pretrain') return jobs.filter((j) => j.after === jobId(run, step));
  if (step.kind === 'tune') return jobs.filter((j) => (j.data.step.kind === 'eval' || j.data.step.kind === 'cell') && sameCell(j.data.step.cell, step.cell));
  return [];
}

/** The jobs added when the run is enqueued: those that wait for nothing (the report is their parent). */
export function firstJobs(run: QueuedRun): PlannedJob[] {
  return planJobs(run).filter((j) => j.after === undefined && j.name !== 'report');
}
