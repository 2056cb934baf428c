/** The JSONL files of a task: downloaded from `settings.urls` when given, else found under the data directory. */
import path from 'node:path';
import { resolveTaskDir, type TaskLayout } from './data-dir.js';
import { downloadToCache } from './download.js';
import { identifyFiles, type DataIdentity } from './results.js';
import type { CommonSettings } from './settings.js';

export interface TaskFiles {
  dir: string;
  files: string[];
  identity: DataIdentity;
}

export async function resolveTaskFiles(dataDir: string, layout: TaskLayout, fast: boolean, settings: CommonSettings): Promise<TaskFiles> {
  if (settings.urls.length > 0) {
    const files: string[] = [];
    for (const url of settings.urls) files.push(await downloadToCache(url, settings.cacheDir));
    const identity = await identifyFiles(settings.cacheDir, files);
    identity.urls = [...settings.urls];
    return { dir: settings.cacheDir, files, identity };
  }
  const { dir, files } = await resolveTaskDir(dataDir, layout, fast);
  return { dir, files, identity: await identifyFiles(dir, files) };
}

/** `pathlib.Path(file).stem`: the name without its last suffix. */
export function fileStem(file: string): string {
  const base = path.basename(file);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}
