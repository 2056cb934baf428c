/**
 * The trainer's checkpoints: `<outDir>/checkpoints/step-<N>/` (N zero-padded) holds an HF model directory
 * (`model.save()`, so it loads like any checkpoint) plus `training-state.safetensors` (the exact trainable
 * variables and the AdamW moments, by variable name) and `train-state.json` (position, counters, schedule, RNG),
 * which is written last.
 *
 * There is no moment without a complete checkpoint: a new one is written under a temporary name, fsynced, and
 * renamed to `step-<N>` (the commit); only then are the older ones removed (each renamed away before it is
 * deleted, so a half-deleted directory never carries a checkpoint's name). Resuming takes the newest `step-<N>`
 * holding `train-state.json` and clears what killed saves left behind. The layout before this one (a single
 * `checkpoints/last/`, replaced by two renames) is still read.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { ClassItError, crashPoint, syncDir, syncTree, writeJsonAtomic, type TrainableModel } from '@class-it/core';
import type { ScheduleSegment } from './schedule.js';
import { readWeightTensors, writeSafetensors } from '../safetensors/index.js';

export const CHECKPOINTS_DIR = 'checkpoints';
export const TRAIN_STATE_FILE = 'train-state.json';
export const TRAIN_TENSORS_FILE = 'training-state.safetensors';

const STEP_DIR = /^step-(\d+)$/;
/** The checkpoint directory of the layout before step directories, and the temporaries its swap left. */
const LEGACY_DIR = 'last';
const LEGACY_TEMP_PREFIX = '.last.tmp-';

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

export interface SavedCheckpoint {
  dir: string;
  state: TrainState;
  tensors: Map<string, Float32Array>;
}

/** `step-00000042` for step 42 (zero-padded so that names sort like steps). */
export function checkpointDirName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** Write the checkpoint of `state.step` into `checkpointsDir` and remove the older ones; returns its directory. */
export async function writeCheckpoint(checkpointsDir: string, model: TrainableModel, state: TrainState, tensors: NamedTensors): Promise<string> {
  const name = checkpointDirName(state.step);
  const dir = path.join(checkpointsDir, name);
  const tmp = path.join(checkpointsDir, `.${name}.tmp-${process.pid}`);
  await fs.mkdir(checkpointsDir, { recursive: true });
  await fs.rm(tmp, { recursive: true, force: true });
  await model.save(tmp);
  crashPoint('checkpoint: model saved');
  await writeSafetensors(path.join(tmp, TRAIN_TENSORS_FILE), tensors, { format: 'class-it-train-state' });
  await writeJsonAtomic(path.join(tmp, TRAIN_STATE_FILE), { ...state, lastLoss: Number.isFinite(state.lastLoss) ? state.lastLoss : null });
  await syncTree(tmp);
  await discard(checkpointsDir, name); // a checkpoint of this very step (not possible in a normal run) goes first
  await fs.rename(tmp, dir);
  await syncDir(checkpointsDir);
  crashPoint('checkpoint: committed');
  await discardAllBut(checkpointsDir, dir);
  return dir;
}

/** Remove the checkpoints and temporaries in `checkpointsDir` other than `keep`. */
async function discardAllBut(checkpointsDir: string, keep: string | undefined): Promise<void> {
  for (const entry of await readdirIfExists(checkpointsDir)) {
    const ours = STEP_DIR.test(entry) || entry === LEGACY_DIR || entry.startsWith('.');
    if (ours && path.join(checkpointsDir, entry) !== keep) await discard(checkpointsDir, entry);
  }
}

/** Remove one entry of the checkpoints directory: renamed away first, so no half-deleted directory keeps a name. */
async function discard(checkpointsDir: string, entry: string): Promise<void> {
  const trash = path.join(checkpointsDir, `.${entry.replace(/^\.+/, '')}.trash-${process.pid}`);
  try {
    await fs.rename(path.join(checkpointsDir, entry), trash);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  crashPoint(`checkpoint: ${entry} moved away`);
  await fs.rm(trash, { recursive: true, force: true });
  crashPoint(`checkpoint: ${entry} removed`);
}

/**
 * The newest complete checkpoint in `checkpointsDir`, or undefined when there is none; a damaged one is an error,
 * not a silent restart. Once it is read, the rest goes: temporaries of killed saves and older checkpoints (the
 * caller owns the run directory).
 */
export async function readLatestCheckpoint(checkpointsDir: string): Promise<SavedCheckpoint | undefined> {
  const dir = await findLatestCheckpoint(checkpointsDir);
  const saved = dir === undefined ? undefined : await readCheckpoint(dir);
  await discardAllBut(checkpointsDir, dir);
  return saved;
}

async function findLatestCheckpoint(checkpointsDir: string): Promise<string | undefined> {
  const entries = await readdirIfExists(checkpointsDir);
  const steps = entries.filter((e) => STEP_DIR.test(e)).sort((a, b) => Number(STEP_DIR.exec(b)![1]) - Number(STEP_DIR.exec(a)![1]));
  for (const entry of steps) {
    if (await hasState(path.join(checkpointsDir, entry))) return path.join(checkpointsDir, entry);
  }
  // The earlier layout: `last`, or (killed in its swap) the complete copies its temporaries hold; newest step wins.
  let best: { dir: string; step: number } | undefined;
  for (const entry of entries.filter((e) => e === LEGACY_DIR || e.startsWith(LEGACY_TEMP_PREFIX))) {
    const dir = path.join(checkpointsDir, entry);
    if (!(await hasState(dir))) continue;
    const { step } = await readState(dir);
    if (!best || step > best.step) best = { dir, step };
  }
  return best?.dir;
}

/** The checkpoint in `dir`; any damage is a `ClassItError` naming the file (and the tensor). */
export async function readCheckpoint(dir: string): Promise<SavedCheckpoint> {
  const state = await readState(dir);
  const tensors = new Map<string, Float32Array>();
  for (const [name, t] of await readWeightTensors(path.join(dir, TRAIN_TENSORS_FILE))) tensors.set(name, t.data);
  return { dir, state, tensors };
}

async function readState(dir: string): Promise<TrainState> {
  const statePath = path.join(dir, TRAIN_STATE_FILE);
  const text = await fs.readFile(statePath, 'utf8');
  let state: TrainState;
  try {
    state = JSON.parse(text) as TrainState;
  } catch (err) {
    throw new ClassItError(`not valid JSON: ${(err as Error).message}`, { file: statePath }, { cause: err });
  }
  if (state?.version !== 1 || !Number.isInteger(state.step)) throw new ClassItError('not a class-it train state (version 1 with a step)', { file: statePath });
  state.lastLoss = state.lastLoss ?? Number.NaN;
  return state;
}

async function hasState(dir: string): Promise<boolean> {
  return fs.stat(path.join(dir, TRAIN_STATE_FILE)).then((s) => s.isFile(), () => false);
}

async function readdirIfExists(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
