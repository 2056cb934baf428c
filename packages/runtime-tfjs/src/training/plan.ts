/**
 * The training plan: every optimizer step of the run, in order, with its stage, epoch and rows, and the
 * learning-rate schedules. Built from the stages and settings alone, so a resumed run rebuilds the same plan
 * and continues at the saved step.
 */
import { ConfigError, seededShuffle, type TrainerSettings, type TrainingSequence, type TrainingStageData } from '@class-it/core';
import { makeRow, rowStarts, type Row } from './batching.js';
import { scheduleSegments, type ScheduleSegment } from './schedule.js';

export interface StagePlan {
  index: number;
  name: string;
  epochs: number;
  sequences: TrainingSequence[];
  /** Row boundaries of one epoch (see `rowStarts`). */
  rowStarts: number[];
  stepsPerEpoch: number;
  /** Steps this stage runs (epochs x steps per epoch, cut by maxSteps). */
  steps: number;
  /** Global index of the stage's first step. */
  firstStep: number;
  schedule: 'reset' | 'continue';
}

export interface TrainingPlan {
  stages: StagePlan[];
  batchSize: number;
  gradAccumulation: number;
  sequenceLength: number;
  packing: boolean;
  totalSteps: number;
  segments: ScheduleSegment[];
  /** Seed of the per-epoch row orders (with `reshuffleEpochs`). */
  seed: number;
  reshuffleEpochs: boolean;
}

export interface StepLocation {
  stage: StagePlan;
  epoch: number;
  stepInEpoch: number;
  stepInStage: number;
  microBatches: Row[][];
}

export function validateSettings(s: TrainerSettings): void {
  const positive: Array<keyof TrainerSettings> = ['learningRate', 'batchSize', 'gradAccumulation', 'sequenceLength', 'checkpointEverySteps', 'evalEverySteps'];
  for (const key of positive) {
    const value = s[key];
    if (typeof value !== 'number' || !(value > 0)) throw new ConfigError(`must be a number > 0, got ${String(value)}`, { field: key });
  }
  for (const key of ['batchSize', 'gradAccumulation', 'sequenceLength', 'checkpointEverySteps', 'evalEverySteps', 'seed'] as const) {
    if (!Number.isInteger(s[key])) throw new ConfigError(`must be an integer, got ${String(s[key])}`, { field: key });
  }
  if (!(s.minLearningRateRatio >= 0 && s.minLearningRateRatio <= 1)) throw new ConfigError(`must be in [0, 1], got ${s.minLearningRateRatio}`, { field: 'minLearningRateRatio' });
  if (!(s.warmupFraction >= 0 && s.warmupFraction < 1)) throw new ConfigError(`must be in [0, 1), got ${s.warmupFraction}`, { field: 'warmupFraction' });
  if (!(s.beta1 >= 0 && s.beta1 < 1)) throw new ConfigError(`must be in [0, 1), got ${s.beta1}`, { field: 'beta1' });
  if (!(s.beta2 >= 0 && s.beta2 < 1)) throw new ConfigError(`must be in [0, 1), got ${s.beta2}`, { field: 'beta2' });
  if (!(s.epsilon > 0)) throw new ConfigError(`must be > 0, got ${s.epsilon}`, { field: 'epsilon' });
  if (!(s.weightDecay >= 0)) throw new ConfigError(`must be >= 0, got ${s.weightDecay}`, { field: 'weightDecay' });
  if (!(s.gradClip >= 0)) throw new ConfigError(`must be >= 0 (0 = off), got ${s.gradClip}`, { field: 'gradClip' });
  if (s.maxSteps !== undefined && !(Number.isInteger(s.maxSteps) && s.maxSteps > 0)) throw new ConfigError(`must be an integer > 0, got ${s.maxSteps}`, { field: 'maxSteps' });
}

export function buildPlan(stages: TrainingStageData[], s: TrainerSettings): TrainingPlan {
  const plans: StagePlan[] = [];
  let first = 0;
  const budget = s.maxSteps ?? Number.POSITIVE_INFINITY;
  for (const [index, stage] of stages.entries()) {
    if (!(Number.isInteger(stage.epochs) && stage.epochs > 0)) throw new ConfigError(`stage '${stage.name}': epochs must be an integer > 0, got ${stage.epochs}`, { field: 'epochs' });
    const starts = rowStarts(stage.sequences, s.sequenceLength, s.packing);
    const rows = starts.length - 1;
    const stepsPerEpoch = Math.ceil(rows / (s.batchSize * s.gradAccumulation));
    const steps = Math.min(stepsPerEpoch * stage.epochs, Math.max(0, budget - first));
    if (steps === 0) continue;
    plans.push({ index, name: stage.name, epochs: stage.epochs, sequences: stage.sequences, rowStarts: starts, stepsPerEpoch, steps, firstStep: first, schedule: stage.schedule });
    first += steps;
  }
  return {
    stages: plans,
    batchSize: s.batchSize,
    gradAccumulation: s.gradAccumulation,
    sequenceLength: s.sequenceLength,
    packing: s.packing,
    totalSteps: first,
    segments: scheduleSegments(plans, s.warmupFraction),
    seed: s.seed,
    reshuffleEpochs: s.reshuffleEpochs === true,
  };
}

