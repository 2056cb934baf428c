/**
 * One way to read rows from local data files, whatever their format: JSONL, JSON (an array of objects), CSV/TSV
 * or parquet. Every row carries its file and 1-based line (JSONL, CSV) or row number (parquet, JSON arrays), so a
 * bad field can be reported precisely.
 */
import path from 'node:path';
import { DataError, type Location } from '@class-it/core';
import { typeOf } from '@class-it/core';
import { parseJsonlLine } from './jsonl.js';
import { readCsvRows } from './csv.js';
import { readText, readTextLines } from './lines.js';
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

/**
 * Stream the rows of one file. A row that cannot be read (invalid JSON or UTF-8, a line longer than
 * `maxLineBytes`, a malformed CSV record, a JSON array element that is no object) comes with `error` set, for the
 * caller's bad-row policy. `text` files are not row data (use a transcript/text reader).
 */
export async function* readDataRows(file: string, options: { format?: DataFormat; columns?: string[]; maxLineBytes?: number } = {}): AsyncGenerator<DataRow> {
  const format = formatOf(file, options.format);
  const bad = (line: number, error: DataError): DataRow => ({ file, line, value: {}, error });
  if (format === 'parquet') {
    for await (const r of readParquetRows(file, { columns: options.columns })) yield { file, line: r.row, value: r.value };
  } else if (format === 'text') {
    throw new DataError('a plain-text file holds no rows; this dataset needs jsonl, json, csv or parquet', { file });
  } else if (format === 'jsonl') {
    for await (const l of readTextLines(file, { maxLineBytes: options.maxLineBytes })) {
      if (l.error) {
        yield bad(l.line, l.error);
        continue;
      }
      if (l.text.trim() === '') continue;
      try {
        yield { file, line: l.line, value: parseJsonlLine(l.text, file, l.line) };
      } catch (err) {
        if (!(err instanceof DataError)) throw err;
        yield bad(l.line, err);
      }
    }
  } else if (format === 'json') {
    const text = await readText(file);
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
      if (v === null || typeof v !== 'object' || Array.isArray(v)) yield bad(i + 1, new DataError(`expected an object, got ${typeOf(v)}`, { file, line: i + 1 }));
      else yield { file, line: i + 1, value: v as Record<string, unknown> };
    }
  } else {
    for await (const r of readCsvRows(file, { delimiter: format === 'tsv' ? '\t' : ',', maxLineBytes: options.maxLineBytes })) {
      yield r.error ? bad(r.line, r.error) : { file, line: r.line, value: r.value };
    }
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
