/**
 * Run one evaluation task on a model through the evaluator plugin that serves it, and write its
 * `<outDir>/results.json` (core's `ResultsRecord`: the result, the evaluator's details, the model and the
 * completion time) once, atomically, after the evaluator returned. The evaluator writes only its reference files.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  ConfigError, RESULTS_FILE, parseCompletedResult, readJsonObjectIfExists, resultsRecord, writeJsonAtomic,
  type EvaluationResult, type EvaluatorKind, type PluginRegistry, type TrainableModel,
} from '@class-it/core';

export interface EvaluationRequest {
  task: string;
  /** The kind of evaluation the caller runs (`eval`: zero-shot, `finetune`: fine-tuning); any when unset. */
  kind?: EvaluatorKind;
  dataDir: string;
  outDir: string;
  fast: boolean;
  /** Only the first `limit` items of each data file (`eval --limit`). */
  limit?: number;
  settings?: Record<string, unknown>;
  /** The evaluation's seed (`EvaluationContext.seed`, recorded in results.json); the evaluator's default when unset. */
  seed?: number;
  log?: (line: string) => void;
  onProgress?: (done: number, total: number) => void;
}

export async function runEvaluation(registry: PluginRegistry, model: TrainableModel, req: EvaluationRequest): Promise<EvaluationResult> {
  const evaluator = registry.evaluatorFor(req.task);
  if (req.kind && evaluator.kind !== req.kind) {
    const command = evaluator.kind === 'zero-shot' ? 'class-it eval' : 'class-it finetune';
    throw new ConfigError(`task '${req.task}' is a ${evaluator.kind} evaluation (evaluator '${evaluator.name}'), not ${req.kind}: run it with ${command}`, { field: 'task' });
  }
  await fs.mkdir(req.outDir, { recursive: true });
  const started = Date.now();
  // A zero-shot evaluator's contract sees only the LanguageModel part of the model; a fine-tuning one all of it.
  const output = await evaluator.evaluate({
    task: req.task,
    model,
    dataDir: req.dataDir,
    outDir: req.outDir,
    fast: req.fast,
    limit: req.limit,
    settings: req.settings ?? {},
    ...(req.seed !== undefined ? { seed: req.seed } : {}),
    log: req.log ?? (() => {}),
    onProgress: req.onProgress,
  });
  const completed = { at: new Date().toISOString(), seconds: (Date.now() - started) / 1000, ...(req.limit ? { limit: req.limit } : {}) };
  await writeJsonAtomic(path.join(req.outDir, RESULTS_FILE), resultsRecord(output, model.info, completed, req.seed));
  return output.result;
}

/**
 * The result of a task `runEvaluation` finished in `outDir` (used to skip finished work on resume): `undefined`
 * when there is no results.json or it lacks the `completed` block only the runner writes.
 */
export async function readEvaluationResult(outDir: string): Promise<EvaluationResult | undefined> {
  const file = path.join(outDir, RESULTS_FILE);
  const json = await readJsonObjectIfExists(file);
  return json === undefined ? undefined : parseCompletedResult(json, file);
}
