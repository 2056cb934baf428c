/** `class-it serve`: the OpenAI-compatible server and chat page for one checkpoint (see ../serve/server.ts). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { integer } from './integer-option.js';
import { BACKEND_HELP } from './backend-option.js';
import { MODEL_HELP, addModelSourceOptions, modelDirOf, type ModelSourceFlags } from './model-option.js';
import { loadGenerator } from '../generation/load-generator.js';
import { GenerationServer } from '../serve/server.js';

export function registerServe(program: Command, ctx: CliContext): void {
  const command = program
    .command('serve')
    .description('serve a model over HTTP: OpenAI-compatible /v1/models, /v1/completions, /v1/chat/completions (streaming with ' +
      'server-sent events) and a chat page at /; requests run one at a time')
    .requiredOption('--model <dir>', MODEL_HELP)
    .option('--name <id>', 'the model id clients ask for (default: the directory\'s name, or <owner>/<name> of an hf:// model)')
    .option('--host <address>', 'address to bind (other machines can reach the server only if you bind one they can see)', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port; the address is printed)', '8000')
    .option('--max-tokens <n>', 'largest max_tokens a request may ask for', '512')
    .option('--max-prompt-tokens <n>', 'longest prompt in tokens (default: the context window minus one)')
    .option('--max-body-bytes <n>', 'largest request body', String(1 << 20))
    .option('--max-queue <n>', 'requests waiting or running at most (more get 503)', '32')
    .option('--seed <n>', 'seeds of requests that give none derive from this', '0')
    .option('--backend <name>', BACKEND_HELP, 'auto');
  addModelSourceOptions(command)
    .action(async (opts: ModelSourceFlags & {
      model: string; name?: string; host: string; port: string; maxTokens: string; maxPromptTokens?: string; maxBodyBytes: string;
      maxQueue: string; seed: string; backend: string;
    }) => {
      const port = integer(opts.port, '--port', 0);
      const loaded = await loadGenerator(await ctx.getRegistry(), await modelDirOf(opts.model, opts), opts.backend, opts.model);
      const generator = { ...loaded, name: opts.name ?? loaded.name };
      const window = generator.model.info.contextLength;
      const maxPromptTokens = opts.maxPromptTokens === undefined ? window - 1 : Math.min(integer(opts.maxPromptTokens, '--max-prompt-tokens', 1), window - 1);
      const server = new GenerationServer(generator, {
        limits: { maxTokens: integer(opts.maxTokens, '--max-tokens', 1), maxPromptTokens, maxPrompts: 16 },
        maxBodyBytes: integer(opts.maxBodyBytes, '--max-body-bytes', 1),
        maxQueue: integer(opts.maxQueue, '--max-queue', 1),
        seed: integer(opts.seed, '--seed', 0),
      });
      const address = await server.listen(port, opts.host);
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      process.stderr.write(`class-it serve: '${generator.name}' (${generator.model.architecture}, ${generator.model.info.backend}) at ` +
        `http://${host}:${address.port}/ (chat page), OpenAI API under http://${host}:${address.port}/v1\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      generator.model.dispose();
    });
}
