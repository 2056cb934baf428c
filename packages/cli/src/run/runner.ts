/**
 * The experiment runner: for every model × condition × seed, instruction-tune from the model's base checkpoint
 * (pretraining it first when the experiment says so), then run every configured evaluation. Finished work is
 * found on disk and skipped when a run is resumed; a failed cell is recorded and the others go on.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { Experiment, ModelSpec, ConditionSpec } from '../config/experiment.js';
import type { CellKey } from '@class-it/core';
import type { PluginRegistry } from '@class-it/core';
import { RunDir, cellName, type CellRecord } from './run-dir.js';
import { loadModel, ensureEngine } from './load-model.js';
import { runEvaluation, readEvaluationResult } from './evaluate.js';
import { milestoneCheckpoints } from './checkpoints.js';
import { writeJsonAtomic } from '@class-it/core';
import { ConfigError } from '@class-it/core';

/** The two training steps, behind an interface so the runner reads as the plan it is. */
export interface ExperimentSteps {
  /** Pretrain `spec` into `outDir` (resuming if work is there); returns the final checkpoint directory. */
  pretrain(registry: PluginRegistry, model: ModelSpec, outDir: string, seed: number, log: (l: string) => void, baseDir: string, backend: string): Promise<string>;
  /** Instruction-tune `baseDir` with the condition's curriculum into `outDir`; returns the model directory to
   *  evaluate (the base itself when the curriculum has no stages). */
  instructionTune(registry: PluginRegistry, args: {
    baseDir: string; condition: ConditionSpec; instruction: Record<string, unknown>; seed: number; outDir: string;
    baseDirOfExperiment: string; log: (l: string) => void; onStage?: (stage: string, step: number, total: number) => void; backend?: string;
  }): Promise<string>;
}

