/**
 * HF checkpoint directories, shared by every architecture: `config.json` (HF config field names plus
 * `model_type` and `architectures`), `model.safetensors` (HF tensor names and layouts, float32, metadata
 * `format: pt` as transformers expects), `tokenizer.json` + `tokenizer_config.json`. Saving is atomic (the
 * directory appears whole or not at all). Reading also accepts sharded `model.safetensors.index.json`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigError, DataError, resolveDirAtomic, writeDirAtomic, writeJsonAtomic, type Tokenizer } from '@class-it/core';
import { loadTokenizer } from '@class-it/tokenizers';
import { readWeightTensors, writeSafetensors } from '../safetensors/index.js';
import { GENERATION_CONFIG_FILE, readGenerationConfig } from '../generation/generation-config.js';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';

export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

export interface CheckpointContents {
  /** HF config (architecture field names). */
  config: Record<string, unknown>;
  /** HF class names for `architectures`, e.g. `GPT2LMHeadModel`. */
  hfArchitectures: string[];
  weights: Map<string, WeightTensor>;
  tokenizer: Tokenizer;
  /** `generation_config.json`, written when given (a loaded checkpoint's is kept). */
  generationConfig?: Record<string, unknown>;
}

export interface LoadedCheckpoint {
  dir: string;
  config: Record<string, unknown>;
  /** `model_type` from config.json. */
  modelType: string;
  weights: Map<string, WeightTensor>;
  tokenizer: Tokenizer;
  /** `generation_config.json` when the directory has one (generation defaults). */
  generationConfig?: Record<string, unknown>;
  /** The file the weights came from (for error messages). */
  weightsFile: string;
}

/** Write `dir` atomically as an HF checkpoint directory. */
export async function saveCheckpointDir(dir: string, contents: CheckpointContents): Promise<void> {
  const { config, hfArchitectures, weights, tokenizer } = contents;
  if (typeof config.model_type !== 'string') throw new ConfigError('config has no model_type', { field: 'model_type' });
  await writeDirAtomic(dir, async (tmp) => {
    await writeJsonAtomic(path.join(tmp, CONFIG_FILE), {
      ...config,
      architectures: hfArchitectures,
      model_type: config.model_type,
      torch_dtype: 'float32',
    });
    await writeSafetensors(path.join(tmp, WEIGHTS_FILE), weights, { format: 'pt' });
    await tokenizer.save(tmp);
    if (contents.generationConfig) await writeJsonAtomic(path.join(tmp, GENERATION_CONFIG_FILE), contents.generationConfig);
  });
}

async function readJsonFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigError('file not found', { file });
    throw err;
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`not a valid JSON object: ${(err as Error).message}`, { file });
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(() => true, () => false);
}

/** Float32 copies of every tensor in one safetensors file (finite floats only, see `readWeightTensors`). */
async function readWeightsFile(file: string, into: Map<string, WeightTensor>): Promise<void> {
  for (const [name, tensor] of await readWeightTensors(file)) {
    if (into.has(name)) throw new DataError(`tensor '${name}' appears in more than one shard`, { file, field: name });
    into.set(name, tensor);
  }
}

/** Read an HF checkpoint directory: config, all weights (single file or sharded), and the tokenizer. A directory
 *  that a killed `save` left between its two renames is read from its complete previous version. */
export async function readCheckpointDir(requested: string): Promise<LoadedCheckpoint> {
  const dir = await resolveDirAtomic(requested);
  const configFile = path.join(dir, CONFIG_FILE);
  const config = await readJsonFile(configFile);
  if (typeof config.model_type !== 'string') {
    throw new ConfigError('missing model_type', { file: configFile, field: 'model_type' });
  }
  const weights = new Map<string, WeightTensor>();
  const single = path.join(dir, WEIGHTS_FILE);
  const indexFile = path.join(dir, WEIGHTS_INDEX_FILE);
  let weightsFile: string;
  if (await exists(single)) {
    weightsFile = single;
    await readWeightsFile(single, weights);
  } else if (await exists(indexFile)) {
    weightsFile = indexFile;
    const index = await readJsonFile(indexFile);
    const map = index.weight_map;
    if (typeof map !== 'object' || map === null) throw new DataError('missing weight_map', { file: indexFile, field: 'weight_map' });
    const shards = [...new Set(Object.values(map as Record<string, string>))];
    for (const shard of shards) await readWeightsFile(path.join(dir, shard), weights);
  } else {
    const hasBin = await exists(path.join(dir, 'pytorch_model.bin'));
    throw new DataError(hasBin
      ? `only pytorch_model.bin found; convert it to ${WEIGHTS_FILE} (e.g. save_pretrained(dir, safe_serialization=True))`
      : `no ${WEIGHTS_FILE} in this directory`, { file: single });
  }
  const tokenizer = await loadTokenizer(dir);
  const generationConfig = await readGenerationConfig(dir);
  return { dir, config, modelType: config.model_type, weights, tokenizer, weightsFile, ...(generationConfig ? { generationConfig } : {}) };
}
