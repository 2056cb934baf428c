/** JSONL, one JSON object per line, with errors that name the file and line. Files are streamed (see lines.ts). */
import { DataError, typeOf } from '@class-it/core';
import { readTextLines, type TextLineOptions } from './lines.js';

export interface JsonlRow<T = Record<string, unknown>> {
  line: number;
  value: T;
}

/** The rows of a JSONL file; the first bad line (invalid UTF-8 or JSON, too long, not an object) throws. */
export async function readJsonl(file: string, options: TextLineOptions = {}): Promise<Array<JsonlRow>> {
  const rows: Array<JsonlRow> = [];
  for await (const l of readTextLines(file, options)) {
    if (l.error) throw l.error;
    if (l.text.trim() !== '') rows.push({ line: l.line, value: parseJsonlLine(l.text, file, l.line) });
  }
  return rows;
}

export function parseJsonl(text: string, file: string): Array<JsonlRow> {
  const rows: Array<JsonlRow> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() !== '') rows.push({ line: i + 1, value: parseJsonlLine(raw, file, i + 1) });
  }
  return rows;
}

/** One non-blank JSONL line as an object, or a DataError naming file and line. */
export function parseJsonlLine(raw: string, file: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new DataError(`invalid JSON (${(err as Error).message})`, { file, line });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DataError('expected a JSON object on this line', { file, line });
  }
  return value as Record<string, unknown>;
}

/** Read a required string field of a JSONL row (`nonEmpty`: not ''), or throw a DataError naming file, line and field. */
export function stringField(row: JsonlRow, field: string, file: string, options: { nonEmpty?: boolean } = {}): string {
  const v = row.value[field];
  if (typeof v !== 'string') {
    throw new DataError(v === undefined ? 'missing field' : `expected a string, got ${typeOf(v)}`, { file, line: row.line, field });
  }
  if (options.nonEmpty && v === '') throw new DataError('expected a non-empty string', { file, line: row.line, field });
  return v;
}

export function numberField(row: JsonlRow, field: string, file: string): number {
  const v = row.value[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new DataError(v === undefined ? 'missing field' : `expected a finite number, got ${typeOf(v)}`, { file, line: row.line, field });
  }
  return v;
}
