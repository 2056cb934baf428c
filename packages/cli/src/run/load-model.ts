/** Load any checkpoint directory through the architecture plugin that knows its `model_type`; find the directory of a
 *  model reference (a local folder, or a Hub model `hf://<owner>/<name>[@revision]`) with `resolveModelDir`. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { TrainableModel } from '@class-it/core';
import type { PluginRegistry } from '@class-it/core';
import { ClassItError } from '@class-it/core';
import { hubModelDir, isHubModelUri } from '@class-it/data-sources';

/** Download cache of Hub models when none is given (relative to the working directory, or to an experiment file). */
export const DEFAULT_CACHE_DIR = '.cache/class-it';

export interface ModelSourceOptions {
  /** Download cache (resolved against `baseDir`). */
  cacheDir?: string;
  /** Use the cache only (HF_HUB_OFFLINE=1 does the same). */
  offline?: boolean;
  /** What relative paths (the folder, the cache) are relative to; default the working directory. */
  baseDir?: string;
  log?: (line: string) => void;
}

/**
 * The checkpoint folder a model reference names: a Hub model (`hf://<owner>/<name>[@revision]`) is downloaded into
 * the cache (or found there offline) by the datasets' downloader (@class-it/data-sources `hubModelDir`: resumable,
 * SHA-256-checked, path-safe); anything else is a local folder. Every command and the experiment grid resolve
 * `--model` / `checkpoint:` through this one function.
 */
export async function resolveModelDir(ref: string, options: ModelSourceOptions = {}): Promise<string> {
  const baseDir = options.baseDir ?? process.cwd();
  if (!isHubModelUri(ref)) return path.resolve(baseDir, ref);
  return hubModelDir(ref, { cacheDir: path.resolve(baseDir, options.cacheDir ?? DEFAULT_CACHE_DIR), offline: options.offline, log: options.log });
}

export async function readModelType(dir: string): Promise<string> {
  const file = path.join(dir, 'config.json');
  let raw: string;
  try {
    raw = await fs.readFile(file, 'utf8');
  } catch {
    throw new ClassItError(`not a model directory: ${file} is missing`, { file });
  }
  let cfg: { model_type?: unknown };
  try {
    cfg = JSON.parse(raw) as { model_type?: unknown };
  } catch (err) {
    throw new ClassItError(`invalid JSON: ${(err as Error).message}`, { file });
  }
  if (typeof cfg.model_type !== 'string') throw new ClassItError('missing model_type', { file, field: 'model_type' });
  return cfg.model_type;
}

/** Initialise the runtime's engine (once) and load the model in `dir`. */
export async function loadModel(registry: PluginRegistry, dir: string, backend = 'auto'): Promise<TrainableModel> {
  const modelType = await readModelType(dir);
  const architecture = registry.architectureFor(modelType);
  await ensureEngine(registry, backend);
  return architecture.load(dir);
}

const engines = new WeakMap<PluginRegistry, Promise<string>>();

/** Start the runtime's tensor engine once per registry; returns the backend in use. */
export function ensureEngine(registry: PluginRegistry, backend = 'auto'): Promise<string> {
  let started = engines.get(registry);
  if (!started) {
    started = registry.runtime().init(backend);
    engines.set(registry, started);
  }
  return started;
}
