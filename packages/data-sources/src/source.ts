/**
 * Where a dataset's rows come from: local files (`path`), explicit URLs (`url`) or a Hub config (`hub`). Each
 * resolves to local files; downloads go through the cache (see hub.ts). Relative paths resolve against the
 * experiment file's directory.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, DataError } from '@class-it/core';
import { cachedUrlFile, hubDatasetFiles } from './hub.js';

const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** Source fields every file-backed dataset plugin accepts (plugins extend this with their own fields). */
export const sourceSettingsSchema = z.object({
  /** Local file(s) or a directory (all its data files, sorted). */
  path: oneOrMany.optional(),
  /** Explicit file URL(s), cached. */
  url: oneOrMany.optional(),
  /** `hf://datasets/<owner>/<name>/<config>`. */
  hub: z.string().startsWith('hf://datasets/').optional(),
  split: z.string().min(1).default('train'),
  revision: z.string().min(1).optional(),
  /** Expected SHA-256 of a single `url` file. */
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/).optional(),
  format: z.enum(['jsonl', 'json', 'csv', 'tsv', 'parquet', 'text']).optional(),
  /** Keep only the first N examples (after bad rows are skipped). */
  limit: z.number().int().positive().optional(),
  /** A line (JSONL, CSV) longer than this many bytes (default 16 MiB) is a bad row, skipped unread. */
  maxLineBytes: z.number().int().positive().optional(),
});

export type SourceSettings = z.infer<typeof sourceSettingsSchema>;

export interface SourceContext {
  baseDir: string;
  cacheDir: string;
  offline: boolean;
  endpoint?: string;
  log?: (line: string) => void;
}

const DATA_EXTENSIONS = ['.jsonl', '.ndjson', '.json', '.csv', '.tsv', '.parquet', '.txt'];

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Local files of a source. `fallback` is the plugin's default (e.g. the CLASS-IT Hub config). */
export async function resolveSourceFiles(source: SourceSettings, context: SourceContext, fallback?: Partial<SourceSettings>): Promise<string[]> {
  const given = [source.path, source.url, source.hub].filter((v) => v !== undefined).length;
  if (given > 1) throw new ConfigError('give only one of path, url or hub', { field: 'path' });
  const effective = given === 0 ? { ...source, ...fallback } : source;
  if (effective.path !== undefined) {
    const files: string[] = [];
    for (const p of list(effective.path)) files.push(...(await expandLocal(path.resolve(context.baseDir, p))));
    return files;
  }
  if (effective.url !== undefined) {
    const urls = list(effective.url);
    if (effective.sha256 && urls.length > 1) throw new ConfigError('sha256 applies to a single url', { field: 'sha256' });
    const files: string[] = [];
    for (const u of urls) files.push(await cachedUrlFile(u, { ...context, sha256: effective.sha256 }));
    return files;
  }
  if (effective.hub !== undefined) {
    return hubDatasetFiles(effective.hub, effective.split ?? 'train', { ...context, revision: effective.revision });
  }
  throw new ConfigError('no data source: set path, url or hub', { field: 'path' });
}

async function expandLocal(p: string): Promise<string[]> {
  let stat;
  try {
    stat = await fs.stat(p);
  } catch {
    throw new DataError('file not found', { file: p });
  }
  if (!stat.isDirectory()) return [p];
  const names = (await fs.readdir(p)).filter((n) => DATA_EXTENSIONS.includes(path.extname(n).toLowerCase())).sort();
  if (names.length === 0) throw new DataError(`directory holds no data files (${DATA_EXTENSIONS.join(', ')})`, { file: p });
  return names.map((n) => path.join(p, n));
}
