/** Reporters turn the per-cell results of a run into tables, figures and pages. */
import type { EvaluationResult } from './evaluator.js';

/** One cell of an experiment grid: a model × condition × seed. */
export interface CellKey {
  model: string;
  condition: string;
  seed: number;
}

export interface CellResults {
  cell: CellKey;
  /** From the cell's `cell.json`; a failed cell is listed in reports but contributes no scores. */
  status?: 'done' | 'failed';
  error?: string;
  results: EvaluationResult[];
  /** Training curves and learning curves found in the cell directory. */
  trainingMetrics: Array<Record<string, number | string>>;
  checkpoints: Array<{ name: string; wordsSeen: number; results: EvaluationResult[] }>;
}

export interface Reporter {
  readonly name: string;
  /** Write report files into `outDir`; returns their paths. */
  report(cells: CellResults[], outDir: string): Promise<string[]>;
}
