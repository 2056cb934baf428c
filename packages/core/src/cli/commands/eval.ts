import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { loadModel } from '../../run/load-model.js';
import { runEvaluation } from '../../run/evaluate.js';
import { ProgressBar } from '../../util/progress.js';
import { ClassItError } from '../../util/errors.js';

interface EvalOptions {
  model: string;
  task: string[];
  data: string;
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

/** Checkpoint directories named chck_{N}M below `dir`, in words-seen order. */
export async function milestoneCheckpoints(dir: string): Promise<Array<{ name: string; dir: string; millions: number }>> {
  const found: Array<{ name: string; dir: string; millions: number }> = [];
  const walk = async (d: string, depth: number) => {
    let entries: import('node:fs').Dirent[] = [];
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const m = /^chck_(\d+)M$/.exec(e.name);
      if (m) found.push({ name: e.name, dir: path.join(d, e.name), millions: Number(m[1]) });
      else if (depth > 0) await walk(path.join(d, e.name), depth - 1);
    }
  };
  await walk(dir, 2);
  return found.sort((a, b) => a.millions - b.millions);
}

export function registerEval(program: Command, ctx: CliContext): void {
  program
    .command('eval')
    .description('zero-shot evaluation (blimp, blimp_supplement, ewok, wug_adj, wug_past, entity_tracking, reading) of a checkpoint')
    .requiredOption('--model <dir>', 'checkpoint directory, or with --sweep a run directory holding chck_*M checkpoints')
    .requiredOption('--task <names...>', 'one or more task names')
    .requiredOption('--data <dir>', 'evaluation data directory of the task (e.g. ../shared/eval-data/blimp/blimp_fast)')
    .requiredOption('--out <dir>', 'output directory (one sub-directory per task)')
    .option('--fast', 'the data is the fast subset (recorded in results)')
    .option('--set <key=value...>', 'evaluator settings, e.g. batchSize=64')
    .option('--sweep', 'evaluate every chck_*M checkpoint found under --model (learning curves)')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .action(async (opts: EvalOptions & { set?: string[] }) => {
      const registry = await ctx.getRegistry();
      const settings = parseSettings(opts.set);
      const targets = opts.sweep ? await milestoneCheckpoints(opts.model) : [{ name: '', dir: opts.model, millions: 0 }];
      if (opts.sweep && targets.length === 0) throw new ClassItError(`no chck_*M checkpoints under ${opts.model}`);
      for (const target of targets) {
        const model = await loadModel(registry, target.dir, opts.backend);
        for (const task of opts.task) {
          const outDir = path.join(opts.out, target.name, task);
          const bar = new ProgressBar({ label: `${target.name ? target.name + ' ' : ''}${task}`, total: 1 });
          const result = await runEvaluation(registry, model, {
            task, dataDir: opts.data, outDir, fast: Boolean(opts.fast), settings,
            log: (l) => console.error(l),
            onProgress: (d, t) => bar.update(d, undefined, t),
          });
          bar.finish();
          console.log(`${target.name ? target.name + ' ' : ''}${task}: ${result.metric} ${result.score.toFixed(2)} (${result.itemCount} items) -> ${outDir}`);
        }
        model.dispose();
      }
    });
}
