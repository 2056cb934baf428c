/**
 * Read a run directory into `CellResults`:
 *
 *   <runDir>/cells/<model>__<condition>__seed<seed>/
 *     cell.json                                   {model, condition, seed, status: "done"|"failed", error?, ...}
 *     train/metrics.jsonl                         {step, stage, loss, lr, grad_norm, tokens_per_s, words_seen, ...}
 *     eval/<task>/results.json                    core's ResultsRecord (an EvaluationResult plus details)
 *     checkpoints/chck_{N}M/eval/<task>/results.json   fast evaluations at words-seen milestones
 *     samples.json                                core's SamplesRecord: answers to the experiment's report.samples
 *
 * A cell directory without `cell.json` (not finished yet) is skipped; a file that exists but is malformed is a
 * `DataError` naming the file and field.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { EvaluationResult } from '@class-it/core';
import type { CellResults, CellTaskOutcome } from '@class-it/core';
import { DataError, RESULTS_FILE, SAMPLES_FILE, parseEvaluationResult, parseSamplesRecord, readJsonObjectIfExists, requireStringField } from '@class-it/core';
import { parseJsonl } from '@class-it/data-sources';
import { listMilestoneCheckpoints, typeOf } from '@class-it/core';


export async function loadRunResults(runDir: string): Promise<CellResults[]> {
  const cellsDir = path.join(runDir, 'cells');
  const entries = await readDirOrNull(cellsDir);
  if (entries === null) throw new DataError('no cells directory: is this a class-it run directory?', { file: cellsDir });
  const cells: CellResults[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const cell = await loadCell(path.join(cellsDir, entry.name));
    if (cell) cells.push(cell);
  }
  return cells;
}

/** One cell directory, or null when it has no `cell.json` or its status says it is not finished. */
export async function loadCell(cellDir: string): Promise<CellResults | null> {
  const cellFile = path.join(cellDir, 'cell.json');
  const cellJson = await readJsonObjectIfExists(cellFile);
  if (cellJson === undefined) return null;
  const model = requireStringField(cellJson, 'model', cellFile);
  const condition = requireStringField(cellJson, 'condition', cellFile);
  const seed = cellJson['seed'];
  if (typeof seed !== 'number' || !Number.isInteger(seed)) {
    throw new DataError(seed === undefined ? 'missing field' : `expected an integer, got ${typeOf(seed)}`, { file: cellFile, field: 'seed' });
  }
  const status = cellJson['status'];
  if (status === 'running' || status === 'pending') return null;
  if (status !== 'done' && status !== 'failed') {
    throw new DataError(`expected "done" or "failed", got ${JSON.stringify(status)}`, { file: cellFile, field: 'status' });
  }
  const error = typeof cellJson['error'] === 'string' ? cellJson['error'] : undefined;
  const tasks = parseTaskOutcomes(cellJson['tasks'], cellFile);
  const samplesFile = path.join(cellDir, SAMPLES_FILE);
  const samples = await readJsonObjectIfExists(samplesFile);
  const modelDir = typeof cellJson['modelDir'] === 'string' ? cellJson['modelDir'] : undefined;
  const records = await loadEvalRecords(path.join(cellDir, 'eval'));
  return {
    cell: { model, condition, seed },
    status,
    ...(error !== undefined ? { error } : {}),
    ...(tasks !== undefined ? { tasks } : {}),
    results: records.map((r) => r.result),
    evaluated: Object.fromEntries(records.map((r) => [r.result.task, evaluatedModel(r.json, modelDir, r.file)])),
    trainingMetrics: await loadTrainingMetrics(path.join(cellDir, 'train', 'metrics.jsonl')),
    checkpoints: await loadCheckpoints(cellDir),
    ...(samples !== undefined ? { samples: parseSamplesRecord(samples, samplesFile).samples } : {}),
  };
}

