/**
 * What a worker does with each job: the step of `run/grid-steps.ts` the job names (the same functions the
 * single-machine runner calls), under a per-unit directory lock, with the cell's record (cell.json) kept as the
 * runner keeps it. Then the jobs that waited for the step are added.
 *
 * Locks: a pretraining locks its directory, a cell's jobs (tuning, each evaluation, the final record) lock the cell
 * directory, the report the report directory; so two workers never compute the same unit at once. Every lock and
 * unlock is appended to the run's events.jsonl. A job whose unit another live process holds is put back (delayed),
 * without counting as a failed attempt; a lock left by a worker that died (same host: its pid is gone; another
 * host: Redis no longer lists it) is taken over, and the step resumes from what is on disk.
 */
import path from 'node:path';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { CellKey, PluginRegistry } from '@class-it/core';
import { ConfigError } from '@class-it/core';
import { InstructionData } from '../instruct/data.js';
import { RunDir, cellName, type CellRecord, type TaskOutcome } from '../run/run-dir.js';
import { DirectoryLock, DirectoryLockedError, describeHolder, type LockHolder } from '../run/lock.js';
import { defaultSteps } from '../run/steps.js';
import { ensureEngine } from '../run/load-model.js';
import {
  CellModel, baseModel, evaluateUnit, evaluationUnits, failedEvaluations, modelOf, pretrainingDir, pretrainingOf, tuneCell, writeReport,
  type EvaluationUnit, type GridContext,
} from '../run/grid-steps.js';
import { gridCells } from '../run/grid-steps.js';
import type { JobQueues } from './queues.js';
import { addDependents } from './enqueue.js';
import { describeStep, type JobData, type JobStep, type QueuedRun } from './jobs.js';

export interface WorkerEnv {
  registry: PluginRegistry;
  queues: JobQueues;
  /** This worker's name (`host/pid`): BullMQ stores it on the jobs it takes. */
  name: string;
  /** The tensor backend of every job (`class-it worker --backend`); each experiment's own when unset. */
  backend?: string;
  /** Whether the holder of a lock, on another host, is known to be gone (Redis lists no such worker). */
  holderGone: (holder: LockHolder) => Promise<boolean>;
  log: (line: string) => void;
}

/** The first wait of a job whose unit another live process holds. */
const BUSY_RETRY_MS = 5_000;

/** The command recorded in a worker's locks (`holderGone` only judges holders whose command starts with it). */
export const WORKER_COMMAND = 'class-it worker';

export class JobExecutor {
  /** The backend the process's engine was started with (by its first job). */
  private engineChoice?: string;
  /** Instruction data per experiment (by hash), loaded once per worker process and shared by its jobs. */
  private readonly instructionData = new Map<string, Promise<InstructionData>>();

  constructor(private readonly env: WorkerEnv) {}

  /** BullMQ's processor: run the job's step; throws to fail the attempt. */
  async process(job: Job<JobData>, token: string | undefined): Promise<{ step: string; seconds: number }> {
    const { run, step } = job.data;
    const started = Date.now();
    const ctx = await this.context(run, job);
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    // The error is reported for good: on the last attempt, or when it is the experiment's (a retry cannot help).
    const final = (err: unknown) => lastAttempt || err instanceof ConfigError;
    ctx.log(`${this.env.name}: ${describeStep(step)} (job ${job.id}, attempt ${job.attemptsMade + 1}/${job.opts.attempts ?? 1})`);
    try {
      await this.execute(ctx, job, token, step, run, final);
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      const message = (err as Error)?.message ?? String(err);
      ctx.log(`${describeStep(step)}: FAILED${final(err) ? '' : ' (will be retried)'}: ${message}`, 'cell' in step ? step.cell : undefined);
      // An error in the experiment does not go away on a retry (one reading data may: a file on a shared disk).
      if (err instanceof ConfigError) throw new UnrecoverableError(message);
      throw err;
    }
    await addDependents(this.env.queues, run, step);
    return { step: describeStep(step), seconds: (Date.now() - started) / 1000 };
  }

