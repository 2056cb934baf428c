/**
 * Training contracts, implemented by the runtime plugin (tensors live there). Core prepares token sequences
 * with per-token loss weights; the trainer owns batching, the optimizer, the schedule and checkpoints.
 */
import type { TrainableModel } from './model.js';

/** One training sequence. `lossWeights[i]` weighs the loss of predicting `ids[i]` from `ids[<i]` (0 masks it). */
export interface TrainingSequence {
  ids: number[];
  lossWeights: number[];
  /** Whitespace words of the text this sequence came from (BabyLM words-seen counting). */
  words: number;
}

export interface TrainingStageData {
  name: string;
  sequences: TrainingSequence[];
  epochs: number;
  schedule: 'reset' | 'continue';
}

export interface TrainerSettings {
  learningRate: number;
  /** Cosine decay floor as a fraction of the peak learning rate. */
  minLearningRateRatio: number;
  /** Warm-up as a fraction of the (stage's or run's) total optimizer steps. */
  warmupFraction: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Clip gradients by global norm (0 = off). */
  gradClip: number;
  /** Sequences per micro-batch. */
  batchSize: number;
  gradAccumulation: number;
  /** Tokens per sequence (longer ones are truncated; with packing, the packed row length). */
  sequenceLength: number;
  /** Pack several sequences in one row, with attention blocked between them. */
  packing: boolean;
  /** Stop after this many optimizer steps (whole plan), if set. */
  maxSteps?: number;
  seed: number;
  /** Present every epoch after a stage's first in its own order: a seeded shuffle of the stage's rows, derived from
   *  `seed`, the stage and the epoch (stage-local: a stage's orders do not depend on the others). Default false: every
   *  epoch replays the order given (pretraining gives each epoch's order itself). */
  reshuffleEpochs?: boolean;
  /** At the start of each stage after the first: keep the AdamW moments (default) or start them from zero. */
  optimizerBetweenStages?: 'keep' | 'reset';
  dropout?: number;
  checkpointEverySteps: number;
  evalEverySteps: number;
  /** Words-seen counts (absolute, including words seen before this run) at which to save `chck_{N}M`. */
  milestoneWords: number[];
}

export interface TrainingProgress {
  stage: string;
  step: number;
  totalSteps: number;
  loss: number;
  learningRate: number;
}

export interface TrainingContext {
  /** Run directory: checkpoints, `metrics.jsonl`, `train-state` live here. Resumes from what it finds. */
  outDir: string;
  /** Held-out sequences for evaluation loss. */
  evalSequences?: TrainingSequence[];
  /** Words seen before this run (pretraining), so milestones count from the start. */
  wordsSeenBefore: number;
  log: (line: string) => void;
  onProgress?: (p: TrainingProgress) => void;
}

export interface TrainingSummary {
  steps: number;
  tokens: number;
  wordsSeen: number;
  finalLoss: number;
  evalLoss?: number;
  tokensPerSecond: number;
  backend: string;
  /** Directory of the final model (HF layout). */
  finalDir: string;
  milestoneDirs: string[];
  resumedFromStep: number;
}

export interface Trainer {
  train(model: TrainableModel, stages: TrainingStageData[], settings: TrainerSettings, context: TrainingContext): Promise<TrainingSummary>;
}

/** Sequence classification for (Super)GLUE fine-tuning. The evaluator never touches tensors: it gives texts and
 *  labels, and reads back predicted labels after each epoch. */
export interface ClassificationExample {
  textA: string;
  textB?: string;
  label: number;
}

export interface ClassifierRecipe {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  batchSize: number;
  evalBatchSize: number;
  epochs: number;
  warmupFraction: number;
  /** Floor of the cosine factor (the reference hard-codes 0.1). */
  minFactor: number;
  maxLength: number;
  seed: number;
  dropout: number;
  pooling: 'first' | 'last';
  paddingSide: 'right' | 'left';
  /** Memory bound, not part of the recipe: a batch is run as micro-batches of at most this many (padded)
   *  tokens whose gradients are summed, which gives the same update as the whole batch. Trainer default if unset. */
  microBatchTokens?: number;
}

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  /** Predicted label per validation example, in order. */
  predictions: number[];
}

export interface ClassifierRun {
  numLabels: number;
  train: ClassificationExample[];
  valid: ClassificationExample[];
  recipe: ClassifierRecipe;
  /** Directory for per-epoch state, so an interrupted run resumes at the last finished epoch. */
  stateDir: string;
  /** Called after each epoch; return `true` when this epoch is the best so far (its weights are kept). */
  onEpoch: (report: EpochReport) => Promise<boolean> | boolean;
  /** Save the best backbone + head here, if set. */
  saveBestTo?: string;
  log: (line: string) => void;
}

export interface ClassifierTrainer {
  /** Fine-tune a copy of `model` with a classification head. Returns the reports of every epoch run. */
  fineTune(model: TrainableModel, run: ClassifierRun): Promise<{ epochs: EpochReport[]; resumedFromEpoch: number; examplesPerSecond: number }>;
}
