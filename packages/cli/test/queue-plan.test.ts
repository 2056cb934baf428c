/**
 * The queue's plan without Redis: Redis addresses, the jobs of an experiment (ids, what each waits for, GPU
 * routing, optional tasks left out) and what each finished step releases. Redis itself is tested in tools/test.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@class-it/core';
import { experimentSchema, parseConfigText } from '../src/index.js';
import { parseRedisUrl } from '../src/queue/connection.js';
import { firstJobs, parseGpuSteps, planJobs, queueName, queuedRun, releasedBy, type QueuedRun } from '../src/queue/jobs.js';

function experiment(extra: string[] = []) {
  const yaml = [
    'name: grid',
    'seeds: [1, 2]',
    'models:',
    '  - { name: tiny, pretrain: { corpus: [corpus.txt], preset: gpt-tiny } }',
    '  - { name: given, checkpoint: ./ckpt }',
    'conditions:',
    '  - { name: baseline, curriculum: baseline }',
    '  - { name: merged, curriculum: merged }',
    'evaluation:',
    '  dataDir: data',
    '  zeroShot:',
    '    - { task: blimp, data: blimp, checkpoints: true }',
    '    - { task: wug_adj, data: wug }',
    '    - { task: entity_tracking, data: et, optional: true }',
    ...extra,
  ].join('\n');
  return parseConfigText(yaml, '/exp/grid.yaml', experimentSchema).value;
}

function run(options: Partial<QueuedRun> = {}): QueuedRun {
  return { ...queuedRun(experiment(), '/exp', undefined), skippedTasks: { entity_tracking: 'optional, data missing: et' }, ...options };
}

describe('Redis addresses', () => {
  it('parses host, port and database, with defaults', () => {
    expect(parseRedisUrl('redis://10.0.0.5:6380/2')).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2, tls: false, display: 'redis://10.0.0.5:6380/2' });
    expect(parseRedisUrl('redis://queue.lab')).toMatchObject({ host: 'queue.lab', port: 6379, db: 0 });
    const secret = parseRedisUrl('rediss://me:p%40ss@queue.lab:7000/1');
    expect(secret).toMatchObject({ username: 'me', password: 'p@ss', tls: true, port: 7000, db: 1 });
    expect(secret.display).not.toContain('p%40ss');
  });

  it('refuses what is not a Redis address, naming the option', () => {
    for (const bad of ['localhost:6379', 'http://host:6379', 'redis://host:6379/zero', 'redis://host/1?x=1', '']) {
      expect(() => parseRedisUrl(bad)).toThrow(ConfigError);
    }
    expect(() => parseRedisUrl('http://host')).toThrow(/field '--queue': 'http:\/\/host' is not a Redis address \(scheme 'http'\)/);
  });
});

describe('the jobs of an experiment', () => {
  it('has one pretraining per pretrained model, a tune, evaluations and a record per cell, and one report', () => {
    const jobs = planJobs(run());
    const names = jobs.map((j) => j.id.replace(/^grid\.[0-9a-f]{16}\//, ''));
    expect(names.filter((n) => n.startsWith('pretrain/'))).toEqual(['pretrain/tiny']);
    expect(names.filter((n) => n.startsWith('tune/'))).toHaveLength(8);
    // blimp and wug_adj on the final model, and the learning curves (blimp has checkpoints); entity tracking is skipped
    expect(names.filter((n) => n.startsWith('eval/tiny__merged__seed2/'))).toEqual(['eval/tiny__merged__seed2/blimp', 'eval/tiny__merged__seed2/wug_adj', 'eval/tiny__merged__seed2/curves']);
    expect(names.filter((n) => n.startsWith('cell/'))).toHaveLength(8);
    expect(names.at(-1)).toBe('report');
    expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
  });

  it('says what each job waits for: tunes their pretraining (none for a checkpoint), a cell\'s evaluations and record one another', () => {
    const r = run();
    const byId = new Map(planJobs(r).map((j) => [j.id.replace(/^grid\.[0-9a-f]{16}\//, ''), j]));
    const after = (id: string) => byId.get(id)!.after?.replace(/^grid\.[0-9a-f]{16}\//, '');
    expect(after('tune/tiny__merged__seed1')).toBe('pretrain/tiny');
    expect(after('tune/given__merged__seed1')).toBeUndefined();
    expect(after('eval/given__baseline__seed2/blimp')).toBe('tune/given__baseline__seed2');
    expect(after('eval/given__baseline__seed2/wug_adj')).toBe('eval/given__baseline__seed2/blimp');
    expect(after('eval/given__baseline__seed2/curves')).toBe('eval/given__baseline__seed2/wug_adj');
    expect(after('cell/given__baseline__seed2')).toBe('eval/given__baseline__seed2/curves');
    expect(after('report')).toBeUndefined();
    // The first jobs: the pretraining and the tunes of the checkpoint model; the pretraining releases its 4 tunes,
    // a tune its cell's evaluations and record.
    expect(firstJobs(r).map((j) => j.name).sort()).toEqual(['pretrain', 'tune', 'tune', 'tune', 'tune']);
    expect(releasedBy(r, { kind: 'pretrain', model: 'tiny' }).map((j) => j.id.split('/').slice(1).join('/'))).toEqual([
      'tune/tiny__baseline__seed1', 'tune/tiny__baseline__seed2', 'tune/tiny__merged__seed1', 'tune/tiny__merged__seed2']);
    expect(releasedBy(r, { kind: 'tune', cell: { model: 'tiny', condition: 'baseline', seed: 1 } }).map((j) => j.id.split('/').slice(1).join('/'))).toEqual([
      'eval/tiny__baseline__seed1/blimp', 'eval/tiny__baseline__seed1/wug_adj', 'eval/tiny__baseline__seed1/curves', 'cell/tiny__baseline__seed1']);
    expect(releasedBy(r, { kind: 'report' })).toEqual([]);
  });

  it('has one pretraining per seed for a model with pretrainPerSeed, each releasing only the tunes of its seed', () => {
    const exp = experiment();
    const perSeed = { ...exp, models: exp.models.map((m) => (m.pretrain ? { ...m, pretrainPerSeed: true } : m)) };
    const r = { ...queuedRun(perSeed, '/exp', undefined), skippedTasks: { entity_tracking: 'optional, data missing: et' } };
    const strip = (id: string) => id.replace(/^grid\.[0-9a-f]{16}\//, '');
    const byId = new Map(planJobs(r).map((j) => [strip(j.id), j]));
    expect([...byId.keys()].filter((n) => n.startsWith('pretrain/'))).toEqual(['pretrain/tiny/seed1', 'pretrain/tiny/seed2']);
    expect(strip(byId.get('tune/tiny__merged__seed2')!.after!)).toBe('pretrain/tiny/seed2');
    expect(strip(byId.get('tune/tiny__baseline__seed1')!.after!)).toBe('pretrain/tiny/seed1');
    expect(byId.get('tune/given__merged__seed2')!.after).toBeUndefined();
    expect(releasedBy(r, { kind: 'pretrain', model: 'tiny', seed: 2 }).map((j) => strip(j.id))).toEqual(['tune/tiny__baseline__seed2', 'tune/tiny__merged__seed2']);
    expect(firstJobs(r).map((j) => j.name).sort()).toEqual(['pretrain', 'pretrain', 'tune', 'tune', 'tune', 'tune']);
    // The default (no pretrainPerSeed) keeps its job ids: a queue of an existing run goes on as it was.
    expect(planJobs(run()).map((j) => strip(j.id))).toContain('pretrain/tiny');
  });

  it('gives the same ids to the same experiment, and new ones when the experiment changes', () => {
    const ids = planJobs(run()).map((j) => j.id);
    expect(planJobs(run()).map((j) => j.id)).toEqual(ids);
    const changed = queuedRun(experiment(['  finetune: []', 'description: changed']), '/exp', undefined);
    expect(planJobs(changed).map((j) => j.id)).not.toContain(ids[0]);
  });

  it('routes the steps named by --gpu to the gpu queue; records and the report stay untagged', () => {
    expect(parseGpuSteps('pretrain,tune')).toEqual(['pretrain', 'tune']);
    expect(parseGpuSteps('all')).toEqual(['pretrain', 'tune', 'eval']);
    expect(() => parseGpuSteps('train')).toThrow(/field '--gpu': unknown step 'train'/);
    const jobs = planJobs(run({ gpuSteps: ['tune'] }));
    const queues = new Map(jobs.map((j) => [j.name, j.queue]));
    expect(queues.get('tune')).toBe('class-it-gpu');
    expect(queues.get('pretrain')).toBe('class-it');
    expect(queues.get('cell')).toBe('class-it');
    expect(queues.get('report')).toBe('class-it');
    expect(() => queueName('a:b')).toThrow(/not a tag/);
  });

  it('resolves the run directory once, where the experiment was enqueued', () => {
    const r = queuedRun(experiment(), 'rel/exp', undefined);
    expect(r.runDir).toBe(path.resolve('runs', 'grid'));
    expect(r.experimentDir).toBe(path.resolve('rel/exp'));
  });
});
