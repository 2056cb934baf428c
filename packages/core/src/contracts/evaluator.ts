/**
 * Evaluator plugins. A zero-shot evaluator asks a `LanguageModel` for log-likelihoods; a fine-tuning evaluator
 * hands texts and labels to a `ClassifierTrainer`. Neither touches tensors.
 */
import type { LanguageModel } from './language-model.js';
import type { TrainableModel } from './model.js';

export type EvaluatorKind = 'zero-shot' | 'fine-tuning';

export interface EvaluationContext {
  /** The task to run (an evaluator may serve several, e.g. `blimp` and `blimp_supplement`). */
  task: string;
  model: TrainableModel;
  /** A BabyLM evaluation-data directory for this task (fast or full layout). */
  dataDir: string;
  /** Where this evaluation writes its files (results.json, predictions.json, reports). */
  outDir: string;
  fast: boolean;
  /** Evaluator-specific settings from the experiment file or CLI (validated by the evaluator). */
  settings: Record<string, unknown>;
  log: (line: string) => void;
  onProgress?: (done: number, total: number) => void;
}

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
  /** Files written into `outDir`, relative to it. */
  files: string[];
}

export interface Evaluator {
  readonly name: string;
  readonly kind: EvaluatorKind;
  /** Task names this evaluator answers to. */
  readonly tasks: string[];
  evaluate(context: EvaluationContext): Promise<EvaluationResult>;
}

/** Read-only view used when a zero-shot evaluator needs only scoring. */
export type ScoringModel = LanguageModel;
