/**
 * `class-it status <run-or-experiment> [--queue redis://...]`: where a run stands. With --queue, every job of the
 * enqueued experiment (done / running on which worker / waiting / failed with its error); without, its cells as the
 * run directory records them.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError, readJsonObject } from '@class-it/core';
import { loadConfigFile } from '../config/load.js';
import { experimentSchema, type Experiment } from '../config/experiment.js';
import { gridCells } from '../run/grid-steps.js';
import { RunDir, cellName } from '../run/run-dir.js';
import { checkReachable, parseRedisUrl } from '../queue/connection.js';
import { JobQueues } from '../queue/queues.js';
import { describeRunStatus, runStatus } from '../queue/status.js';

/** The experiment of a run directory (its experiment.json) or of an experiment file. */
async function experimentOf(target: string): Promise<Experiment> {
  const stat = await fs.stat(target).catch(() => undefined);
  if (!stat) throw new ConfigError(`no such run directory or experiment file: ${target}`);
  if (!stat.isDirectory()) return (await loadConfigFile(target, experimentSchema)).value;
  const file = new RunDir(target).experimentFile;
  const parsed = experimentSchema.safeParse((await readJsonObject(file))['experiment']);
  if (!parsed.success) throw new ConfigError(`not an experiment record: ${parsed.error.issues[0]?.message}`, { file, field: 'experiment' });
  return parsed.data;
}

/** The cells of a run as its directory records them, one line each. */
async function describeCells(exp: Experiment): Promise<string> {
  const runDir = new RunDir(path.resolve(exp.runsDir, exp.name));
  const lines = [`run ${exp.name} in ${runDir.root}:`];
  for (const key of gridCells(exp)) {
    const record = await runDir.readCell(key);
    lines.push(`  ${(record?.status ?? 'not started').padEnd(11)} ${cellName(key)}${record?.error ? `: ${record.error}` : ''}`);
  }
  return lines.join('\n');
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show where a run stands: with --queue, each job of the enqueued experiment (done, running and on which worker, ' +
      'waiting, failed with its error); without, each cell as the run directory records it')
    .argument('<run-or-experiment>', 'a run directory (runs/<name>) or an experiment file')
    .option('--queue <url>', 'the Redis server the experiment was enqueued on: redis://host[:port][/db]')
    .option('--json', 'print the jobs as JSON (with --queue)')
    .action(async (target: string, opts: { queue?: string; json?: boolean }) => {
      const exp = await experimentOf(target);
      if (!opts.queue) {
        console.log(await describeCells(exp));
        return;
      }
      const redis = parseRedisUrl(opts.queue);
      await checkReachable(redis);
      const queues = new JobQueues(redis);
      try {
        const status = await runStatus(queues, exp);
        console.log(opts.json ? JSON.stringify(status, null, 2) : describeRunStatus(status, redis.display));
        if (status.counts.failed > 0) process.exitCode = 1;
      } finally {
        await queues.close();
      }
    });
}