/** Where global step `step` (0-based) falls. */
export function locateStep(plan: TrainingPlan, step: number): StepLocation {
  const stage = plan.stages.find((st) => step >= st.firstStep && step < st.firstStep + st.steps);
  if (!stage) throw new RangeError(`step ${step} is outside the plan (${plan.totalSteps} steps)`);
  const stepInStage = step - stage.firstStep;
  const epoch = Math.floor(stepInStage / stage.stepsPerEpoch);
  const stepInEpoch = stepInStage % stage.stepsPerEpoch;
  return { stage, epoch, stepInEpoch, stepInStage, microBatches: microBatchesOf(plan, stage, epoch, stepInEpoch) };
}

/** The step at which the optimizer's moments last started from zero, at or before `step` (0, or a stage start with `reset`). */
export function lastOptimizerReset(plan: TrainingPlan, step: number, mode: 'keep' | 'reset' | undefined): number {
  if (mode !== 'reset') return 0;
  let last = 0;
  for (const st of plan.stages) if (st.firstStep <= step) last = st.firstStep;
  return last;
}

const epochOrders = new WeakMap<StagePlan, { epoch: number; order: number[] }>();

/**
 * The order of a stage's rows in `epoch`: as given in the first epoch (the curriculum's shuffle, and any length
 * bucketing), then a seeded shuffle per epoch with `reshuffleEpochs` (derived from the seed, the stage and the epoch,
 * so resuming rebuilds it), else the given order again. The latest epoch's order is cached per stage.
 */
function rowOrder(plan: TrainingPlan, stage: StagePlan, epoch: number): number[] | undefined {
  if (epoch === 0 || !plan.reshuffleEpochs) return undefined;
  const cached = epochOrders.get(stage);
  if (cached?.epoch === epoch) return cached.order;
  const rows = Array.from({ length: stage.rowStarts.length - 1 }, (_, i) => i);
  const order = seededShuffle(rows, plan.seed, `epoch-order:${stage.index}:${stage.name}:${epoch}`);
  epochOrders.set(stage, { epoch, order });
  return order;
}

/** The micro-batches (lists of rows) of one step of an epoch, built now. */
function microBatchesOf(plan: TrainingPlan, stage: StagePlan, epoch: number, stepInEpoch: number): Row[][] {
  const rowCount = stage.rowStarts.length - 1;
  const order = rowOrder(plan, stage, epoch);
  const first = stepInEpoch * plan.batchSize * plan.gradAccumulation;
  const micro: Row[][] = [];
  for (let m = 0; m < plan.gradAccumulation; m++) {
    const begin = first + m * plan.batchSize;
    const end = Math.min(begin + plan.batchSize, rowCount);
    if (begin >= end) break;
    const rows: Row[] = [];
    for (let i = begin; i < end; i++) {
      const r = order ? order[i]! : i;
      rows.push(makeRow(stage.sequences, stage.rowStarts[r]!, stage.rowStarts[r + 1]!, plan.sequenceLength, plan.packing));
    }
    micro.push(rows);
  }
  return micro;
}

const sequenceHashes = new WeakMap<TrainingSequence, number>();

/** FNV-1a over a sequence's ids and loss weights (cached: epochs repeat the same sequence objects). */
function sequenceHash(seq: TrainingSequence): number {
  let hash = sequenceHashes.get(seq);
  if (hash !== undefined) return hash;
  hash = 0x811c9dc5;
  for (const id of seq.ids) hash = Math.imul(hash ^ id, 0x01000193) >>> 0;
  for (const w of seq.lossWeights) hash = Math.imul(hash ^ Math.round(w * 1000), 0x01000193) >>> 0;
  sequenceHashes.set(seq, hash);
  return hash;
}

/** A short digest of what the plan trains on, so a checkpoint is only resumed by the same run. */
export function planFingerprint(stages: TrainingStageData[], s: TrainerSettings): Record<string, unknown> {
  const stageDigests = stages.map((st) => {
    let hash = 0x811c9dc5;
    let tokens = 0;
    for (const seq of st.sequences) {
      tokens += seq.ids.length;
      hash = Math.imul(hash ^ sequenceHash(seq), 0x01000193) >>> 0;
    }
    return { name: st.name, sequences: st.sequences.length, tokens, epochs: st.epochs, schedule: st.schedule, hash: hash.toString(16) };
  });
  const { checkpointEverySteps: _c, evalEverySteps: _e, milestoneWords: _m, ...trainingSettings } = s;
  return { stages: stageDigests, settings: trainingSettings };
}
