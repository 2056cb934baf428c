/**
 * The grid on a job queue, end to end on a real Redis server and the real stack (gpt-tiny, WASM): a small grid
 * (a pretrained gpt-tiny, two conditions, two seeds, two zero-shot tasks on small subsets of the BabyLM data) is
 * enqueued with `class-it run --queue`, three `class-it worker` processes run it, and one of them is killed with
 * SIGKILL while it trains a cell. Every job completes (the killed worker's job is handed to another worker, which
 * resumes from the last checkpoint), no unit was held by two live workers at once (the lock records in
 * events.jsonl), re-enqueueing adds nothing, and every number of every results.json equals that of a
 * single-process `class-it run` of the same experiment.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRedisServer, warnRedisMissing } from './helpers/redis';
import { cli, evalData, subsetJsonl, waitFor, queueTestBed, workspace } from './helpers/queue-grid';

const redisBinary = findRedisServer();
if (!redisBinary) warnRedisMissing('tools/test/queue.test.ts (the grid on a job queue)');
const itWithRedis = redisBinary ? it : it.skip;

function experiment(runsDir: string, dataDir: string): string {
  return `
name: queue-grid
seeds: [1, 2]
backend: wasm
runsDir: ${runsDir}
models:
  - name: tiny
    pretrain:
      corpus: [${path.join(workspace, 'data/quickstart/corpus.txt')}]
      preset: gpt-tiny
      vocabSize: 400
      maxSteps: 12
      batchSize: 8
      sequenceLength: 32
instruction:
  datasets:
    conversational: { plugin: switchboard, settings: { path: ${path.join(workspace, 'data/demo/conversational.jsonl')}, limit: 60 } }
    qa: { plugin: simple_wiki, settings: { path: ${path.join(workspace, 'data/demo/qa.jsonl')}, limit: 60 } }
  trainer: { batchSize: 8, sequenceLength: 64, maxSteps: 24, checkpointEverySteps: 2 }
  heldOut: { perDataset: 4 }
conditions:
  - { name: baseline, curriculum: baseline }
  - { name: merged, curriculum: merged }
evaluation:
  dataDir: ${dataDir}
  zeroShot:
    - { task: blimp_supplement, data: supplement }
    - { task: wug_adj, data: wug_adj }
`;
}

/** Every number in a results.json, by its path, except the completion time (when, and how long it took). */
function numbers(value: unknown, at = ''): Record<string, number> {
  if (typeof value === 'number') return { [at]: value };
  if (value === null || typeof value !== 'object') return {};
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) if (!(at === '' && k === 'completed')) Object.assign(out, numbers(v, `${at}/${k}`));
  return out;
}

async function resultsOf(runDir: string): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const cell of await fs.readdir(path.join(runDir, 'cells'))) {
    for (const task of await fs.readdir(path.join(runDir, 'cells', cell, 'eval'))) {
      out[`${cell}/${task}`] = numbers(JSON.parse(await fs.readFile(path.join(runDir, 'cells', cell, 'eval', task, 'results.json'), 'utf8')));
    }
  }
  return out;
}

interface LockEvent { time: string; event: 'lock' | 'unlock'; unit: string; worker: string; pid: number; job: string; takeover?: string }

