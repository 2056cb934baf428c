/** Reading JSON files with errors that name the file (and the field for type checks). */
import { promises as fs } from 'node:fs';
import { DataError } from './errors.js';

/** A value's JSON type name for error messages: `null`, `array`, `string`, `number`, `object`, ... */
export function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Parse JSON text, or throw a DataError naming `file`. */
export function parseJsonText<T = unknown>(text: string, file: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new DataError(`invalid JSON (${(err as Error).message})`, { file });
  }
}

/** Read and parse a JSON file, or throw a DataError naming it (missing file and invalid JSON alike). */
export async function readJsonFile<T = unknown>(file: string): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? 'file not found' : `cannot read (${(err as Error).message})`, { file });
  }
  return parseJsonText<T>(text, file);
}

/** A parsed JSON value that must be an object, or a DataError naming `file`. */
export function asJsonObject(value: unknown, file: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DataError(`expected a JSON object, got ${typeOf(value)}`, { file });
  }
  return value as Record<string, unknown>;
}

/** Read a JSON file that must hold an object, or throw a DataError naming it. */
export async function readJsonObject(file: string): Promise<Record<string, unknown>> {
  return asJsonObject(await readJsonFile(file), file);
}

/** Read a JSON file when it exists; `undefined` when it does not (other errors still throw, naming the file). */
export async function readJsonIfExists<T = unknown>(file: string): Promise<T | undefined> {
  try {
    await fs.access(file);
  } catch {
    return undefined;
  }
  return readJsonFile<T>(file);
}

/** Read a JSON file that must hold an object when it exists; `undefined` when it does not. */
export async function readJsonObjectIfExists(file: string): Promise<Record<string, unknown> | undefined> {
  const value = await readJsonIfExists(file);
  return value === undefined ? undefined : asJsonObject(value, file);
}

/** A non-empty string field of a JSON object, or a DataError naming the file and field. */
export function requireStringField(json: Record<string, unknown>, field: string, file: string): string {
  const v = json[field];
  if (typeof v !== 'string' || v === '') {
    throw new DataError(v === undefined ? 'missing field' : `expected a non-empty string, got ${typeOf(v)}`, { file, field });
  }
  return v;
}
