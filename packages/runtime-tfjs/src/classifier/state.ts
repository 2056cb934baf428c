/**
 * Per-epoch fine-tuning state in `stateDir`, so a killed run resumes at the last finished epoch:
 *   state.json              epochs done, best epoch, optimizer step, losses, RNG scheme, fingerprint (written last)
 *   epoch-<e>.safetensors   `param/<name>` (backbone copy + head) and `adam_m/<name>`, `adam_v/<name>` after epoch e
 *   best-<b>.safetensors    `param/<name>` of the best epoch so far
 * Every file is written atomically and `state.json` only names files that are complete, so a crash at any point
 * leaves the previous epoch's state whole. Files no longer named are removed afterwards.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ClassItError, readJsonIfExists, writeJsonAtomic } from '@class-it/core';
import { readWeightTensors, writeSafetensors, type TensorToWrite } from '../safetensors/index.js';

export const STATE_FILE = 'state.json';

export interface ClassifierState {
  version: 1;
  fingerprint: string;
  /** Epochs finished (1-based count). */
  epochsDone: number;
  /** 0 when no epoch was best yet. */
  bestEpoch: number;
  optimizerStep: number;
  trainLosses: number[];
  currentFile: string;
  bestFile?: string;
  /** How the random streams are derived (the seed is the whole RNG state: nothing else to save). */
  rng: { seed: number; shuffle: string; dropout: string };
  backend: string;
}

export type NamedTensors = Map<string, TensorToWrite & { data: Float32Array }>;

export async function readClassifierState(stateDir: string): Promise<ClassifierState | undefined> {
  const file = path.join(stateDir, STATE_FILE);
  const state = await readJsonIfExists<ClassifierState>(file);
  if (state === undefined) return undefined;
  if (state.version !== 1 || !Number.isInteger(state.epochsDone)) throw new ClassItError('not a class-it classifier state (version 1)', { file });
  return state;
}

/** The tensors of a state file (finite floats only: a NaN or relabelled tensor is an error naming file and tensor). */
export async function readStateTensors(stateDir: string, name: string): Promise<Map<string, Float32Array>> {
  const contents = await readWeightTensors(path.join(stateDir, name));
  return new Map([...contents].map(([k, t]) => [k, t.data]));
}

/** Save one finished epoch: its tensors, the best weights when this epoch is best, then state.json. */
export async function writeEpochState(stateDir: string, state: ClassifierState, current: NamedTensors, best: NamedTensors | undefined): Promise<void> {
  await fs.mkdir(stateDir, { recursive: true });
  await writeSafetensors(path.join(stateDir, state.currentFile), current, { format: 'class-it-classifier-state' });
  if (best && state.bestFile) await writeSafetensors(path.join(stateDir, state.bestFile), best, { format: 'class-it-classifier-best' });
  await writeJsonAtomic(path.join(stateDir, STATE_FILE), state);
  const keep = new Set([STATE_FILE, state.currentFile, state.bestFile]);
  for (const entry of await fs.readdir(stateDir)) {
    if (!keep.has(entry) && /^(epoch|best)-\d+\.safetensors$/.test(entry)) await fs.rm(path.join(stateDir, entry), { force: true });
  }
}
