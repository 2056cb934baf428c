/** The `class-it` command line: every command is registered here. */
import { Command } from 'commander';
import { createCliContext, type CliContext } from './context.js';
import { registerPlugins } from './commands/plugins.js';
import { registerScore } from './commands/score.js';
import { registerEval } from './commands/eval.js';
import { registerFinetune } from './commands/finetune.js';
import { registerRun } from './commands/run.js';
import { registerTrain } from './commands/train.js';
import { registerPretrain } from './commands/pretrain.js';
import { registerReport } from './commands/report.js';
import { CORE_VERSION } from '@class-it/core';

export function buildProgram(ctx: CliContext = createCliContext()): Command {
  const program = new Command('class-it')
    .description('instruction-tune and evaluate BabyLM-scale language models (CLASS-IT)')
    .version(CORE_VERSION)
    .option('--plugin-path <dirs...>', 'extra directories to search for plugin packages')
    .option('--verbose', 'print stack traces on errors')
    .showHelpAfterError()
    .hook('preAction', (cmd) => {
      const opts = cmd.opts<{ pluginPath?: string[] }>();
      if (opts.pluginPath) ctx.pluginPaths.push(...opts.pluginPath);
    });
  registerPlugins(program, ctx);
  registerScore(program, ctx);
  registerEval(program, ctx);
  registerFinetune(program, ctx);
  registerPretrain(program, ctx);
  registerTrain(program, () => ctx.getRegistry());
  registerRun(program, ctx);
  registerReport(program, () => ctx.getRegistry());
  return program;
}
