/**
 * Read a run directory into `CellResults`:
 *
 *   <runDir>/cells/<model>__<condition>__seed<seed>/
 *     cell.json                                   {model, condition, seed, status: "done"|"failed", error?, ...}
 *     train/metrics.jsonl                         {step, stage, loss, lr, grad_norm, tokens_per_s, words_seen, ...}
 *     eval/<task>/results.json                    an EvaluationResult (plus any extra top-level fields)
 *     checkpoints/chck_{N}M/eval/<task>/results.json   fast evaluations at words-seen milestones
 *
 * A cell directory without `cell.json` (not finished yet) is skipped; a file that exists but is malformed is a
 * `DataError` naming the file and field.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { EvaluationResult } from '@class-it/core';
import type { CellResults } from '@class-it/core';
import { DataError } from '@class-it/core';
import { parseJsonl } from '@class-it/data-sources';
import { typeOf } from '@class-it/core';

const CHECKPOINT_NAME = /^chck_(\d+(?:\.\d+)?)M$/;

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
  const cellJson = await readJsonOrNull(cellFile);
  if (cellJson === null) return null;
  const model = requireString(cellJson, 'model', cellFile);
  const condition = requireString(cellJson, 'condition', cellFile);
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
  return {
    cell: { model, condition, seed },
    status,
    ...(error !== undefined ? { error } : {}),
    results: await loadEvalDir(path.join(cellDir, 'eval')),
    trainingMetrics: await loadTrainingMetrics(path.join(cellDir, 'train', 'metrics.jsonl')),
    checkpoints: await loadCheckpoints(cellDir),
  };
}

/** Every `<evalDir>/<task>/results.json`, sorted by task. */
export async function loadEvalDir(evalDir: string): Promise<EvaluationResult[]> {
  const entries = (await readDirOrNull(evalDir)) ?? [];
  const results: EvaluationResult[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = path.join(evalDir, entry.name, 'results.json');
    const json = await readJsonOrNull(file);
    if (json !== null) results.push(parseEvaluationResult(json, file));
  }
  return results;
}

/** Validate the `EvaluationResult` fields of a results.json. JSON `null` (a NaN written by JSON.stringify) reads as NaN. */
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
    task: requireString(json, 'task', file),
    evaluator: requireString(json, 'evaluator', file),
    metric: requireString(json, 'metric', file),
    score: score === null ? Number.NaN : score,
    groups: numberRecord(json, 'groups', file),
    extra: numberRecord(json, 'extra', file),
    itemCount,
    files: files as string[],
  };
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
    for (const entry of (await readDirOrNull(dir)) ?? []) {
      const match = CHECKPOINT_NAME.exec(entry.name);
      if (!entry.isDirectory() || !match || found.has(entry.name)) continue;
      const results = await loadEvalDir(path.join(dir, entry.name, 'eval'));
      if (results.length > 0) found.set(entry.name, { name: entry.name, wordsSeen: Math.round(Number(match[1]) * 1e6), results });
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

async function readJsonOrNull(file: string): Promise<Record<string, unknown> | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DataError(`invalid JSON (${(err as Error).message})`, { file });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DataError(`expected a JSON object, got ${typeOf(value)}`, { file });
  }
  return value as Record<string, unknown>;
}

function requireString(json: Record<string, unknown>, field: string, file: string): string {
  const v = json[field];
  if (typeof v !== 'string' || v === '') {
    throw new DataError(v === undefined ? 'missing field' : `expected a non-empty string, got ${typeOf(v)}`, { file, field });
  }
  return v;
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
