/** Load any checkpoint directory through the architecture plugin that knows its `model_type`. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { TrainableModel } from '@class-it/core';
import type { PluginRegistry } from '@class-it/core';
import { ClassItError } from '@class-it/core';

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