  private async context(run: QueuedRun, job: Job<JobData>): Promise<GridContext> {
    const exp = this.env.backend ? { ...run.experiment, backend: this.env.backend } : run.experiment;
    const runDir = new RunDir(run.runDir);
    const prefix = `[${job.id}] `;
    // One tensor engine per process, started for the first job: a later job asking for another backend runs on it.
    this.engineChoice ??= exp.backend;
    const backend = await ensureEngine(this.env.registry, exp.backend);
    if (exp.backend !== 'auto' && exp.backend !== this.engineChoice) {
      this.env.log(`${prefix}WARNING: this worker runs on ${backend} (${this.engineChoice}), the experiment asks for ${exp.backend}: ` +
        'its numbers may differ from a run on that backend; give its jobs workers of their own, or --backend');
    }
    return {
      exp, registry: this.env.registry, runDir, experimentDir: run.experimentDir, steps: defaultSteps,
      instructionData: () => {
        let data = this.instructionData.get(run.hash);
        if (!data) {
          data = InstructionData.load(this.env.registry, exp.instruction!, run.experimentDir, (line) => { void runDir.log(line); });
          data.catch(() => this.instructionData.delete(run.hash)); // a failed load is tried again by the next job
          this.instructionData.set(run.hash, data);
        }
        return data;
      },
      log: (line, key) => {
        this.env.log(prefix + line);
        void runDir.log(line, key);
      },
    };
  }

  private async execute(ctx: GridContext, job: Job<JobData>, token: string | undefined, step: JobStep, run: QueuedRun, final: (err: unknown) => boolean): Promise<void> {
    const { runDir, exp } = ctx;
    const skipped = new Map(Object.entries(run.skippedTasks));
    switch (step.kind) {
      case 'pretrain': {
        // The pretraining of the model (`seed` set: of its cells of that seed, `pretrainPerSeed`).
        const model = modelOf(exp, step.model);
        const pretraining = pretrainingOf(exp, model, step.seed ?? exp.seeds[0]!);
        if (!pretraining || pretraining.perSeed !== (step.seed !== undefined)) throw new ConfigError(`experiment '${exp.name}' has no pretraining '${describeStep(step)}'`);
        const startsFrom = (c: CellKey) => c.model === step.model && pretrainingOf(exp, model, c.seed)?.seed === pretraining.seed;
        await this.locked(ctx, job, token, pretrainingDir(runDir, pretraining), `pretrain/${step.model}${step.seed === undefined ? '' : `/seed${step.seed}`}`, async () => {
          try {
            await baseModel(ctx, model, pretraining.seed);
          } catch (err) {
            // Its cells will never be tuned: they are failed, as the runner records them.
            if (final(err)) for (const cell of gridCells(exp).filter(startsFrom)) await failCell(runDir, cell, `pretraining failed: ${(err as Error).message}`);
            throw err;
          }
        });
        return;
      }
      case 'tune':
        await this.locked(ctx, job, token, runDir.cellDir(step.cell), cellName(step.cell), async () => {
          const record: CellRecord = { ...step.cell, status: 'running', startedAt: new Date().toISOString(), tasks: skippedOutcomes(skipped, ctx, step.cell) };
          await runDir.writeCell(record);
          try {
            const base = await baseModel(ctx, modelOf(exp, step.cell.model), step.cell.seed, step.cell);
            record.modelDir = await tuneCell(ctx, step.cell, base);
            await runDir.writeCell(record);
          } catch (err) {
            if (final(err)) await failCell(runDir, step.cell, (err as Error).message);
            throw err;
          }
        }, step.cell);
        return;
      case 'eval':
        await this.locked(ctx, job, token, runDir.cellDir(step.cell), cellName(step.cell), async () => {
          const record = await runDir.readCell(step.cell);
          if (!record?.modelDir) throw new ConfigError(`cell ${cellName(step.cell)} has no tuned model to evaluate (${path.join(runDir.cellDir(step.cell), 'cell.json')} names none)`);
          const unit = evaluationUnits(exp, skipped).find((u) => u.name === step.unit);
          if (!unit) throw new ConfigError(`experiment '${exp.name}' has no evaluation '${step.unit}'`);
          const outcomes: Record<string, TaskOutcome> = {};
          const model = new CellModel(ctx, record.modelDir);
          try {
            await evaluateWith(ctx, step.cell, unit, model, outcomes, final);
          } finally {
            await model.dispose();
            await runDir.writeCell({ ...record, tasks: { ...record.tasks, ...outcomes } });
          }
        }, step.cell);
        return;
      case 'cell':
        await this.locked(ctx, job, token, runDir.cellDir(step.cell), cellName(step.cell), async () => {
          const record = await runDir.readCell(step.cell);
          if (!record) throw new ConfigError(`cell ${cellName(step.cell)} has no record (cell.json) to complete`);
          // An evaluation job that failed for good without recording it in the cell (it stalled too often) fails it too.
          const lost = Object.values(await job.getIgnoredChildrenFailures());
          const error = failedEvaluations(record.tasks ?? {})?.message ?? (lost.length > 0 ? `${lost.length} evaluation job(s) failed: ${lost.join('; ')}` : '');
          await runDir.writeCell({ ...record, status: error ? 'failed' : 'done', ...(error ? { error } : {}), finishedAt: new Date().toISOString() });
          ctx.log(error ? `FAILED: ${error}` : 'done', step.cell);
        }, step.cell);
        return;
      case 'report':
        await this.locked(ctx, job, token, runDir.reportDir, 'report', async () => {
          const written = await writeReport(runDir, ctx.registry);
          ctx.log(`report: ${written.length} files in ${runDir.reportDir}`);
        });
    }
  }

