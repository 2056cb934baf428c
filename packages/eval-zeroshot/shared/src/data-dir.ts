/**
 * Where a benchmark's JSONL files are. A `--data` directory may be the benchmark folder itself
 * (`.../blimp_fast`), a BabyLM `evaluation_data` root (`fast_eval/blimp_fast`, `full_eval/blimp_filtered`),
 * or this project's `shared/eval-data` copy (`blimp/blimp_fast`). Each evaluator lists the relative folders it
 * accepts for the fast and the full layout; the first one holding `*.jsonl` files wins.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DataError } from '@class-it/core';

export interface TaskLayout {
  /** Human name used in errors, e.g. `BLiMP`. */
  name: string;
  /** Folder names (relative paths) of the fast set, most specific first, e.g. `fast_eval/blimp_fast`. */
  fast: string[];
  /** Folder names of the full set. */
  full: string[];
}

export interface ResolvedTaskDir {
  dir: string;
  /** Absolute paths of the `*.jsonl` files, sorted by name. */
  files: string[];
}

export async function listJsonlFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith('.jsonl')).sort().map((n) => path.join(dir, n));
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Candidate folders tried under `dataDir`, in order: the folder itself, then the layout's names under the
 *  folder, under `evaluation_data/`, and the last path element alone. */
export function candidateDirs(dataDir: string, layout: TaskLayout, fast: boolean): string[] {
  const names = fast ? layout.fast : layout.full;
  const out = [dataDir];
  for (const rel of names) {
    out.push(path.join(dataDir, rel), path.join(dataDir, 'evaluation_data', rel));
    out.push(path.join(dataDir, path.basename(rel)));
  }
  return [...new Set(out)];
}

export async function resolveTaskDir(dataDir: string, layout: TaskLayout, fast: boolean): Promise<ResolvedTaskDir> {
  if (!(await isDirectory(dataDir))) {
    throw new DataError(`${layout.name} data directory does not exist or is not a directory`, { file: dataDir });
  }
  const tried = candidateDirs(dataDir, layout, fast);
  for (const dir of tried) {
    const files = await listJsonlFiles(dir);
    if (files.length > 0) return { dir, files };
  }
  throw new DataError(
    `no ${layout.name} ${fast ? 'fast' : 'full'} data: no *.jsonl files in ${tried.map((d) => path.relative(dataDir, d) || '.').join(', ')}`,
    { file: dataDir },
  );
}
