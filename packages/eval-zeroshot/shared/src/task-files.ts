/**
 * The JSONL files of a task: downloaded from `settings.urls` when given (through data-sources' one downloader:
 * cached under `cacheDir`, resumable, verified, offline mode), else found under the data directory.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { cachedUrlFile, isOffline, urlCachePath } from '@class-it/data-sources';
import { resolveTaskDir, type TaskLayout } from './data-dir.js';
import { identifyFiles, type DataIdentity } from './data-identity.js';
import type { CommonSettings } from './settings.js';

export interface TaskFiles {
  dir: string;
  files: string[];
  identity: DataIdentity;
}

/** The local copy of one evaluation file at `url` (downloaded into `settings.cacheDir` the first time). */
export function downloadEvalFile(url: string, settings: Pick<CommonSettings, 'cacheDir' | 'offline'>): Promise<string> {
  return cachedUrlFile(url, { cacheDir: settings.cacheDir, offline: settings.offline });
}

export async function resolveTaskFiles(dataDir: string, layout: TaskLayout, fast: boolean, settings: CommonSettings): Promise<TaskFiles> {
  if (settings.urls.length > 0) {
    const files: string[] = [];
    for (const url of settings.urls) files.push(await downloadEvalFile(url, settings));
    const identity = await identifyFiles(settings.cacheDir, files);
    identity.urls = [...settings.urls];
    return { dir: settings.cacheDir, files, identity };
  }
  const { dir, files } = await resolveTaskDir(dataDir, layout, fast);
  return { dir, files, identity: await identifyFiles(dir, files) };
}

/**
 * What `resolveTaskFiles` would not find, without reading or downloading anything (for validation before a run):
 * a URL counts as present when it is cached, or when it may be fetched (not offline); else the task's folder must
 * hold its `*.jsonl` files. Empty when the task can run.
 */
export async function missingTaskFiles(dataDir: string, layout: TaskLayout, fast: boolean, settings: CommonSettings): Promise<string[]> {
  if (settings.urls.length > 0) return missingUrlFiles(settings);
  try {
    await resolveTaskDir(dataDir, layout, fast);
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

/** The `settings.urls` that cannot be had: none unless offline, then those not in the cache. */
export async function missingUrlFiles(settings: Pick<CommonSettings, 'urls' | 'cacheDir' | 'offline'>): Promise<string[]> {
  if (!isOffline(settings)) return [];
  const missing: string[] = [];
  for (const url of settings.urls) {
    const cached = await fs.access(urlCachePath(url, settings.cacheDir)).then(() => true, () => false);
    if (!cached) missing.push(`${url}: not in the cache ${settings.cacheDir} (offline)`);
  }
  return missing;
}

/** `pathlib.Path(file).stem`: the name without its last suffix. */
export function fileStem(file: string): string {
  const base = path.basename(file);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}