  /**
   * Run `work` holding the lock of `dir`; when another live process holds it, put the job back for a while
   * (BullMQ's DelayedError: no attempt is spent). Lock and unlock are recorded in the run's events.jsonl.
   */
  private async locked(ctx: GridContext, job: Job<JobData>, token: string | undefined, dir: string, unit: string, work: () => Promise<void>, cell?: CellKey): Promise<void> {
    let takeover: string | undefined;
    let lock: DirectoryLock;
    try {
      lock = await DirectoryLock.acquire(dir, {
        command: `${WORKER_COMMAND} ${this.env.name}`,
        holderGone: this.env.holderGone,
        log: (line) => {
          takeover = line;
          ctx.log(line, cell);
        },
      });
    } catch (err) {
      if (!(err instanceof DirectoryLockedError)) throw err;
      const holder = err.holder ? describeHolder(err.holder) : err.message;
      // 5 s, doubling each time the job is taken and put back, up to 5 minutes.
      const delay = Math.min(BUSY_RETRY_MS * 2 ** Math.min(Math.max(job.attemptsStarted - 1, 0), 6), 300_000);
      ctx.log(`${unit} is busy (${holder}): job ${job.id} is tried again in ${Math.round(delay / 1000)} s`, cell);
      await job.moveToDelayed(Date.now() + delay, token);
      throw new DelayedError();
    }
    const event = { unit, worker: this.env.name, pid: process.pid, job: job.id };
    await ctx.runDir.event({ event: 'lock', ...event, ...(takeover ? { takeover } : {}) });
    try {
      await work();
    } finally {
      lock.release();
      await ctx.runDir.event({ event: 'unlock', ...event });
    }
  }
}

/** A task validation found without data (optional): recorded as skipped in the cell, with the reason, as the runner does. */
function skippedOutcomes(skipped: ReadonlyMap<string, string>, ctx: GridContext, cell: CellKey): Record<string, TaskOutcome> {
  const outcomes: Record<string, TaskOutcome> = {};
  for (const [task, reason] of skipped) {
    outcomes[task] = { status: 'skipped', reason };
    ctx.log(`${task}: skipped (${reason})`, cell);
  }
  return outcomes;
}

/** Run one unit; every piece's outcome is recorded, a failure only on the job's last attempt (earlier ones are retried). */
async function evaluateWith(ctx: GridContext, cell: CellKey, unit: EvaluationUnit, model: CellModel, outcomes: Record<string, TaskOutcome>, final: (err: unknown) => boolean): Promise<void> {
  await evaluateUnit(ctx, cell, unit, model, async (name, run) => {
    try {
      await run();
      outcomes[name] = { status: 'done' };
    } catch (err) {
      if (final(err)) outcomes[name] = { status: 'failed', error: (err as Error)?.message ?? String(err) };
      throw err;
    }
  });
}

async function failCell(runDir: RunDir, cell: CellKey, error: string): Promise<void> {
  const record = await runDir.readCell(cell);
  const now = new Date().toISOString();
  await runDir.writeCell({ ...cell, ...record, status: 'failed', error, startedAt: record?.startedAt ?? now, finishedAt: now });
  await runDir.log(`FAILED: ${error}`, cell);
}
