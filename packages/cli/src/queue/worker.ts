/**
 * A queue worker (`class-it worker`): takes jobs from the queue of each of its tags (the untagged queue without
 * tags) and runs them with `JobExecutor`. BullMQ keeps a lock on every job a worker runs and renews it while the
 * worker lives; a worker that dies (kill -9, a lost machine) stops renewing, the other workers' stalled-job check
 * puts its job back, and the next worker resumes it from what is on disk.
 */
import os from 'node:os';
import { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import type { PluginRegistry } from '@class-it/core';
import { connectionOptions, type RedisTarget } from './connection.js';
import { JobQueues, KEY_PREFIX } from './queues.js';
import { JobExecutor, WORKER_COMMAND } from './executors.js';
import { queueName, type JobData } from './jobs.js';
import type { LockHolder } from '../run/lock.js';

export interface WorkerSettings {
  target: RedisTarget;
  registry: PluginRegistry;
  /** The queues to serve: one per tag; the untagged queue when empty. */
  tags: string[];
  /** Jobs at once per queue (they share one tensor engine). */
  concurrency: number;
  backend?: string;
  /** How long a job's lock lasts without renewal: a dead worker's job is handed on after about this long. */
  lockSeconds: number;
  /** How often a job stalled at most before it fails (a worker died while running it each time). */
  maxStalls?: number;
  log: (line: string) => void;
}

export interface RunningWorker {
  /** `host/pid`: the name BullMQ records on the jobs this worker runs. */
  name: string;
  queues: string[];
  close(): Promise<void>;
}

/** The names of the BullMQ workers connected to Redis (from their connections' client names, `<...>:w:<name>`). */
async function connectedWorkers(client: Redis): Promise<Set<string>> {
  const list = String(await client.call('CLIENT', 'LIST'));
  const names = new Set<string>();
  for (const line of list.split('\n')) {
    const name = /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '';
    const at = name.indexOf(':w:');
    if (at >= 0) names.add(name.slice(at + 3));
  }
  return names;
}

export async function startWorker(settings: WorkerSettings): Promise<RunningWorker> {
  const name = `${os.hostname()}/${process.pid}`;
  const queues = new JobQueues(settings.target);
  const admin = new Redis({ ...connectionOptions(settings.target), lazyConnect: true });
  admin.on('error', (err) => settings.log(`redis: ${err.message}`));
  const lockDuration = settings.lockSeconds * 1000;
  const executor = new JobExecutor({
    registry: settings.registry, queues, name, backend: settings.backend, log: settings.log,
    // A lock of a worker on another host is judged by Redis: gone when no connected worker has its name.
    holderGone: async (holder: LockHolder) =>
      holder.host !== os.hostname() && holder.command.startsWith(WORKER_COMMAND) && !(await connectedWorkers(admin)).has(`${holder.host}/${holder.pid}`),
  });
  const names = settings.tags.length > 0 ? settings.tags.map((t) => queueName(t)) : [queueName()];
  const workers = names.map((queue) => {
    const worker = new Worker<JobData>(queue, (job, token) => executor.process(job, token), {
      connection: connectionOptions(settings.target), prefix: KEY_PREFIX, name, concurrency: settings.concurrency,
      lockDuration, stalledInterval: Math.min(30_000, lockDuration), maxStalledCount: settings.maxStalls ?? 3,
    });
    worker.on('failed', (job, err) => settings.log(`job ${job?.id} failed (attempt ${job?.attemptsMade}/${job?.opts.attempts ?? 1}): ${err.message}`));
    worker.on('stalled', (id) => settings.log(`job ${id} stalled (its worker stopped renewing its lock): it goes back to the queue`));
    worker.on('error', (err) => settings.log(`worker error: ${err.message}`));
    return worker;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  settings.log(`worker ${name} on ${settings.target.display}: queues ${names.join(', ')}, concurrency ${settings.concurrency}`);
  return {
    name,
    queues: names,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await queues.close();
      admin.disconnect();
    },
  };
}
