/**
 * `results.json`, the record of one finished evaluation. The runner writes it once, atomically, after the
 * evaluator returned; the resume check and the report read it. Its name, shape and parser live here:
 *
 *   { task, evaluator, metric, score, groups, extra, itemCount, files,   the EvaluationResult
 *     details: { ... },                                                  what the evaluator returned besides
 *     model: ModelInfo,                                                  the model that was evaluated
 *     seed?,                                                             the seed the evaluator was given, if any
 *     completed: { at, seconds } }                                       when the runner finished it
 *
 * A NaN score is written by JSON.stringify as `null` and reads back as NaN.
 */
import { DataError } from '../util/errors.js';
import { requireStringField, typeOf } from '../util/json.js';
import type { EvaluationOutput, EvaluationResult } from './evaluator.js';
import type { ModelInfo } from './language-model.js';

export const RESULTS_FILE = 'results.json';

export interface EvaluationCompletion {
  /** ISO time the runner finished the evaluation. */
  at: string;
  seconds: number;
  /** Only the first `limit` items of each data file were evaluated (`eval --limit`): not a full score. */
  limit?: number;
}

export interface ResultsRecord extends EvaluationResult {
  details: Record<string, unknown>;
  model: ModelInfo;
  /** The seed the evaluator was given (`EvaluationContext.seed`); absent when it was given none (zero-shot). */
  seed?: number;
  completed: EvaluationCompletion;
}

/** The record the runner writes for an evaluator's output (`files` gains results.json itself). */
export function resultsRecord(output: EvaluationOutput, model: ModelInfo, completed: EvaluationCompletion, seed?: number): ResultsRecord {
  const { result, details } = output;
  return { ...result, files: [...new Set([...result.files, RESULTS_FILE])], details, model, ...(seed !== undefined ? { seed } : {}), completed };
}

/** The `EvaluationResult` fields of a parsed results.json, validated; a bad field is a DataError naming it. */
export function parseEvaluationResult(json: Record<string, unknown>, file: string): EvaluationResult {
  const score = json['score'];
  if (score !== null && (typeof score !== 'number' || !Number.isFinite(score))) {
    throw new DataError(score === undefined ? 'missing field' : `expected a number, got ${typeOf(score)}`, { file, field: 'score' });
  }
  const itemCount = json['itemCount'];
  if (typeof itemCount !== 'number' || !Number.isInteger(itemCount) || itemCount < 0) {
    throw new DataError(itemCount === undefined ? 'missing field' : `expected a non-negative integer, got ${JSON.stringify(itemCount)}`, { file, field: 'itemCount' });
  }
  const files = json['files'];
  if (!Array.isArray(files) || files.some((f) => typeof f !== 'string')) {
    throw new DataError(files === undefined ? 'missing field' : 'expected an array of strings', { file, field: 'files' });
  }
  return {
    task: requireStringField(json, 'task', file),
    evaluator: requireStringField(json, 'evaluator', file),
    metric: requireStringField(json, 'metric', file),
    score: score === null ? Number.NaN : score,
    groups: numberRecord(json, 'groups', file),
    extra: numberRecord(json, 'extra', file),
    itemCount,
    files: files as string[],
  };
}

/**
 * The result of a results.json the runner finished, or `undefined` when the file has no `completed` block (a
 * file from before the runner finished, e.g. one an evaluator of an older version wrote itself).
 */
export function parseCompletedResult(json: Record<string, unknown>, file: string): EvaluationResult | undefined {
  const completed = json['completed'];
  if (completed === undefined) return undefined;
  if (completed === null || typeof completed !== 'object' || Array.isArray(completed)) {
    throw new DataError(`expected an object, got ${typeOf(completed)}`, { file, field: 'completed' });
  }
  const at = (completed as Record<string, unknown>)['at'];
  if (typeof at !== 'string') throw new DataError(`expected a time string, got ${typeOf(at)}`, { file, field: 'completed.at' });
  return parseEvaluationResult(json, file);
}

function numberRecord(json: Record<string, unknown>, field: string, file: string): Record<string, number> {
  const v = json[field];
  if (v === undefined) throw new DataError('missing field', { file, field });
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new DataError(`expected an object, got ${typeOf(v)}`, { file, field });
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(v)) {
    if (value === null) out[key] = Number.NaN;
    else if (typeof value === 'number') out[key] = value;
    else throw new DataError(`expected a number, got ${typeOf(value)}`, { file, field: `${field}.${key}` });
  }
  return out;
}
