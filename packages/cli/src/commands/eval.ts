import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { loadModel } from '../run/load-model.js';
import { milestoneCheckpoints } from '../run/checkpoints.js';
import { runEvaluation } from '../run/evaluate.js';
import { ProgressBar } from '../progress.js';
import { ClassItError } from '@class-it/core';
import { loadConfigFile } from '../config/load.js';
import { experimentSchema } from '../config/experiment.js';

interface EvaluationJob {
  task: string;
  dataDir: string;
  fast: boolean;
  settings: Record<string, unknown>;
}

/** The tasks to run: from --task/--data, or from an experiment file's zero-shot section. */
async function evaluationJobs(opts: EvalOptions & { experiment?: string }, settings: Record<string, unknown>): Promise<EvaluationJob[]> {
  if (opts.experiment) {
    if (opts.task || opts.data) throw new ClassItError('give either --experiment or --task/--data, not both');
    const { value: exp, baseDir } = await loadConfigFile(opts.experiment, experimentSchema);
    const root = path.resolve(baseDir, exp.evaluation.dataDir);
    if (exp.evaluation.zeroShot.length === 0) throw new ClassItError('the experiment has no evaluation.zeroShot tasks', { file: opts.experiment, field: 'evaluation.zeroShot' });
    return exp.evaluation.zeroShot.map((t) => ({ task: t.task, dataDir: path.resolve(root, t.data), fast: t.fast, settings: { ...t.settings, ...settings } }));
  }
  if (!opts.task?.length || !opts.data) throw new ClassItError('give --task and --data (or --experiment)');
  return opts.task.map((task) => ({ task, dataDir: opts.data!, fast: Boolean(opts.fast), settings }));
}

interface EvalOptions {
  model: string;
  task?: string[];
  data?: string;
  out: string;
  fast?: boolean;
  setting?: string[];
  sweep?: boolean;
  backend: string;
}

/** `key=value` pairs into settings (numbers and booleans parsed). */
export function parseSettings(pairs: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new ClassItError(`--set expects key=value, got '${pair}'`);
    const key = pair.slice(0, i);
    const raw = pair.slice(i + 1);
    out[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

export function registerEval(program: Command, ctx: CliContext): void {
  program
    .command('eval')
    .description('zero-shot evaluation (blimp, blimp_supplement, ewok, wug_adj, wug_past, entity_tracking, reading) of a checkpoint')
    .requiredOption('--model <dir>', 'checkpoint directory, or with --sweep a run directory holding chck_*M checkpoints')
    .option('--task <names...>', 'one or more task names')
    .option('--data <dir>', 'evaluation data directory of the task (e.g. ../shared/eval-data/blimp/blimp_fast), or the root of the BabyLM data')
    .option('--experiment <file>', "run the experiment file's zero-shot tasks (evaluation.zeroShot) instead of --task/--data")
    .requiredOption('--out <dir>', 'output directory (one sub-directory per task)')
    .option('--fast', 'the data is the fast subset (recorded in results)')
    .option('--set <key=value...>', 'evaluator settings, e.g. batchSize=64')
    .option('--sweep', 'evaluate every chck_*M checkpoint found under --model (learning curves)')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .action(async (opts: EvalOptions & { set?: string[]; experiment?: string }) => {
      const registry = await ctx.getRegistry();
      const settings = parseSettings(opts.set);
      const jobs = await evaluationJobs(opts, settings);
      const targets = opts.sweep ? await milestoneCheckpoints(opts.model) : [{ name: '', dir: opts.model, millions: 0 }];
      if (opts.sweep && targets.length === 0) throw new ClassItError(`no chck_*M checkpoints under ${opts.model}`);
      for (const target of targets) {
        const model = await loadModel(registry, target.dir, opts.backend);
        for (const job of jobs) {
          const outDir = path.join(opts.out, target.name, job.task);
          const bar = new ProgressBar({ label: `${target.name ? target.name + ' ' : ''}${job.task}`, total: 1 });
          const result = await runEvaluation(registry, model, {
            task: job.task, dataDir: job.dataDir, outDir, fast: job.fast, settings: job.settings,
            log: (l) => console.error(l),
            onProgress: (d, t) => bar.update(d, undefined, t),
          });
          bar.finish();
          console.log(`${target.name ? target.name + ' ' : ''}${job.task}: ${result.metric} ${result.score.toFixed(2)} (${result.itemCount} items) -> ${outDir}`);
        }
        model.dispose();
      }
    });
}
