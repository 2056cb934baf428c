/** Reporters turn the per-cell results of a run into tables, figures and pages. */
import type { EvaluationResult } from './evaluator.js';
import type { GeneratedSample } from './samples.js';

/** One cell of an experiment grid: a model × condition × seed. */
export interface CellKey {
  model: string;
  condition: string;
  seed: number;
}

/** What happened to one evaluation of a cell (`cell.json` `tasks`: `<task>`, or `<chck_NM>/<task>` for a learning-curve point). */
export type CellTaskOutcome =
  | { status: 'done' }
  /** Not run: e.g. an `optional: true` task whose data is missing. */
  | { status: 'skipped'; reason: string }
  /** It threw; the cell's other tasks still ran, and the cell is `failed` until a rerun succeeds. */
  | { status: 'failed'; error: string };

export interface CellResults {
  cell: CellKey;
  /** From the cell's `cell.json`; a failed cell is listed in reports, and the scores it has (its evaluations that
   *  succeeded) count like any other cell's. */
  status?: 'done' | 'failed';
  error?: string;
  /** Every evaluation of the cell and what became of it, from `cell.json` (absent in cells written before it). */
  tasks?: Record<string, CellTaskOutcome>;
  results: EvaluationResult[];
  /**
   * What each result of `results` evaluated, by task: the model directory (cell.json `modelDir`; without it the
   * results file, unique) and the seed the evaluator was given (results.json `seed`; none for zero-shot tasks). Two cells
   * of a condition with the same entry for a task hold one evaluation of one model (baseline cells of a shared base
   * model): the report counts it once. Absent (results written by other tools): every cell counts on its own.
   */
  evaluated?: Record<string, { model: string; seed?: number }>;
  /** Training curves and learning curves found in the cell directory. */
  trainingMetrics: Array<Record<string, number | string>>;
  checkpoints: Array<{ name: string; wordsSeen: number; results: EvaluationResult[] }>;
  /** The cell's greedy answers to the experiment's `report.samples` prompts (its `samples.json`), when it has them. */
  samples?: GeneratedSample[];
}

export interface Reporter {
  readonly name: string;
  /** Write report files into `outDir`; returns their paths. */
  report(cells: CellResults[], outDir: string): Promise<string[]>;
}
