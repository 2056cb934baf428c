/**
 * What the job-queue tests share: the built CLI, small subsets of the BabyLM evaluation data, `class-it worker`
 * processes whose output is kept for failure messages, and polling.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { RedisServer } from './redis';

export const workspace = path.resolve(__dirname, '..', '..', '..');
export const cli = path.join(workspace, 'packages/cli/dist/main.js');
/** The shared evaluation data (never copied into the repository). */
export const evalData = path.resolve(workspace, '../shared/eval-data');

/** The first `n` lines of every .jsonl file of `from`, into `to` (a cheap subset in the benchmark's layout). */
export async function subsetJsonl(from: string, to: string, n: number): Promise<void> {
  await fs.mkdir(to, { recursive: true });
  for (const file of (await fs.readdir(from)).filter((f) => f.endsWith('.jsonl'))) {
    const lines = (await fs.readFile(path.join(from, file), 'utf8')).split('\n').filter(Boolean).slice(0, n);
    await fs.writeFile(path.join(to, file), lines.join('\n') + '\n');
  }
}

/** `class-it worker` processes started by a test; `output` is everything they printed. */
export class Workers {
  readonly all: ChildProcess[] = [];
  output = '';

  start(cwd: string, args: string[]): ChildProcess {
    const worker = spawn(process.execPath, [cli, 'worker', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    worker.stdout!.on('data', (d) => (this.output += d));
    worker.stderr!.on('data', (d) => (this.output += d));
    this.all.push(worker);
    return worker;
  }

  /** SIGKILL every worker still running. */
  killAll(): void {
    for (const w of this.all) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  }
}

/** Poll `probe` every 100 ms until it returns a value; throws naming `what` (and `context()`) after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string, context: () => string = () => ''): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}\n${context()}`);
}

/** What a queue test's `describe` block runs on: a Redis server and a temporary directory, made before its tests
 *  (nothing when `redisBinary` is missing: the tests are skipped), and the workers it starts; all gone after them. */
export interface QueueTestBed {
  redis?: RedisServer;
  dir: string;
  readonly workers: Workers;
}

/** Register the set-up and tear-down of a `QueueTestBed` in the enclosing `describe`; read its fields inside tests. */
export function queueTestBed(redisBinary: string | undefined, dirPrefix: string): QueueTestBed {
  const bed: QueueTestBed = { dir: '', workers: new Workers() };
  beforeAll(async () => {
    if (!redisBinary) return;
    bed.redis = await RedisServer.start(redisBinary);
    bed.dir = await fs.mkdtemp(path.join(os.tmpdir(), dirPrefix));
  });
  afterAll(async () => {
    bed.workers.killAll();
    await bed.redis?.stop();
    if (bed.dir) await fs.rm(bed.dir, { recursive: true, force: true });
  });
  return bed;
}
