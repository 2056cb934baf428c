import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { loadModel } from '../run/load-model.js';
import { runEvaluation } from '../run/evaluate.js';
import { parseSettings } from './eval.js';
import { ProgressBar } from '../progress.js';
import { BACKEND_HELP } from './backend-option.js';
import { MODEL_HELP, addModelSourceOptions, modelDirOf, type ModelSourceFlags } from './model-option.js';
import { DirectoryLock, FORCE_UNLOCK_HELP } from '../run/lock.js';
import { describeTasks } from './plugins.js';

export function registerFinetune(program: Command, ctx: CliContext): void {
  let tasksHelp = '';
  const command = program
    .command('finetune')
    .description('(Super)GLUE fine-tuning evaluation with the BabyLM 2025 recipe (boolq, multirc, rte, wsc, mrpc, qqp, mnli, or all)')
    .addHelpText('after', () => tasksHelp)
    .requiredOption('--model <dir>', MODEL_HELP)
    .requiredOption('--task <name>', 'task name, or all')
    .requiredOption('--data <dir>', 'glue_filtered directory')
    .requiredOption('--out <dir>', 'output directory')
    .option('--set <key=value...>', 'recipe overrides, e.g. epochs=1 maxTrainExamples=500')
    .option('--backend <name>', BACKEND_HELP, 'auto')
    .option('--force-unlock', FORCE_UNLOCK_HELP);
  addModelSourceOptions(command)
    .action(async (opts: ModelSourceFlags & { model: string; task: string; data: string; out: string; set?: string[]; backend: string; forceUnlock?: boolean }) => {
      using _lock = await DirectoryLock.acquire(opts.out, { command: 'class-it finetune', forceUnlock: opts.forceUnlock });
      const registry = await ctx.getRegistry();
      const model = await loadModel(registry, await modelDirOf(opts.model, opts), opts.backend);
      const task = opts.task === 'all' ? 'glue' : opts.task;
      const outDir = path.join(opts.out, task);
      const bar = new ProgressBar({ label: `finetune ${task}`, total: 1 });
      const result = await runEvaluation(registry, model, {
        task, kind: 'fine-tuning', dataDir: opts.data, outDir, fast: false, settings: parseSettings(opts.set),
        log: (l) => console.error(l), onProgress: (d, t) => bar.update(d, undefined, t),
      });
      bar.finish();
      console.log(`${task}: ${result.metric} ${result.score.toFixed(2)} -> ${outDir}`);
      model.dispose();
    });
  program.hook('preSubcommand', async (_root, sub) => {
    if (sub === command) tasksHelp = await describeTasks(ctx, 'fine-tuning');
  });
}