export interface RunOptions {
  steps: ExperimentSteps;
  /** Directory of the experiment file: relative paths in it resolve against this. */
  baseDir: string;
  /** Start over: move an existing run directory aside instead of resuming it. */
  restart?: boolean;
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

export function experimentHash(exp: Experiment): string {
  return createHash('sha256').update(JSON.stringify(exp)).digest('hex').slice(0, 16);
}

export function gridCells(exp: Experiment): CellKey[] {
  const cells: CellKey[] = [];
  for (const model of exp.models) for (const condition of exp.conditions) for (const seed of exp.seeds) {
    cells.push({ model: model.name, condition: condition.name, seed });
  }
  return cells;
}

async function prepareRunDir(exp: Experiment, runDir: RunDir, restart: boolean): Promise<void> {
  const hash = experimentHash(exp);
  let existing: { hash?: string } | undefined;
  try {
    existing = JSON.parse(await fs.readFile(runDir.experimentFile, 'utf8')) as { hash?: string };
  } catch {
    existing = undefined;
  }
  if (existing && restart) {
    const aside = `${runDir.root}.old-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await fs.rename(runDir.root, aside);
    existing = undefined;
  }
  if (existing && existing.hash !== hash) {
    throw new ConfigError(`${runDir.root} holds a run of a different version of experiment '${exp.name}'. ` +
      'Resuming would mix results: give the experiment another name, or pass --restart to move the old run aside.', { file: runDir.experimentFile });
  }
  await writeJsonAtomic(runDir.experimentFile, { hash, experiment: exp });
}

export async function runExperiment(exp: Experiment, registry: PluginRegistry, options: RunOptions): Promise<RunSummary> {
  const runDir = new RunDir(path.resolve(exp.runsDir, exp.name));
  await prepareRunDir(exp, runDir, Boolean(options.restart));
  const say = (line: string, key?: CellKey) => {
    options.log?.(key ? `[${cellName(key)}] ${line}` : line);
    return runDir.log(line, key);
  };
  const backend = await ensureEngine(registry, exp.backend);
  await say(`run ${exp.name}: backend ${backend}, ${gridCells(exp).length} cells`);

  const started = Date.now();
  const cells = gridCells(exp);
  const summary: RunSummary = { runDir: runDir.root, cells: [], computed: [], skipped: [], failed: [] };
  const baseDirs = new Map<string, string>();
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
      const model = exp.models.find((m) => m.name === key.model)!;
      const condition = exp.conditions.find((c) => c.name === key.condition)!;
      const log = (line: string) => { void say(line, key); };

      // 1. The base model (pretrained once per model, shared by its cells).
      progress('base model');
      let baseDir = baseDirs.get(model.name);
      if (!baseDir) {
        baseDir = model.checkpoint
          ? path.resolve(options.baseDir, model.checkpoint)
          : await options.steps.pretrain(registry, model, runDir.pretrainDir(model.name), exp.seeds[0]!, log, options.baseDir, exp.backend);
        baseDirs.set(model.name, baseDir);
      }

      // 2. Instruction tuning with the condition's curriculum.
      progress(`instruction tuning (${condition.curriculum})`);
      let modelDir: string;
      if (exp.instruction) {
        modelDir = await options.steps.instructionTune(registry, {
          baseDir, condition, instruction: exp.instruction, seed: key.seed, outDir: runDir.trainDir(key),
          baseDirOfExperiment: options.baseDir, log, backend: exp.backend,
          onStage: (stage, step, total) => progress(`training ${stage} ${step}/${total}`),
        });
      } else if (registry.get('curriculum', condition.curriculum).plan({ datasets: {}, settings: condition.settings, seed: key.seed }).length === 0) {
        modelDir = baseDir; // e.g. baseline: nothing to train, no datasets needed
      } else {
        throw new ConfigError(`condition '${condition.name}' trains (curriculum ${condition.curriculum}) but the experiment has no 'instruction' section with datasets`);
      }
      record.modelDir = modelDir;

      // 3. Evaluations of the final model (each skipped if its results are already on disk).
      const dataRoot = path.resolve(options.baseDir, exp.evaluation.dataDir);
      const tasks = [
        ...exp.evaluation.zeroShot.map((t) => ({ ...t, kind: 'zero-shot' as const })),
        ...exp.evaluation.finetune.map((t) => ({ ...t, fast: false, checkpoints: false, kind: 'fine-tuning' as const })),
      ];
      let loaded: Awaited<ReturnType<typeof loadModel>> | undefined;
      for (const t of tasks) {
        const outDir = runDir.evalDir(key, t.task);
        if (await readEvaluationResult(outDir)) { log(`${t.task}: done before, skipped`); continue; }
        progress(`evaluating ${t.task}`);
        loaded ??= await loadModel(registry, modelDir, exp.backend);
        const result = await runEvaluation(registry, loaded, {
          task: t.task, dataDir: path.resolve(dataRoot, t.data), outDir, fast: t.fast, settings: t.settings, log,
          onProgress: (d, n) => progress(`evaluating ${t.task} ${d}/${n}`),
        });
        log(`${t.task}: ${result.metric} ${result.score.toFixed(2)}`);
      }
      loaded?.dispose();

      // 4. Learning curves: fast zero-shot tasks on every chck_*M milestone of this cell's training.
      const curveTasks = exp.evaluation.zeroShot.filter((t) => t.checkpoints);
      if (curveTasks.length > 0) {
        for (const chk of await milestoneCheckpoints(runDir.trainDir(key))) {
          let chkModel: Awaited<ReturnType<typeof loadModel>> | undefined;
          for (const t of curveTasks) {
            const outDir = runDir.checkpointEvalDir(key, chk.name, t.task);
            if (await readEvaluationResult(outDir)) continue;
            progress(`${chk.name} ${t.task}`);
            chkModel ??= await loadModel(registry, chk.dir, exp.backend);
            const data = typeof t.checkpoints === 'string' ? t.checkpoints : t.data;
            await runEvaluation(registry, chkModel, { task: t.task, dataDir: path.resolve(dataRoot, data), outDir, fast: t.fast || typeof t.checkpoints === 'string', settings: t.settings, log });
          }
          chkModel?.dispose();
        }
      }

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