describe('class-it worker: the grid on a Redis job queue', () => {
  const bed = queueTestBed(redisBinary, 'class-it-queue-');
  const workers = bed.workers;

  itWithRedis('runs every job on three workers, survives a SIGKILL mid-training, and matches a single-process run', async () => {
    const { redis, dir } = bed;
    expect(existsSync(cli), 'build the workspace first (npm run build)').toBe(true);
    const data = path.join(dir, 'eval-data');
    await subsetJsonl(path.join(evalData, 'blimp_supplement/supplement_fast'), path.join(data, 'supplement'), 12);
    await subsetJsonl(path.join(evalData, 'wug_adj'), path.join(data, 'wug_adj'), 40);
    const single = path.join(dir, 'single.yaml');
    const queued = path.join(dir, 'queued.yaml');
    await fs.writeFile(single, experiment(path.join(dir, 'single-runs'), data));
    await fs.writeFile(queued, experiment(path.join(dir, 'queued-runs'), data));
    const runDir = path.join(dir, 'queued-runs', 'queue-grid');
    const url = redis!.url(1);

    // 1. The reference: the same experiment in one process.
    const reference = spawnSync(process.execPath, [cli, 'run', single, '--no-report'], { cwd: dir, encoding: 'utf8' });
    expect(reference.status, reference.stderr + reference.stdout).toBe(0);

    // 2. Enqueue; enqueueing again adds nothing.
    const enqueue = () => spawnSync(process.execPath, [cli, 'run', queued, '--queue', url], { cwd: dir, encoding: 'utf8' });
    const first = enqueue();
    expect(first.status, first.stderr + first.stdout).toBe(0);
    expect(first.stdout).toMatch(/queued experiment queue-grid \([0-9a-f]{16}\) on redis:\/\/127\.0\.0\.1:\d+\/1: 2 jobs now/);
    expect(enqueue().stdout).toMatch(/is on .* already \(its report job is waiting-children\): nothing added/);

    // 3. Three workers; the one training a cell is killed once that cell has a checkpoint.
    for (let i = 0; i < 3; i++) workers.start(dir, ['--queue', url, '--lock-seconds', '10']);
    const output = () => workers.output;
    const pids = workers.all.map((w) => w.pid);
    const victim = await waitFor(async () => {
      for (const seed of [1, 2]) {
        const cellDir = path.join(runDir, 'cells', `tiny__merged__seed${seed}`);
        // complete checkpoints only (one being written has a temporary name until it is renamed into place)
        const checkpoints = (await fs.readdir(path.join(cellDir, 'train', 'checkpoints')).catch(() => [] as string[])).filter((n) => /^step-\d+$/.test(n));
        const holder = await fs.readFile(path.join(cellDir, '.class-it.lock'), 'utf8').then((t) => JSON.parse(t) as { pid: number }, () => undefined);
        if (checkpoints.length > 0 && holder && pids.includes(holder.pid) && !existsSync(path.join(cellDir, 'train', 'final'))) return { cell: `tiny__merged__seed${seed}`, pid: holder.pid };
      }
      return undefined;
    }, 240_000, 'a worker training a cell with a checkpoint', output);
    const killed = workers.all.find((w) => w.pid === victim.pid)!;
    killed.kill('SIGKILL');
    const killedAt = Date.now();

    // 4. Everything finishes on the other two.
    await waitFor(async () => (existsSync(path.join(runDir, 'report', 'report.json')) ? true : undefined), 240_000, 'the report', output);
    const status = spawnSync(process.execPath, [cli, 'status', queued, '--queue', url, '--json'], { cwd: dir, encoding: 'utf8' });
    expect(status.status, status.stderr + status.stdout).toBe(0);
    const jobs = JSON.parse(status.stdout) as { counts: Record<string, number>; jobs: Array<{ id: string; state: string; worker?: string }> };
    // 1 pretraining; per cell: 1 tune, 2 evaluations, 1 record; 1 report.
    expect(jobs.jobs).toHaveLength(1 + 4 * 4 + 1);
    expect(jobs.counts).toEqual({ done: 18, running: 0, waiting: 0, failed: 0, 'not queued': 0 });
    const resumedTune = jobs.jobs.find((j) => j.id.endsWith(`/tune/${victim.cell}`))!;
    expect(resumedTune.worker).not.toBe(`${os.hostname()}/${victim.pid}`);
    expect(enqueue().stdout).toMatch(/its report job is completed\): nothing added/);
    for (const w of workers.all) if (w !== killed) w.kill('SIGTERM');

    // The killed worker's cell was taken over and resumed from its last checkpoint, not started again.
    const cellLog = await fs.readFile(path.join(runDir, 'cells', victim.cell, 'log.txt'), 'utf8');
    expect(cellLog, output()).toMatch(/taking over a stale lock .* is no longer running/);
    expect(cellLog).toMatch(/training \d+ steps in 1 stage\(s\) on wasm, resuming at step [1-9]\d*/);

    // 5. No unit was held by two live workers at once: a lock is taken only from nobody, or, as a take-over, from
    // the killed worker after it died.
    const events = (await fs.readFile(path.join(runDir, 'events.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as LockEvent);
    const holders = new Map<string, LockEvent>();
    let takeovers = 0;
    for (const e of events.filter((x) => x.event === 'lock' || x.event === 'unlock')) {
      const held = holders.get(e.unit);
      if (e.event === 'unlock') {
        expect(held?.pid, `${e.unit} unlocked by a worker that did not hold it`).toBe(e.pid);
        holders.delete(e.unit);
        continue;
      }
      if (held) {
        expect(held.pid, `${e.unit} locked by ${e.worker} while ${held.worker} held it`).toBe(victim.pid);
        expect(e.takeover).toBeDefined();
        expect(Date.parse(e.time)).toBeGreaterThanOrEqual(killedAt - 1000);
        takeovers++;
      }
      holders.set(e.unit, e);
    }
    expect(takeovers).toBe(1);
    expect([...holders.keys()]).toEqual([]);
    expect(events.filter((e) => e.event === 'lock' && e.unit === victim.cell && e.job.includes('/tune/'))).toHaveLength(2);

    // 6. The same numbers as the single-process run, in every results.json.
    const expected = await resultsOf(path.join(dir, 'single-runs', 'queue-grid'));
    expect(Object.keys(expected)).toHaveLength(8);
    expect(await resultsOf(runDir)).toEqual(expected);
    const cells = await Promise.all(['baseline', 'merged'].flatMap((c) => [1, 2].map(async (s) =>
      JSON.parse(await fs.readFile(path.join(runDir, 'cells', `tiny__${c}__seed${s}`, 'cell.json'), 'utf8')).status as string)));
    expect(cells).toEqual(['done', 'done', 'done', 'done']);
  }, 540_000);
});
