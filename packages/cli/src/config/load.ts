/**
 * Load a YAML or JSON settings file and validate it with a zod schema. Every problem is reported with the file,
 * the line of the offending node and the dotted path of the field, and what was expected.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '@class-it/core';

export interface LoadedConfig<T> {
  file: string;
  value: T;
  /** Directory of the file: relative paths in it resolve against this. */
  baseDir: string;
  /** The line of a field (or of its deepest part present in the file), for errors found after parsing. */
  lineOf(fieldPath: ReadonlyArray<PropertyKey>): number | undefined;
}

/**
 * A ConfigError about a field of a loaded file: names the file, the field's line and its dotted path. `fieldPath`
 * may end in a plugin's own relative field (`a.b.0` as `parseSettings` reports it), which is split into the path.
 */
export function fieldError(config: Pick<LoadedConfig<unknown>, 'file' | 'lineOf'>, fieldPath: ReadonlyArray<PropertyKey>, message: string): ConfigError {
  return new ConfigError(message, { file: config.file, line: config.lineOf(fieldPath), field: formatPath(fieldPath) });
}

/** `a.b[0].c` from a zod issue path. */
export function formatPath(p: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of p) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

export async function loadConfigFile<S extends z.ZodType>(file: string, schema: S): Promise<LoadedConfig<z.infer<S>>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read experiment file: ${(err as Error).message}`, { file });
  }
  return parseConfigText(text, file, schema);
}

export function parseConfigText<S extends z.ZodType>(text: string, file: string, schema: S): LoadedConfig<z.infer<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new ConfigError(`not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${e.message.split('\n')[0]}`, { file, line });
  }
  const raw: unknown = doc.toJS();
  // The deepest node of a path that exists in the document gives the line.
  const lineOf = (fieldPath: ReadonlyArray<PropertyKey>): number | undefined => {
    for (let n = fieldPath.length; n >= 0; n--) {
      const node = doc.getIn(fieldPath.slice(0, n) as Array<string | number>, true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return { file, value: parsed.data, baseDir: path.dirname(path.resolve(file)), lineOf };

  const problems = parsed.error.issues.map((issue) => {
    const fieldPath = issue.path as PropertyKey[];
    return { line: lineOf(fieldPath), field: formatPath(fieldPath), message: issue.message };
  });
  const first = problems[0]!;
  const more = problems.slice(1).map((p) => `\n  ${file}${p.line ? `:${p.line}` : ''}, field '${p.field}': ${p.message}`).join('');
  throw new ConfigError(first.message + more, { file, line: first.line, field: first.field });
}
