/** The `class-it` command line: every command is registered here. */
import path from 'node:path';
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
import { registerGenerate } from './commands/generate.js';
import { registerChat } from './commands/chat.js';
import { registerServe } from './commands/serve.js';
import { registerWorker } from './commands/worker.js';
import { registerStatus } from './commands/status.js';
import { CORE_VERSION } from '@class-it/core';

export function buildProgram(ctx: CliContext = createCliContext()): Command {
  const program = new Command('class-it')
    .description('instruction-tune and evaluate BabyLM-scale language models (CLASS-IT)')
    .version(CORE_VERSION)
    .option('--plugin-path <dir>', `an extra directory to search for plugin packages (repeatable; or several joined by '${path.delimiter}')`,
      (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(path.delimiter).filter(Boolean)])
    .option('--verbose', 'print the whole error, with its stack, when a command fails')
    // a usage error is one line too, like every other error (see error-message.ts)
    .configureOutput({ outputError: (text, write) => write(`class-it: ${text.trim().replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')} (add --help for usage)\n`) })
    // before the command parses its own options, so that its help can already list what the plugin paths hold
    .hook('preSubcommand', (cmd) => {
      ctx.pluginPaths.push(...(cmd.opts<{ pluginPath?: string[] }>().pluginPath ?? []));
    });
  registerPlugins(program, ctx);
  registerScore(program, ctx);
  registerEval(program, ctx);
  registerFinetune(program, ctx);
  registerPretrain(program, ctx);
  registerTrain(program, () => ctx.getRegistry());
  registerRun(program, ctx);
  registerReport(program, () => ctx.getRegistry());
  registerGenerate(program, ctx);
  registerChat(program, ctx);
  registerServe(program, ctx);
  registerWorker(program, ctx);
  registerStatus(program);
  return program;
}
