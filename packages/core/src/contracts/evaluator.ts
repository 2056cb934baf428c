/**
 * Evaluator plugins. A zero-shot evaluator asks a `LanguageModel` for log-likelihoods; a fine-tuning evaluator
 * hands a `TrainableModel`, texts and labels to a `ClassifierTrainer`. Neither touches tensors, and neither
 * writes results.json: an evaluator returns its result and details, and the runner writes the file (see
 * results.ts). Evaluators do write their BabyLM reference files (predictions.json, reports) into `outDir`.
 */
import type { LanguageModel } from './language-model.js';
import type { TrainableModel } from './model.js';

export type EvaluatorKind = 'zero-shot' | 'fine-tuning';

/** What an evaluation is given. `M` is the model contract its kind needs. */
export interface EvaluationContext<M extends LanguageModel = LanguageModel> {
  /** The task to run (an evaluator may serve several, e.g. `blimp` and `blimp_supplement`). */
  task: string;
  model: M;
  /** A BabyLM evaluation-data directory for this task (fast or full layout). */
  dataDir: string;
  /** Where this evaluation writes its reference files (predictions.json, reports). */
  outDir: string;
  fast: boolean;
  /** Evaluate only the first `limit` items of each data file, in file order (`eval --limit N`); undefined: all. */
  limit?: number;
  /** Evaluator-specific settings from the experiment file or CLI (validated by the evaluator). */
  settings: Record<string, unknown>;
  /**
   * The seed of this evaluation's random draws (a fine-tuning run's initialisation and order), derived from the
   * cell's seed by the runner; an evaluator that draws uses it unless its settings fix one. Undefined: the
   * evaluator's own default (`class-it finetune`). Zero-shot evaluations draw nothing and are given none.
   */
  seed?: number;
  log: (line: string) => void;
  onProgress?: (done: number, total: number) => void;
}

/** A zero-shot evaluation sees only log-likelihoods. */
export type ZeroShotContext = EvaluationContext<LanguageModel>;
/** A fine-tuning evaluation gets a model it can hand to a trainer. */
export type FineTuningContext = EvaluationContext<TrainableModel>;

/** A typed result. `score` is on the scale the reference prints (accuracy ×100, Spearman ρ raw, ...). */
export interface EvaluationResult {
  task: string;
  evaluator: string;
  /** Name of the headline metric, e.g. `accuracy`, `spearman`, `eye_tracking`. */
  metric: string;
  score: number;
  /** Headline score of each group the average is taken over (UIDs, domains, tasks, measures). */
  groups: Record<string, number>;
  /** Extra named scores, e.g. `self_paced_reading`, F1, MCC, per-split means. */
  extra: Record<string, number>;
  itemCount: number;
  /** Files written into `outDir`, relative to it (the runner adds results.json). */
  files: string[];
}

/** What an evaluator returns: the typed result, and whatever else it wants recorded in results.json. */
export interface EvaluationOutput {
  result: EvaluationResult;
  /** Plain JSON (counts, data identity, settings, per-task details), written under `details`. */
  details: Record<string, unknown>;
}

/** What `validate` is asked about: a task of an experiment, before anything is computed. */
export interface EvaluationCheckRequest {
  task: string;
  /** The task's evaluation-data directory (as `EvaluationContext.dataDir` will be). */
  dataDir: string;
  fast: boolean;
  settings: Record<string, unknown>;
}

/** What is missing for a task to run: the files or folders it would read, each with why; empty when it can run. */
export interface EvaluationCheck {
  missing: string[];
}

interface EvaluatorBase {
  readonly name: string;
  /** Task names this evaluator answers to. */
  readonly tasks: string[];
  /**
   * Optional, checked by `class-it run` before any compute: validate `settings` with the evaluator's own rules
   * (bad values and unknown keys are a ConfigError naming the field) and find the files the task needs under
   * `dataDir` without reading them (no downloads: a URL counts as present when it is cached or may be fetched).
   * Without it, the runner only checks that `dataDir` exists.
   */
  validate?(request: EvaluationCheckRequest): Promise<EvaluationCheck>;
}

export interface ZeroShotEvaluator extends EvaluatorBase {
  readonly kind: 'zero-shot';
  evaluate(context: ZeroShotContext): Promise<EvaluationOutput>;
}

export interface FineTuningEvaluator extends EvaluatorBase {
  readonly kind: 'fine-tuning';
  evaluate(context: FineTuningContext): Promise<EvaluationOutput>;
}

export type Evaluator = ZeroShotEvaluator | FineTuningEvaluator;