/** `cell.json` `tasks`: each evaluation's outcome (done, skipped with its reason, failed with its error). */
function parseTaskOutcomes(value: unknown, file: string): Record<string, CellTaskOutcome> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DataError(`expected an object, got ${typeOf(value)}`, { file, field: 'tasks' });
  const out: Record<string, CellTaskOutcome> = {};
  for (const [task, raw] of Object.entries(value)) {
    const field = `tasks.${task}`;
    const outcome = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const text = (key: string): string => {
      const v = outcome[key];
      if (typeof v !== 'string') throw new DataError(v === undefined ? 'missing field' : `expected a string, got ${typeOf(v)}`, { file, field: `${field}.${key}` });
      return v;
    };
    if (outcome['status'] === 'done') out[task] = { status: 'done' };
    else if (outcome['status'] === 'skipped') out[task] = { status: 'skipped', reason: text('reason') };
    else if (outcome['status'] === 'failed') out[task] = { status: 'failed', error: text('error') };
    else throw new DataError(`expected a status "done", "skipped" or "failed", got ${JSON.stringify(outcome['status'])}`, { file, field: `${field}.status` });
  }
  return out;
}

/** Every `<evalDir>/<task>/results.json`, sorted by task. */
export async function loadEvalDir(evalDir: string): Promise<EvaluationResult[]> {
  return (await loadEvalRecords(evalDir)).map((r) => r.result);
}

async function loadEvalRecords(evalDir: string): Promise<Array<{ result: EvaluationResult; json: Record<string, unknown>; file: string }>> {
  const entries = (await readDirOrNull(evalDir)) ?? [];
  const records: Array<{ result: EvaluationResult; json: Record<string, unknown>; file: string }> = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = path.join(evalDir, entry.name, RESULTS_FILE);
    const json = await readJsonObjectIfExists(file);
    if (json !== undefined) records.push({ result: parseEvaluationResult(json, file), json, file });
  }
  return records;
}

/** What a results.json evaluated: the model directory the runner recorded in cell.json (`modelDir`) and the record's
 *  `seed`, if any. Without a recorded directory (a cell written by another tool), the file itself: it counts on its own
 *  (results.json `model.source` is no identity: a fresh model's is its preset name). */
function evaluatedModel(json: Record<string, unknown>, modelDir: string | undefined, file: string): { model: string; seed?: number } {
  const seed = json['seed'];
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed))) {
    throw new DataError(`expected an integer, got ${typeOf(seed)}`, { file, field: 'seed' });
  }
  return { model: modelDir ?? file, ...(seed !== undefined ? { seed } : {}) };
}

/** Rows of `train/metrics.jsonl` (numbers and strings kept, nulls dropped); `step` must be a number. */
export async function loadTrainingMetrics(file: string): Promise<Array<Record<string, number | string>>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return parseJsonl(text, file).map((row) => {
    const out: Record<string, number | string> = {};
    for (const [key, value] of Object.entries(row.value)) {
      if (value === null) continue;
      if (typeof value === 'number' || typeof value === 'string') out[key] = value;
      else throw new DataError(`expected a number or string, got ${typeOf(value)}`, { file, line: row.line, field: key });
    }
    if (typeof out['step'] !== 'number') {
      throw new DataError(out['step'] === undefined ? 'missing field' : `expected a number, got ${typeOf(out['step'])}`, { file, line: row.line, field: 'step' });
    }
    return out;
  });
}

/** Checkpoints `chck_{N}M` under `<cell>/checkpoints` or `<cell>/train/checkpoints`, sorted by words seen. */
async function loadCheckpoints(cellDir: string): Promise<CellResults['checkpoints']> {
  const found = new Map<string, CellResults['checkpoints'][number]>();
  for (const dir of [path.join(cellDir, 'checkpoints'), path.join(cellDir, 'train', 'checkpoints')]) {
    for (const chk of await listMilestoneCheckpoints(dir, 0)) {
      if (found.has(chk.name)) continue;
      const results = await loadEvalDir(path.join(chk.dir, 'eval'));
      if (results.length > 0) found.set(chk.name, { name: chk.name, wordsSeen: chk.words, results });
    }
  }
  return [...found.values()].sort((a, b) => a.wordsSeen - b.wordsSeen);
}

async function readDirOrNull(dir: string) {
  try {
    return await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}
