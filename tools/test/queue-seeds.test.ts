/**
 * `pretrainPerSeed` on the job queue, on a real Redis server and the real stack (gpt-tiny, WASM): one pretraining
 * job per seed (`pretrain/<model>/seed<n>`), each under the lock of its own directory (models/<m>/pretrain-seed<n>/),
 * each releasing only the tunes of its seed; the cells evaluate the base model of their seed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRedisServer, warnRedisMissing } from './helpers/redis';
import { cli, waitFor, queueTestBed, workspace } from './helpers/queue-grid';

const redisBinary = findRedisServer();
if (!redisBinary) warnRedisMissing('tools/test/queue-seeds.test.ts (one pretraining job per seed)');
const itWithRedis = redisBinary ? it : it.skip;

describe('class-it worker: one pretraining per seed', () => {
  const bed = queueTestBed(redisBinary, 'class-it-queue-seeds-');
  const workers = bed.workers;

  itWithRedis('runs a pretraining job per seed, each locking its own directory, and tunes each cell from its seed\'s model', async () => {
    const { redis, dir } = bed;
    expect(existsSync(cli), 'build the workspace first (npm run build)').toBe(true);
    const pairs = path.join(dir, 'eval-data', 'pairs');
    await fs.mkdir(pairs, { recursive: true });
    await fs.writeFile(path.join(pairs, 'agreement_1.jsonl'), ['dog', 'cat', 'boy', 'girl'].map((a, i) =>
      JSON.stringify({ sentence_good: `The ${a} sees the ball.`, sentence_bad: `The ${a} see the ball.`, field: 'morphology', linguistics_term: 'agreement', UID: 'agreement_1', pair_id: i })).join('\n') + '\n');
    const file = path.join(dir, 'experiment.yaml');
    await fs.writeFile(file, `
name: queue-seeds
seeds: [1, 2]
backend: wasm
runsDir: ${path.join(dir, 'runs')}
models:
  - name: tiny
    pretrainPerSeed: true
    pretrain: { corpus: [${path.join(workspace, 'data/quickstart/corpus.txt')}], preset: gpt-tiny, vocabSize: 400, maxSteps: 2, batchSize: 8, sequenceLength: 32 }
conditions:
  - { name: baseline, curriculum: baseline }
evaluation:
  dataDir: ${path.join(dir, 'eval-data')}
  zeroShot:
    - { task: blimp, data: pairs }
`);
    const runDir = path.join(dir, 'runs', 'queue-seeds');
    const url = redis!.url();
    const enqueued = spawnSync(process.execPath, [cli, 'run', file, '--queue', url], { cwd: dir, encoding: 'utf8' });
    expect(enqueued.status, enqueued.stderr + enqueued.stdout).toBe(0);
    workers.start(dir, ['--queue', url]);
    await waitFor(async () => (existsSync(path.join(runDir, 'report', 'report.json')) ? true : undefined), 180_000, 'the report', () => workers.output);

    const status = spawnSync(process.execPath, [cli, 'status', file, '--queue', url, '--json'], { cwd: dir, encoding: 'utf8' });
    const jobs = (JSON.parse(status.stdout) as { jobs: Array<{ id: string; state: string }> }).jobs;
    const pretrainJobs = jobs.filter((j) => j.id.includes('/pretrain/')).map((j) => [j.id.replace(/^.*\/pretrain\//, ''), j.state]).sort();
    expect(pretrainJobs).toEqual([['tiny/seed1', 'done'], ['tiny/seed2', 'done']]);
    expect(jobs.every((j) => j.state === 'done')).toBe(true);

    const events = (await fs.readFile(path.join(runDir, 'events.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { event: string; unit: string });
    expect(events.filter((e) => e.event === 'lock' && e.unit.startsWith('pretrain/')).map((e) => e.unit).sort()).toEqual(['pretrain/tiny/seed1', 'pretrain/tiny/seed2']);
    expect((await fs.readdir(path.join(runDir, 'models', 'tiny'))).sort()).toEqual(['pretrain-seed1', 'pretrain-seed2']);
    for (const seed of [1, 2]) {
      const cell = JSON.parse(await fs.readFile(path.join(runDir, 'cells', `tiny__baseline__seed${seed}`, 'cell.json'), 'utf8'));
      expect(cell).toMatchObject({ status: 'done', modelDir: path.join(runDir, 'models', 'tiny', `pretrain-seed${seed}`, 'final') });
    }
  }, 300_000);
});
