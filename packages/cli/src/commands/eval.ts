import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { describeTasks } from './plugins.js';
import { loadModel } from '../run/load-model.js';
import { listMilestoneCheckpoints } from '@class-it/core';
import { runEvaluation } from '../run/evaluate.js';
import { ProgressBar } from '../progress.js';
import { ClassItError, ConfigError } from '@class-it/core';
import { loadConfigFile } from '../config/load.js';
import { experimentSchema } from '../config/experiment.js';
import { BACKEND_HELP } from './backend-option.js';
import { MODEL_HELP, addModelSourceOptions, modelDirOf, type ModelSourceFlags } from './model-option.js';

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
  limit?: number;
}

/** A commander parser for an option that must be a positive integer. */
function positiveIntegerOption(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`expected a positive integer, got '${value}'`, { field: flag });
    return n;
  };
}

/**
 * `--set key=value` pairs into settings (numbers and booleans parsed). Which keys exist is the evaluator's to say:
 * it rejects unknown ones (a ConfigError naming the key), so a misspelt key never passes silently.
 */
export function parseSettings(pairs: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new ConfigError(`expected key=value, got '${pair}'`, { field: '--set' });
    const key = pair.slice(0, i);
    const raw = pair.slice(i + 1);
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw new ConfigError(`'${key}' is not a setting name`, { field: '--set' });
    if (key in out) throw new ConfigError(`'${key}' is given twice`, { field: '--set' });
    out[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

export function registerEval(program: Command, ctx: CliContext): void {
  let tasksHelp = '';
  const command = program
    .command('eval')
    .description('zero-shot evaluation of a checkpoint (the tasks installed and installable are listed below)')
    .addHelpText('after', () => tasksHelp)
    .requiredOption('--model <dir>', `${MODEL_HELP}; with --sweep a run directory holding chck_*M checkpoints`)
    .option('--task <names...>', 'one or more task names')
    .option('--data <dir>', 'evaluation data directory of the task (e.g. ../shared/eval-data/blimp/blimp_fast), or the root of the BabyLM data')
    .option('--experiment <file>', "run the experiment file's zero-shot tasks (evaluation.zeroShot) instead of --task/--data")
    .requiredOption('--out <dir>', 'output directory (one sub-directory per task)')
    .option('--fast', 'the data is the fast subset (recorded in results)')
    .option('--set <key=value...>', 'evaluator settings, e.g. batchSize=64')
    .option('--sweep', 'evaluate every chck_*M checkpoint found under --model (learning curves)')
    .option('--limit <n>', 'evaluate only the first n items of each data file (a quick, deterministic check)', positiveIntegerOption('--limit'))
    .option('--backend <name>', BACKEND_HELP, 'auto');
  addModelSourceOptions(command)
    .action(async (opts: EvalOptions & ModelSourceFlags & { set?: string[]; experiment?: string }) => {
      const registry = await ctx.getRegistry();
      const settings = parseSettings(opts.set);
      const jobs = await evaluationJobs(opts, settings);
      const modelDir = await modelDirOf(opts.model, opts);
      const targets = opts.sweep ? await listMilestoneCheckpoints(modelDir) : [{ name: '', dir: modelDir, words: 0 }];
      if (opts.sweep && targets.length === 0) throw new ClassItError(`no chck_*M checkpoints under ${opts.model}`);
      for (const target of targets) {
        const model = await loadModel(registry, target.dir, opts.backend);
        for (const job of jobs) {
          const outDir = path.join(opts.out, target.name, job.task);
          const bar = new ProgressBar({ label: `${target.name ? target.name + ' ' : ''}${job.task}`, total: 1 });
          const result = await runEvaluation(registry, model, {
            task: job.task, kind: 'zero-shot', dataDir: job.dataDir, outDir, fast: job.fast, settings: job.settings, limit: opts.limit,
            log: (l) => bar.log(l),
            onProgress: (d, t) => bar.update(d, undefined, t),
          });
          bar.finish();
          const limited = opts.limit ? `, the first ${opts.limit} of each file` : '';
          console.log(`${target.name ? target.name + ' ' : ''}${job.task}: ${result.metric} ${result.score.toFixed(2)} (${result.itemCount} items${limited}) -> ${outDir}`);
        }
        model.dispose();
      }
    });
  program.hook('preSubcommand', async (_root, sub) => {
    if (sub === command) tasksHelp = await describeTasks(ctx, 'zero-shot');
  });
}
