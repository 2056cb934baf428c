/**
 * The experiment runner: for every model × condition × seed, instruction-tune from the model's base checkpoint
 * (pretraining it first when the experiment says so: once per model, or once per seed with `pretrainPerSeed`), then
 * run every configured evaluation. Finished work is
 * found on disk and skipped when a run is resumed; a failed cell is recorded and the others go on.
 *
 * The instruction data (datasets loaded and split, examples tokenised) is prepared once per run — by validation
 * (`validate.ts`), else by the first cell that trains — and shared by every cell (`instruct/data.ts`); a condition
 * whose curriculum does not train (baseline) needs no data. An evaluation that throws is recorded in the cell with
 * its error and the cell's other evaluations still run.
 *
 * Each step is a function of `grid-steps.ts`, which queue workers (`class-it worker`) call too.
 */
import path from 'node:path';
import type { Experiment } from '../config/experiment.js';
import type { PretrainSettings } from '../pretrain/settings.js';
import { InstructionData } from '../instruct/data.js';
import type { InstructionTuneArgs } from '../instruct/job.js';
import type { CellKey } from '@class-it/core';
import type { PluginRegistry } from '@class-it/core';
import { RunDir, cellName, type CellRecord, type TaskOutcome } from './run-dir.js';
import type { ValidatedExperiment } from './validate.js';
import { ensureEngine } from './load-model.js';
import {
  CellModel, baseModel, conditionOf, evaluateUnit, evaluationUnits, failedEvaluations, gridCells, modelOf, prepareRunDir, pretrainingOf,
  skippedTasks as optionalTasksSkipped, tuneCell, type Attempt, type GridContext,
} from './grid-steps.js';

export { experimentHash, gridCells } from './grid-steps.js';

/** What pretraining one model of the experiment needs. */
export interface PretrainStepArgs {
  /** The model's name (logs) and its `pretrain:` settings. */
  model: string;
  settings: PretrainSettings;
  /** Run directory of this pretraining (resumed if work is there). */
  outDir: string;
  seed: number;
  /** Directory of the experiment file: the corpus and tokenizer paths resolve against it. */
  experimentDir: string;
  backend: string;
  log: (line: string) => void;
}

/** The two training steps, behind an interface so the runner reads as the plan it is. */
export interface ExperimentSteps {
  /** Pretrain a model into `args.outDir`; returns its final checkpoint directory (the base model of its cells). */
  pretrain(registry: PluginRegistry, args: PretrainStepArgs): Promise<string>;
  /** Instruction-tune `args.baseModelDir` with the condition's curriculum into `args.outDir`; returns the model
   *  directory to evaluate. Called only for conditions whose curriculum trains. */
  instructionTune(registry: PluginRegistry, args: InstructionTuneArgs): Promise<string>;
}

export interface RunOptions {
  steps: ExperimentSteps;
  /** Directory of the experiment file: relative paths in it resolve against this. */
  experimentDir: string;
  /** Start over: move an existing run directory aside instead of resuming it. */
  restart?: boolean;
  /** Called right after `restart` moved the old run directory to `aside` (the run-directory lock moves back). */
  afterMovedAside?: (aside: string) => Promise<void>;
  /** The experiment as `validateExperiment` checked it: its loaded instruction data is reused, and the tasks it
   *  found without data that the experiment marks optional are skipped in every cell, with the reason. */
  validated?: ValidatedExperiment;
  /** Called whenever the grid advances (cell index, total, what is happening). */
  onProgress?: (p: GridProgress) => void;
  log?: (line: string) => void;
}

export interface GridProgress {
  cell: number;
  cells: number;
  name: string;
  phase: string;
  /** Seconds since the run started, and an estimate of what is left (from finished cells). */
  elapsed: number;
  eta?: number;
}

export interface RunSummary {
  runDir: string;
  cells: CellRecord[];
  computed: string[];
  skipped: string[];
  failed: string[];
}

