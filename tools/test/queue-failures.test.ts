/**
 * The job queue when things go wrong, on a real Redis server and the real stack (gpt-tiny, WASM): an evaluation
 * whose data is broken fails after its bounded attempts and is reported (status, cell.json) while the rest of the
 * grid and the report still complete; jobs routed with `--gpu` wait for a `--tags gpu` worker; a unit locked by a
 * live process is retried later, and one locked by a dead worker on another host (Redis lists no such worker) is
 * taken over.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRedisServer, warnRedisMissing } from './helpers/redis';
import { cli, evalData, subsetJsonl, waitFor, queueTestBed, workspace } from './helpers/queue-grid';

const redisBinary = findRedisServer();
if (!redisBinary) warnRedisMissing('tools/test/queue-failures.test.ts (failures, routing and locks on the job queue)');
const itWithRedis = redisBinary ? it : it.skip;

interface StatusJson {
  counts: Record<string, number>;
  jobs: Array<{ id: string; state: string; queue: string; worker?: string; attemptsMade?: number; error?: string }>;
}

describe('class-it worker: failures, GPU routing and busy units', () => {
  const bed = queueTestBed(redisBinary, 'class-it-queue-failures-');
  const workers = bed.workers;

  itWithRedis('reports a failing evaluation after its attempts, routes GPU jobs, waits for busy units, takes over dead ones', async () => {
    const { redis, dir } = bed;
    expect(existsSync(cli), 'build the workspace first (npm run build)').toBe(true);
    const data = path.join(dir, 'eval-data');
    await subsetJsonl(path.join(evalData, 'blimp_supplement/supplement_fast'), path.join(data, 'supplement'), 6);
    // WUG rows without their `ratio`: found at evaluation time, not by validation.
    await fs.mkdir(path.join(data, 'wug_adj'), { recursive: true });
    await fs.writeFile(path.join(data, 'wug_adj', 'wug_adj_nominalization.jsonl'), '{"sentences": "a\\tb"}\n{"sentences": "c\\td"}\n');
    const file = path.join(dir, 'experiment.yaml');
    await fs.writeFile(file, `
name: queue-routing
seeds: [1]
backend: wasm
runsDir: ${path.join(dir, 'runs')}
models:
  - name: tiny
    pretrain: { corpus: [${path.join(workspace, 'data/quickstart/corpus.txt')}], preset: gpt-tiny, vocabSize: 400, maxSteps: 2, batchSize: 8, sequenceLength: 32 }
conditions:
  - { name: baseline, curriculum: baseline }
evaluation:
  dataDir: ${data}
  zeroShot:
    - { task: blimp_supplement, data: supplement }
    - { task: wug_adj, data: wug_adj }
`);
    const runDir = path.join(dir, 'runs', 'queue-routing');
    const cellDir = path.join(runDir, 'cells', 'tiny__baseline__seed1');
    const url = redis!.url();
    const status = () => spawnSync(process.execPath, [cli, 'status', file, '--queue', url, '--json'], { cwd: dir, encoding: 'utf8' });
    const jobs = () => JSON.parse(status().stdout) as StatusJson;
    const job = (s: StatusJson, suffix: string) => s.jobs.find((j) => j.id.endsWith(suffix))!;

    // Locks found on disk: the pretraining's, of a worker on another host that Redis does not know (dead), and the
    // cell's, of a live process here.
    const lock = (holder: object) => JSON.stringify({ startedAt: new Date().toISOString(), token: String(Math.random()), ...holder });
    await fs.mkdir(path.join(runDir, 'models', 'tiny', 'pretrain'), { recursive: true });
    await fs.writeFile(path.join(runDir, 'models', 'tiny', 'pretrain', '.class-it.lock'), lock({ pid: 4242, host: 'elsewhere', command: 'class-it worker elsewhere/4242' }));
    await fs.mkdir(cellDir, { recursive: true });
    await fs.writeFile(path.join(cellDir, '.class-it.lock'), lock({ pid: process.pid, host: os.hostname(), command: 'class-it train' }));

    const enqueued = spawnSync(process.execPath, [cli, 'run', file, '--queue', url, '--gpu', 'eval', '--attempts', '2'], { cwd: dir, encoding: 'utf8' });
    expect(enqueued.status, enqueued.stderr + enqueued.stdout).toBe(0);

    // An untagged worker: it takes over the dead worker's lock, and waits while the cell is busy.
    const cpu = workers.start(dir, ['--queue', url, '--lock-seconds', '6']);
    const output = () => workers.output;
    await waitFor(async () => (/tiny__baseline__seed1 is busy \(class-it train \(pid \d+/.test(output()) ? true : undefined), 90_000, 'the busy cell', output);
    expect(output()).toMatch(/taking over a stale lock of .*pretrain: class-it worker elsewhere\/4242 \(pid 4242 on elsewhere/);
    expect(job(jobs(), '/tune/tiny__baseline__seed1').state).toBe('waiting');
    await fs.rm(path.join(cellDir, '.class-it.lock'));

    // The tune done, the evaluations wait on the gpu queue, which the untagged worker does not serve.
    await waitFor(async () => (job(jobs(), '/tune/tiny__baseline__seed1').state === 'done' ? true : undefined), 60_000, 'the tune', output);
    await new Promise((r) => setTimeout(r, 2000));
    let s = jobs();
    for (const task of ['blimp_supplement', 'wug_adj']) expect(job(s, `/eval/tiny__baseline__seed1/${task}`)).toMatchObject({ state: 'waiting', queue: 'class-it-gpu' });
    expect(job(s, '/cell/tiny__baseline__seed1').state).toBe('waiting');

    const gpu = workers.start(dir, ['--queue', url, '--tags', 'gpu', '--lock-seconds', '6']);
    await waitFor(async () => (existsSync(path.join(runDir, 'report', 'report.json')) ? true : undefined), 120_000, 'the report', output);

    // The broken evaluation failed after its 2 attempts; everything else is done, by the worker it was routed to.
    const finished = status();
    expect(finished.status).toBe(1); // a failed job
    s = JSON.parse(finished.stdout) as StatusJson;
    expect(s.counts).toMatchObject({ done: 5, failed: 1, running: 0, waiting: 0 });
    const wug = job(s, '/eval/tiny__baseline__seed1/wug_adj');
    expect(wug).toMatchObject({ state: 'failed', attemptsMade: 2 });
    expect(wug.error).toMatch(/ratio/);
    const name = (pid: number | undefined) => `${os.hostname()}/${pid}`;
    expect(job(s, '/eval/tiny__baseline__seed1/blimp_supplement').worker).toBe(name(gpu.pid));
    for (const suffix of ['/pretrain/tiny', '/tune/tiny__baseline__seed1', '/cell/tiny__baseline__seed1', '/report']) expect(job(s, suffix).worker).toBe(name(cpu.pid));
    const text = spawnSync(process.execPath, [cli, 'status', file, '--queue', url], { cwd: dir, encoding: 'utf8' }).stdout;
    expect(text).toMatch(/5 done, 0 running, 0 waiting, 1 failed, 0 not queued yet/);
    expect(text).toMatch(/failed +eval tiny__baseline__seed1 wug_adj +by \S+ \(attempt 2\/2\)\n +error: .*ratio/);

    // The cell records the failure as the single-machine runner would; the report is still written.
    const cell = JSON.parse(await fs.readFile(path.join(cellDir, 'cell.json'), 'utf8'));
    expect(cell.status).toBe('failed');
    expect(cell.error).toMatch(/^1 evaluation\(s\) failed: wug_adj: .*ratio/);
    expect(cell.tasks.blimp_supplement).toEqual({ status: 'done' });
    expect(spawnSync(process.execPath, [cli, 'status', runDir], { cwd: dir, encoding: 'utf8' }).stdout).toMatch(/failed +tiny__baseline__seed1: 1 evaluation\(s\) failed/);
  }, 420_000);
});
