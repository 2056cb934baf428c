/**
 * The trainer's checkpoint: `<outDir>/checkpoints/last/` holds an HF model directory (`model.save()`, so it
 * loads like any checkpoint) plus `train-state.json` (position, counters, schedule, RNG) and
 * `training-state.safetensors` (the exact trainable variables and the AdamW moments, by variable name).
 * The directory is replaced atomically: a crash leaves the previous checkpoint whole.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { ClassItError, writeDirAtomic, writeJsonAtomic, type TrainableModel } from '@class-it/core';
import type { ScheduleSegment } from './schedule.js';
import { readSafetensors, writeSafetensors } from '../safetensors/index.js';

export const TRAIN_STATE_FILE = 'train-state.json';
export const TRAIN_TENSORS_FILE = 'training-state.safetensors';

export interface TrainState {
  version: 1;
  /** Optimizer steps done (the next step's 0-based index). */
  step: number;
  totalSteps: number;
  /** Position of the next step: stage (index into the caller's stages), epoch, step within the stage. */
  stageIndex: number;
  stageName: string;
  epoch: number;
  stepInStage: number;
  wordsSeenThisRun: number;
  wordsSeenBefore: number;
  tokens: number;
  lastLoss: number;
  learningRate: number;
  /** Dropout masks are derived from the seed and the step index, so the seed is the whole RNG state. */
  rng: { seed: number; dropoutSeeds: string };
  schedule: ScheduleSegment[];
  milestonesSaved: number[];
  fingerprint: Record<string, unknown>;
  backend: string;
}

export type NamedTensors = Map<string, { shape: number[]; data: Float32Array }>;

export async function writeCheckpoint(dir: string, model: TrainableModel, state: TrainState, tensors: NamedTensors): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    await model.save(tmp);
    await writeSafetensors(path.join(tmp, TRAIN_TENSORS_FILE), tensors, { format: 'class-it-train-state' });
    await writeJsonAtomic(path.join(tmp, TRAIN_STATE_FILE), { ...state, lastLoss: Number.isFinite(state.lastLoss) ? state.lastLoss : null });
  });
}

/** The checkpoint in `dir`, or undefined when there is none. A damaged one is an error, not a silent restart. */
export async function readCheckpoint(dir: string): Promise<{ state: TrainState; tensors: Map<string, Float32Array> } | undefined> {
  const statePath = path.join(dir, TRAIN_STATE_FILE);
  let text: string;
  try {
    text = await fs.readFile(statePath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let state: TrainState;
  try {
    state = JSON.parse(text) as TrainState;
  } catch (err) {
    throw new ClassItError(`not valid JSON: ${(err as Error).message}`, { file: statePath }, { cause: err });
  }
  if (state.version !== 1 || !Number.isInteger(state.step)) throw new ClassItError('not a class-it train state (version 1 with a step)', { file: statePath });
  state.lastLoss = state.lastLoss ?? Number.NaN;
  const contents = await readSafetensors(path.join(dir, TRAIN_TENSORS_FILE));
  const tensors = new Map<string, Float32Array>();
  for (const [name, t] of contents) tensors.set(name, t.data);
  return { state, tensors };
}