export async function runExperiment(exp: Experiment, registry: PluginRegistry, options: RunOptions): Promise<RunSummary> {
  const runDir = new RunDir(path.resolve(exp.runsDir, exp.name));
  await prepareRunDir(exp, runDir, Boolean(options.restart), options.afterMovedAside);
  const say = (line: string, key?: CellKey) => {
    options.log?.(key ? `[${cellName(key)}] ${line}` : line);
    return runDir.log(line, key);
  };
  const backend = await ensureEngine(registry, exp.backend);
  await say(`run ${exp.name}: backend ${backend}, ${gridCells(exp).length} cells`);

  const started = Date.now();
  const cells = gridCells(exp);
  const summary: RunSummary = { runDir: runDir.root, cells: [], computed: [], skipped: [], failed: [] };
  const baseModelDirs = new Map<string, string>();
  // Loaded by validation, or by the first cell that trains, then shared (a failed load fails every cell that needs it).
  let instructionData: Promise<InstructionData> | undefined = options.validated?.instructionData ? Promise.resolve(options.validated.instructionData) : undefined;
  // Tasks validation found without data and the experiment marks optional: skipped in every cell, with the reason.
  const skippedTasks = optionalTasksSkipped(options.validated);
  // The steps, as a queue worker runs them too (grid-steps.ts).
  const ctx: GridContext = {
    exp, registry, runDir, experimentDir: options.experimentDir, steps: options.steps,
    instructionData: () => (instructionData ??= InstructionData.load(registry, exp.instruction!, options.experimentDir, (line) => { void say(line); })),
    log: (line, key) => { void say(line, key); },
  };
  let cellSeconds = 0;
  let cellsTimed = 0;

  for (const [index, key] of cells.entries()) {
    const name = cellName(key);
    const progress = (phase: string) => {
      const elapsed = (Date.now() - started) / 1000;
      const eta = cellsTimed > 0 ? (cellSeconds / cellsTimed) * (cells.length - index) : undefined;
      options.onProgress?.({ cell: index + 1, cells: cells.length, name, phase, elapsed, eta });
    };
    const previous = await runDir.readCell(key);
    if (previous?.status === 'done') {
      await say('already done: skipped', key);
      summary.skipped.push(name);
      summary.cells.push(previous);
      progress('skipped');
      continue;
    }
    const cellStart = Date.now();
    const record: CellRecord = { ...key, status: 'running', startedAt: new Date().toISOString() };
    await runDir.writeCell(record);
    try {
      const log = (line: string) => { void say(line, key); };

      // 1. The base model (pretrained once per model and shared by its cells, or once per seed: `pretrainingOf`).
      progress('base model');
      const modelSpec = modelOf(exp, key.model);
      const baseKey = `${key.model}\u0000${pretrainingOf(exp, modelSpec, key.seed)?.seed ?? ''}`;
      let baseModelDir = baseModelDirs.get(baseKey);
      if (!baseModelDir) {
        baseModelDir = await baseModel(ctx, modelSpec, key.seed, key);
        baseModelDirs.set(baseKey, baseModelDir);
      }

      // 2. Instruction tuning with the condition's curriculum, if it trains.
      progress(`instruction tuning (${conditionOf(exp, key.condition).curriculum})`);
      const modelDir = await tuneCell(ctx, key, baseModelDir, progress);
      record.modelDir = modelDir;

      // 3. Evaluations of the final model (each skipped if its results are already on disk), the report's samples,
      // then the learning curves on every milestone checkpoint. A piece that throws is recorded with its error and
      // the others still run; the cell then counts as failed (a rerun retries only what has no results).
      const outcomes: Record<string, TaskOutcome> = {};
      for (const [task, reason] of skippedTasks) {
        outcomes[task] = { status: 'skipped', reason };
        log(`${task}: skipped (${reason})`);
      }
      const attempt: Attempt = async (name, run) => {
        try {
          await run();
          outcomes[name] = { status: 'done' };
        } catch (err) {
          const error = (err as Error)?.message ?? String(err);
          outcomes[name] = { status: 'failed', error };
          log(`${name}: FAILED: ${error}`);
        }
      };
      const model = new CellModel(ctx, modelDir);
      try {
        for (const unit of evaluationUnits(exp, skippedTasks)) {
          if (unit.kind === 'curves') await model.dispose(); // the curves load each milestone checkpoint in turn
          await evaluateUnit(ctx, key, unit, model, attempt, progress);
        }
      } finally {
        await model.dispose();
      }
      record.tasks = outcomes;
      const failure = failedEvaluations(outcomes);
      if (failure) throw failure;

      record.status = 'done';
      record.finishedAt = new Date().toISOString();
      await runDir.writeCell(record);
      await say('done', key);
      summary.computed.push(name);
      cellSeconds += (Date.now() - cellStart) / 1000;
      cellsTimed += 1;
    } catch (err) {
      record.status = 'failed';
      record.error = (err as Error)?.message ?? String(err);
      record.finishedAt = new Date().toISOString();
      await runDir.writeCell(record);
      await say(`FAILED: ${record.error}`, key);
      summary.failed.push(name);
    }
    summary.cells.push(record);
  }
  return summary;
}
