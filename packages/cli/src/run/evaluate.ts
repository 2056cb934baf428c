/**
 * Run one evaluation task on a model through the evaluator plugin that serves it, and make sure
 * `<outDir>/results.json` carries the typed `EvaluationResult` fields (merged over whatever the evaluator wrote).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { EvaluationResult } from '@class-it/core';
import type { TrainableModel } from '@class-it/core';
import type { PluginRegistry } from '@class-it/core';
import { writeJsonAtomic } from '@class-it/core';

export interface EvaluationRequest {
  task: string;
  dataDir: string;
  outDir: string;
  fast: boolean;
  settings?: Record<string, unknown>;
  log?: (line: string) => void;
  onProgress?: (done: number, total: number) => void;
}

export async function runEvaluation(registry: PluginRegistry, model: TrainableModel, req: EvaluationRequest): Promise<EvaluationResult> {
  const evaluator = registry.evaluatorFor(req.task);
  await fs.mkdir(req.outDir, { recursive: true });
  const started = Date.now();
  const result = await evaluator.evaluate({
    task: req.task,
    model,
    dataDir: req.dataDir,
    outDir: req.outDir,
    fast: req.fast,
    settings: req.settings ?? {},
    log: req.log ?? (() => {}),
    onProgress: req.onProgress,
  });
  const file = path.join(req.outDir, 'results.json');
  let written: Record<string, unknown> = {};
  try {
    written = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // the evaluator wrote none: ours is the whole file
  }
  await writeJsonAtomic(file, {
    ...written,
    ...result,
    files: [...new Set([...result.files, 'results.json'])],
    model: model.info,
    // Written only here, after the evaluator returned: marks the task as finished for a resumed run.
    completed: { at: new Date().toISOString(), seconds: (Date.now() - started) / 1000 },
  });
  return result;
}

/** Read back a results.json written by `runEvaluation` (used to skip finished work on resume). */
export async function readEvaluationResult(outDir: string): Promise<EvaluationResult | undefined> {
  try {
    const value = JSON.parse(await fs.readFile(path.join(outDir, 'results.json'), 'utf8')) as EvaluationResult & { completed?: { at?: unknown } };
    // `completed` is added only by runEvaluation's final write: an evaluator's own file from a killed run does not count.
    return typeof value.score === 'number' && typeof value.task === 'string' && typeof value.completed?.at === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
