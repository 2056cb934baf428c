/**
 * The `--model` of every command that loads a checkpoint: a local folder (HF layout) or a Hub model
 * `hf://<owner>/<name>[@revision]`, downloaded into `--cache-dir` (resumable, SHA-256-checked) unless `--offline`
 * (or HF_HUB_OFFLINE=1) says to use the cache only. Resolved by `resolveModelDir` (../run/load-model.ts).
 */
import type { Command } from 'commander';
import { DEFAULT_CACHE_DIR, resolveModelDir } from '../run/load-model.js';

export const MODEL_HELP = 'checkpoint directory (HF layout), or a Hub model hf://<owner>/<name>[@revision] (downloaded into --cache-dir)';

export interface ModelSourceFlags {
  cacheDir: string;
  offline?: boolean;
}

/** Add `--cache-dir` and `--offline` (where hf:// models are kept, and whether the network may be used). */
export function addModelSourceOptions(command: Command): Command {
  return command
    .option('--cache-dir <dir>', 'download cache of hf:// models', DEFAULT_CACHE_DIR)
    .option('--offline', 'hf:// models from the download cache only, no network (HF_HUB_OFFLINE=1 does the same)');
}

/** The checkpoint folder of `--model` (downloading an hf:// model first; progress lines go to stderr). */
export function modelDirOf(model: string, flags: ModelSourceFlags): Promise<string> {
  return resolveModelDir(model, { cacheDir: flags.cacheDir, offline: flags.offline, log: (line) => console.error(line) });
}
