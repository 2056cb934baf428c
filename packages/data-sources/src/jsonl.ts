/** Line-by-line JSONL reading with errors that name the file and line. */
import { promises as fs } from 'node:fs';
import { DataError, typeOf } from '@class-it/core';

export interface JsonlRow<T = Record<string, unknown>> {
  line: number;
  value: T;
}

export async function readJsonl(file: string): Promise<Array<JsonlRow>> {
  const text = await fs.readFile(file, 'utf8');
  return parseJsonl(text, file);
}

export function parseJsonl(text: string, file: string): Array<JsonlRow> {
  const rows: Array<JsonlRow> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new DataError(`invalid JSON (${(err as Error).message})`, { file, line: i + 1 });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new DataError('expected a JSON object on this line', { file, line: i + 1 });
    }
    rows.push({ line: i + 1, value: value as Record<string, unknown> });
  }
  return rows;
}

/** Read a required string field of a JSONL row, or throw a DataError naming file, line and field. */
export function stringField(row: JsonlRow, field: string, file: string): string {
  const v = row.value[field];
  if (typeof v !== 'string') {
    throw new DataError(v === undefined ? 'missing field' : `expected a string, got ${typeOf(v)}`, { file, line: row.line, field });
  }
  return v;
}

export function numberField(row: JsonlRow, field: string, file: string): number {
  const v = row.value[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new DataError(v === undefined ? 'missing field' : `expected a finite number, got ${typeOf(v)}`, { file, line: row.line, field });
  }
  return v;
}
