/**
 * One way to read rows from local data files, whatever their format: JSONL, JSON (an array of objects), CSV/TSV
 * or parquet. Every row carries its file and 1-based line (JSONL, CSV) or row number (parquet, JSON arrays), so a
 * bad field can be reported precisely.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DataError, type Location } from '@class-it/core';
import { typeOf } from '@class-it/core';
import { parseJsonl } from './jsonl.js';
import { parseCsv } from './csv.js';
import { readParquetRows } from './parquet.js';

export type DataFormat = 'jsonl' | 'json' | 'csv' | 'tsv' | 'parquet' | 'text';

export interface DataRow {
  file: string;
  /** 1-based line (JSONL, CSV) or row number (parquet, JSON array). */
  line: number;
  value: Record<string, unknown>;
  /** Set when the row itself could not be parsed (e.g. invalid JSON on a JSONL line): a bad row for the policy. */
  error?: DataError;
}

export function formatOf(file: string, explicit?: DataFormat): DataFormat {
  if (explicit) return explicit;
  const name = file.toLowerCase().replace(/\.(gz)$/, '');
  const ext = path.extname(name);
  switch (ext) {
    case '.jsonl':
    case '.ndjson':
      return 'jsonl';
    case '.json':
      return 'json';
    case '.csv':
      return 'csv';
    case '.tsv':
      return 'tsv';
    case '.parquet':
      return 'parquet';
    case '.txt':
      return 'text';
    default:
      throw new DataError(`cannot tell the format from the extension '${ext || '(none)'}': set 'format' to jsonl, json, csv, tsv or parquet`, { file });
  }
}

/** Stream the rows of one file. `text` files are not row data (use a transcript/text reader). */
export async function* readDataRows(file: string, options: { format?: DataFormat; columns?: string[] } = {}): AsyncGenerator<DataRow> {
  const format = formatOf(file, options.format);
  if (format === 'parquet') {
    for await (const r of readParquetRows(file, { columns: options.columns })) yield { file, line: r.row, value: r.value };
    return;
  }
  if (format === 'text') throw new DataError('a plain-text file holds no rows; this dataset needs jsonl, json, csv or parquet', { file });
  const text = await readText(file);
  if (format === 'jsonl') {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.trim() === '') continue;
      try {
        const [r] = parseJsonl(lines[i]!, file);
        yield { file, line: i + 1, value: r!.value };
      } catch (err) {
        if (!(err instanceof DataError)) throw err;
        yield { file, line: i + 1, value: {}, error: new DataError(err.message.replace(/^.*?:1: /, ''), { file, line: i + 1 }) };
      }
    }
  } else if (format === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new DataError(`invalid JSON (${(err as Error).message})`, { file });
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { data?: unknown })?.data;
    if (!Array.isArray(list)) throw new DataError('expected a JSON array of objects (or an object with a "data" array)', { file });
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new DataError(`expected an object, got ${typeOf(v)}`, { file, line: i + 1 });
      yield { file, line: i + 1, value: v as Record<string, unknown> };
    }
  } else {
    for (const r of parseCsv(text, file, format === 'tsv' ? '\t' : ',')) yield { file, line: r.line, value: r.value };
  }
}

export async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? (err as Error).message})`, { file });
  }
}

export function rowLocation(row: DataRow, field?: string): Location {
  return { file: row.file, line: row.line, field };
}

/** A required non-empty string field, or a DataError naming file, row and field. */
export function requireString(row: DataRow, field: string, options: { allowEmpty?: boolean } = {}): string {
  const v = row.value[field];
  if (typeof v !== 'string') {
    throw new DataError(v === undefined || v === null ? 'missing field' : `expected a string, got ${typeOf(v)}`, rowLocation(row, field));
  }
  if (!options.allowEmpty && v.trim() === '') throw new DataError('empty string', rowLocation(row, field));
  return v;
}

/** An optional string field (undefined/null/missing → undefined). */
export function optionalString(row: DataRow, field: string): string | undefined {
  const v = row.value[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new DataError(`expected a string, got ${typeOf(v)}`, rowLocation(row, field));
  return v;
}
