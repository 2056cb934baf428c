/**
 * The layout of a run directory, in one place:
 *   runs/<name>/experiment.json           resolved experiment (what this run is)
 *   runs/<name>/run.log                   one line per event, appended
 *   runs/<name>/models/<model>/pretrain/  pretraining of a model trained from scratch (final/ when done)
 *   runs/<name>/models/<model>/pretrain-seed<seed>/  the same, one per seed, for a model with `pretrainPerSeed`
 *   runs/<name>/cells/<model>__<condition>__seed<seed>/
 *        cell.json                        {model, condition, seed, status, error?, startedAt, finishedAt, modelDir, tasks}
 *        log.txt                          the cell's log
 *        train/                           instruction tuning (metrics.jsonl, checkpoints/step-<N>/, chck_{N}M/, final/)
 *        eval/<task>/results.json         evaluations of the final model
 *        samples.json                     the final model's answers to report.samples (core's SAMPLES_FILE)
 *        checkpoints/chck_{N}M/eval/<task>/results.json   fast evaluations over milestones (learning curves)
 *   runs/<name>/report/                   tables, figures, HTML
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CellKey, CellTaskOutcome } from '@class-it/core';
import { appendJsonLine, writeJsonAtomic } from '@class-it/core';

export type CellStatus = 'running' | 'done' | 'failed';

/** What happened to one evaluation of a cell (core's contract: the report reads it back). */
export type TaskOutcome = CellTaskOutcome;

export interface CellRecord extends CellKey {
  status: CellStatus;
  error?: string;
  startedAt: string;
  finishedAt?: string;
  /** Directory of the model that was evaluated. */
  modelDir?: string;
  /** Every evaluation of the cell, once they have run. */
  tasks?: Record<string, TaskOutcome>;
}

export function cellName(key: CellKey): string {
  return `${key.model}__${key.condition}__seed${key.seed}`;
}

export class RunDir {
  constructor(readonly root: string) {}

  get experimentFile(): string { return path.join(this.root, 'experiment.json'); }
  get logFile(): string { return path.join(this.root, 'run.log'); }
  get reportDir(): string { return path.join(this.root, 'report'); }
  /** A model's pretraining: shared by its cells, or (`seed` given: `pretrainPerSeed`) the one of that seed. */
  pretrainDir(model: string, seed?: number): string {
    return path.join(this.root, 'models', model, seed === undefined ? 'pretrain' : `pretrain-seed${seed}`);
  }
  cellDir(key: CellKey): string { return path.join(this.root, 'cells', cellName(key)); }
  trainDir(key: CellKey): string { return path.join(this.cellDir(key), 'train'); }
  evalDir(key: CellKey, task: string): string { return path.join(this.cellDir(key), 'eval', task); }
  checkpointEvalDir(key: CellKey, checkpoint: string, task: string): string {
    return path.join(this.cellDir(key), 'checkpoints', checkpoint, 'eval', task);
  }

  async readCell(key: CellKey): Promise<CellRecord | undefined> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.cellDir(key), 'cell.json'), 'utf8')) as CellRecord;
    } catch {
      return undefined;
    }
  }

  async writeCell(record: CellRecord): Promise<void> {
    await writeJsonAtomic(path.join(this.cellDir(record), 'cell.json'), record);
  }

  async log(line: string, key?: CellKey): Promise<void> {
    const entry = `${new Date().toISOString()} ${key ? `[${cellName(key)}] ` : ''}${line}\n`;
    await fs.mkdir(this.root, { recursive: true });
    await fs.appendFile(this.logFile, entry);
    if (key) {
      await fs.mkdir(this.cellDir(key), { recursive: true });
      await fs.appendFile(path.join(this.cellDir(key), 'log.txt'), entry);
    }
  }

  async event(value: Record<string, unknown>): Promise<void> {
    await appendJsonLine(path.join(this.root, 'events.jsonl'), { time: new Date().toISOString(), ...value });
  }
}
