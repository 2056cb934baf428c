/** Reading BabyLM JSONL files: every bad line or field becomes a DataError naming file, line and field. */
import { promises as fs } from 'node:fs';
import { DataError, typeOf } from '@class-it/core';
import { parseJsonl, type JsonlRow } from '@class-it/data-sources';

export type { JsonlRow };

/** Parse JSONL text; `file` is the name used in error messages (a path, or `zip!entry`). `limit`: only the first
 *  `limit` rows (`eval --limit`, the context's `limit`). */
export function parseJsonlText(text: string, file: string, limit?: number): JsonlRow[] {
  return firstRows(parseJsonl(text, file), limit);
}

/** The first `limit` rows, in file order (all when `limit` is undefined). */
export function firstRows<T>(rows: T[], limit?: number): T[] {
  return limit === undefined ? rows : rows.slice(0, limit);
}

export async function readJsonlFile(file: string, limit?: number): Promise<JsonlRow[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read file (${(err as Error).message})`, { file }, { cause: err });
  }
  return firstRows(parseJsonl(text, file), limit);
}

function fieldError(row: JsonlRow, file: string, field: string, expected: string): DataError {
  const v = row.value[field];
  return new DataError(v === undefined ? 'missing field' : `expected ${expected}, got ${typeOf(v)}`, { file, line: row.line, field });
}

export function requireString(row: JsonlRow, field: string, file: string): string {
  const v = row.value[field];
  if (typeof v !== 'string') throw fieldError(row, file, field, 'a string');
  return v;
}

export function requireNumber(row: JsonlRow, field: string, file: string): number {
  const v = row.value[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw fieldError(row, file, field, 'a finite number');
  return v;
}

export function requireInteger(row: JsonlRow, field: string, file: string): number {
  const v = row.value[field];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw fieldError(row, file, field, 'an integer');
  return v;
}

export function requireStringArray(row: JsonlRow, field: string, file: string, minLength = 1): string[] {
  const v = row.value[field];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw fieldError(row, file, field, 'an array of strings');
  if (v.length < minLength) {
    throw new DataError(`expected at least ${minLength} strings, got ${v.length}`, { file, line: row.line, field });
  }
  return v as string[];
}
