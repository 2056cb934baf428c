/** `class-it worker --queue redis://host:port[/db]`: run the jobs of enqueued experiments until stopped. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { BACKEND_HELP } from './backend-option.js';
import { integer } from './integer-option.js';
import { checkReachable, parseRedisUrl } from '../queue/connection.js';
import { queueName } from '../queue/jobs.js';
import { startWorker } from '../queue/worker.js';

export function registerWorker(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('take jobs of experiments enqueued with `class-it run --queue` and run them (pretraining, instruction tuning, ' +
      'evaluations, reports) until stopped; start one or more on every machine that shares the run directories')
    .requiredOption('--queue <url>', 'the Redis server of the queue: redis://host[:port][/db]')
    .option('--concurrency <n>', 'jobs at once (they share this process\'s tensor engine)', '1')
    .option('--backend <name>', `${BACKEND_HELP}; default: each experiment's own`)
    .option('--tags <tags>', 'serve only the jobs routed to these tags (comma-separated, e.g. gpu: see `run --gpu`) instead of the untagged ones')
    .option('--lock-seconds <n>', 'a job of a worker that died goes to another worker after about this long; longer than any pause of this process', '120')
    .action(async (opts: { queue: string; concurrency: string; backend?: string; tags?: string; lockSeconds: string }) => {
      const target = parseRedisUrl(opts.queue);
      const tags = (opts.tags ?? '').split(',').map((t) => t.trim()).filter(Boolean);
      tags.forEach((t) => queueName(t)); // checks each tag
      const concurrency = integer(opts.concurrency, '--concurrency', 1);
      const lockSeconds = integer(opts.lockSeconds, '--lock-seconds', 2);
      await checkReachable(target);
      const registry = await ctx.getRegistry();
      const log = (line: string) => console.error(`${new Date().toISOString()} ${line}`);
      const worker = await startWorker({ target, registry, tags, concurrency, backend: opts.backend, lockSeconds, log });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      log(`worker ${worker.name}: stopping (a job it was running goes back to the queue)`);
      await worker.close();
    });
}
