/** `class-it chat`: an interactive conversation in the terminal (see ../generation/chat-session.ts). */
import readline from 'node:readline';
import type { Command } from 'commander';
import { DataError } from '@class-it/core';
import type { CliContext } from '../context.js';
import { BACKEND_HELP } from './backend-option.js';
import { MODEL_HELP, addModelSourceOptions, modelDirOf, type ModelSourceFlags } from './model-option.js';
import { loadGenerator } from '../generation/load-generator.js';
import { CHAT_HELP, ChatSession } from '../generation/chat-session.js';

function numberOption(raw: string | undefined, flag: string, check: (v: number) => boolean, expected: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !check(value)) throw new DataError(`expected ${expected}, got '${raw}'`, { field: flag });
  return value;
}

export function registerChat(program: Command, ctx: CliContext): void {
  const command = program
    .command('chat')
    .description('talk to a model in the terminal through its chat template, tokens shown as they are generated (/reset, /temperature, /help, /exit)')
    .requiredOption('--model <dir>', MODEL_HELP)
    .option('--system <text>', 'a system message that opens the conversation')
    .option('--max-new-tokens <n>', 'tokens per reply at most', '256')
    .option('--temperature <x>', '0: greedy; > 0 samples (default: the checkpoint\'s generation_config.json, else greedy)')
    .option('--seed <n>', 'sampling seed (each reply draws from its own stream)', '0')
    .option('--backend <name>', BACKEND_HELP, 'auto');
  addModelSourceOptions(command)
    .action(async (opts: ModelSourceFlags & { model: string; system?: string; maxNewTokens: string; temperature?: string; seed: string; backend: string }) => {
      const maxNewTokens = numberOption(opts.maxNewTokens, '--max-new-tokens', (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1')!;
      const temperature = numberOption(opts.temperature, '--temperature', (v) => v >= 0 && Number.isFinite(v), 'a number >= 0');
      const seed = numberOption(opts.seed, '--seed', (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0')!;
      const generator = await loadGenerator(await ctx.getRegistry(), await modelDirOf(opts.model, opts), opts.backend, opts.model);
      const write = (text: string) => process.stdout.write(text);
      const session = new ChatSession(generator, { system: opts.system, maxNewTokens, temperature, seed }, write);
      write(`class-it chat: ${generator.name} (${generator.model.architecture}, ${generator.model.info.backend}, ` +
        `template ${generator.template.name})\n${CHAT_HELP}\n`);
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: '> ', terminal: process.stdin.isTTY });
      rl.on('SIGINT', () => {
        if (!session.interrupt()) rl.close();
      });
      rl.prompt();
      try {
        for await (const line of rl) {
          if (!(await session.input(line))) break;
          rl.prompt();
        }
      } finally {
        rl.close();
        generator.model.dispose();
      }
    });
}
