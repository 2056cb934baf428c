/**
 * `class-it run <experiment.yaml>`: the whole grid (pretrain → instruction-tune → evaluate), then the report; with
 * `--queue redis://...`, the validated grid is enqueued for `class-it worker`s instead.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { loadConfigFile } from '../config/load.js';
import { experimentSchema } from '../config/experiment.js';
import { runExperiment, gridCells } from '../run/runner.js';
import { defaultSteps } from '../run/steps.js';
import { writeReport } from '../run/grid-steps.js';
import { RunDir } from '../run/run-dir.js';
import { ProgressBar } from '../progress.js';
import { combined, validateExperiment, type ExperimentPlan } from '../run/validate.js';
import { DirectoryLock, FORCE_UNLOCK_HELP } from '../run/lock.js';
import { ConfigError } from '@class-it/core';
import { integer } from './integer-option.js';
import { parseRedisUrl } from '../queue/connection.js';
import { GPU_STEPS, parseGpuSteps } from '../queue/jobs.js';
import { submitExperiment } from '../queue/submit.js';

/** The plan as text: one line per cell, the budget, and every task's data status. */
export function describePlan(plan: ExperimentPlan): string {
  const lines = plan.cells.map((c) => {
    const datasets = Object.entries(c.datasets).map(([name, d]) => `${name} ${d.examples}×${d.passes}${d.declared ? ' (declared size, not downloaded)' : ''}`).join(', ');
    return `  ${c.model}/${c.condition}/seed ${c.seed}: ${c.steps} steps${datasets ? ` (${datasets})` : ''}; ${c.words.unique} unique words, ${c.words.seen} seen`;
  });
  const b = plan.budget;
  return [
    `cells (${plan.cells.length}): steps of instruction tuning, examples × passes per dataset, words of the model`,
    ...lines,
    `budget: ${b.uniqueWords} / ${b.maxUniqueWords} unique words, ${b.wordsSeen} / ${b.maxWordsSeen} seen (largest cell): ${b.ok ? 'ok' : 'EXCEEDED'}`,
    `tasks (${plan.tasks.length}):`,
    ...plan.tasks.map((t) => `  ${t.task} (${t.kind}, ${t.data}): ${t.status}${t.missing ? ` — ${t.missing.join('; ')}` : ''}`),
  ].join('\n');
}

/** The plan as the JSON `--dry-run --json` prints. */
export function planJson(plan: ExperimentPlan): unknown {
  return {
    cells: plan.cells,
    budget: plan.budget,
    tasks: plan.tasks.map((t) => ({ task: t.task, data: t.data, status: t.status, ...(t.missing ? { missing: t.missing } : {}) })),
  };
}

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run an experiment grid (models × conditions × seeds): pretrain/instruction-tune, evaluate, report; resumes where it stopped')
    .argument('<experiment>', 'experiment file (YAML or JSON)')
    .option('--restart', 'move an existing run directory aside and start over')
    .option('--no-report', 'skip the report at the end')
    .option('--force-unlock', FORCE_UNLOCK_HELP)
    .option('--dry-run', 'only validate the experiment (plugins, settings, paths, data, word budget) and print the plan')
    .option('--json', 'with --dry-run: print the plan as JSON')
    .option('--queue <url>', 'validate, then enqueue the grid on this Redis server (redis://host[:port][/db]) for `class-it worker`s ' +
      'instead of running it here; the run directory must be on storage every worker sees')
    .option('--gpu <steps>', `with --queue: send these steps' jobs to workers started with --tags gpu (${GPU_STEPS.join(', ')}, all)`)
    .option('--attempts <n>', 'with --queue: tries of a job before it is reported failed', '3')
    .action(async (file: string, opts: {
      restart?: boolean; report: boolean; forceUnlock?: boolean; dryRun?: boolean; json?: boolean; queue?: string; gpu?: string; attempts: string;
    }) => {
      const queue = opts.queue === undefined ? undefined : { target: parseRedisUrl(opts.queue), gpuSteps: parseGpuSteps(opts.gpu), attempts: integer(opts.attempts, '--attempts', 1) };
      if (queue && opts.restart) throw new ConfigError('cannot be combined with --queue: workers may be writing into the run directory', { field: '--restart' });
      const loaded = await loadConfigFile(file, experimentSchema);
      const { value: exp, baseDir: experimentDir } = loaded;
      // Taken before the checks (which may read a large corpus), so that a second run stops at once; --dry-run only
      // reads, and with --queue the workers lock what they compute, cell by cell.
      using lock = opts.dryRun || queue ? undefined : await DirectoryLock.acquire(path.resolve(exp.runsDir, exp.name), { command: 'class-it run', forceUnlock: opts.forceUnlock });
      const registry = await ctx.getRegistry();
      // Everything is checked before any compute; a run that cannot finish does not start.
      const validated = await validateExperiment(loaded, registry, (line) => { if (!opts.json) console.error(line); });
      if (opts.dryRun) {
        console.log(opts.json ? JSON.stringify(planJson(validated.plan), null, 2) : describePlan(validated.plan));
        if (validated.problems.length > 0) throw combined(validated.problems);
        return;
      }
      if (validated.problems.length + validated.notDownloaded.length > 0) throw combined([...validated.problems, ...validated.notDownloaded]);
      if (queue) {
        const queued = await submitExperiment(loaded, validated, queue);
        console.log(queued.added
          ? `queued experiment ${exp.name} (${queued.run.hash}) on ${queue.target.display}: ${queued.jobs} jobs now, the rest as their steps finish; run directory ${queued.run.runDir}`
          : `experiment ${exp.name} (${queued.run.hash}) is on ${queue.target.display} already (its report job is ${queued.existingState}): nothing added`);
        console.log(`workers: class-it worker --queue ${queue.target.display}; progress: class-it status ${file} --queue ${queue.target.display}`);
        return;
      }
      const bar = new ProgressBar({ label: exp.name, total: gridCells(exp).length, logEverySeconds: 0 });
      const summary = await runExperiment(exp, registry, {
        steps: defaultSteps,
        experimentDir,
        restart: opts.restart,
        afterMovedAside: (aside) => lock!.relockAfterMove(aside),
        validated,
        log: (line) => { if (!process.stderr.isTTY) console.error(line); },
        onProgress: (p) => bar.update(p.cell - 1, `${p.name}: ${p.phase}`),
      });
      bar.update(gridCells(exp).length, 'done');
      bar.finish();
      console.log(`run ${exp.name}: ${summary.computed.length} computed, ${summary.skipped.length} already done, ${summary.failed.length} failed -> ${summary.runDir}`);
      for (const c of summary.cells.filter((c) => c.status === 'failed')) console.error(`  FAILED ${c.model}/${c.condition}/seed ${c.seed}: ${c.error}`);
      if (opts.report) {
        const written = await writeReport(new RunDir(summary.runDir), registry);
        const html = written.find((f) => f.endsWith('.html'));
        console.log(`report: ${path.relative(process.cwd(), path.dirname(html ?? written[0] ?? summary.runDir))}${html ? ` (open ${path.relative(process.cwd(), html)})` : ''}`);
      }
      if (summary.failed.length > 0) process.exitCode = 1;
    });
}
