/**
 * Seeds that mean something, end to end on the real stack (gpt-tiny, WASM), baseline cells only (no instruction
 * tuning: the evaluated model is the base model itself):
 *  - `pretrainPerSeed: true` pretrains one base model per seed (models/<m>/pretrain-seed<n>/, different weights),
 *    each cell evaluates its own, a rerun computes nothing again, and the report counts each seed;
 *  - by default one pretraining (models/<m>/pretrain/) is shared by the seeds: the report counts the baseline's
 *    zero-shot result once and says so, while the fine-tuning task, seeded from the cell's seed, counts per seed;
 *  - the fine-tuning seed is derived from the cell's seed (core's deriveSeed) and recorded in results.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveSeed } from '@class-it/core';

const workspace = path.resolve(__dirname, '..', '..');
const cli = path.join(workspace, 'packages/cli/dist/main.js');

function blimpLike(uid: string, n: number): string {
  const nouns = ['dog', 'cat', 'boy', 'girl', 'bird'];
  return Array.from({ length: n }, (_, i) => {
    const a = nouns[i % nouns.length]!;
    return JSON.stringify({ sentence_good: `The ${a} sees the ball.`, sentence_bad: `The ${a} see the ball.`, field: 'morphology', linguistics_term: 'agreement', UID: uid, pair_id: i });
  }).join('\n') + '\n';
}

/** RTE-shaped rows (label 1 iff sentence2 mentions "ball"). */
function rteLike(n: number, offset: number): string {
  const nouns = ['dog', 'cat', 'boy', 'girl', 'bird', 'ball'];
  return Array.from({ length: n }, (_, i) => {
    const noun = nouns[(i + offset) % nouns.length]!;
    return JSON.stringify({ sentence1: 'The boy sees the dog.', sentence2: `The ${noun} is here.`, label: noun === 'ball' ? 1 : 0, idx: i });
  }).join('\n') + '\n';
}

function experiment(dir: string, name: string, perSeed: boolean): string {
  return `
name: ${name}
seeds: [1, 2]
backend: wasm
runsDir: ${path.join(dir, 'runs')}
models:
  - name: tiny
${perSeed ? '    pretrainPerSeed: true\n' : ''}    pretrain:
      corpus: [${path.join(workspace, 'data/quickstart/corpus.txt')}]
      preset: gpt-tiny
      vocabSize: 400
      maxSteps: 8
      batchSize: 8
      sequenceLength: 32
conditions:
  - { name: baseline, curriculum: baseline }
evaluation:
  dataDir: ${path.join(dir, 'eval-data')}
  zeroShot:
    - { task: blimp, data: pairs }
  finetune:
    - { task: rte, data: glue, settings: { epochs: 1, batchSize: 8, evalBatchSize: 8, maxLength: 32, pooling: last } }
`;
}

const readJson = async (file: string) => JSON.parse(await fs.readFile(file, 'utf8'));

type ReportJson = { models: Array<{ rows: Array<{ key: string; byCondition: Record<string, { n: number; seeds: Record<string, number> }> }> }> };

describe('class-it run: seeds of pretraining and fine-tuning', () => {
  it('pretrains per seed when asked, shares one base model otherwise, and the report counts a shared result once', async () => {
    expect(existsSync(cli), 'build the workspace first (npm run build)').toBe(true);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-seeds-'));
    await fs.mkdir(path.join(dir, 'eval-data', 'pairs'), { recursive: true });
    await fs.writeFile(path.join(dir, 'eval-data', 'pairs', 'agreement_1.jsonl'), blimpLike('agreement_1', 10));
    await fs.mkdir(path.join(dir, 'eval-data', 'glue'), { recursive: true });
    await fs.writeFile(path.join(dir, 'eval-data', 'glue', 'rte.train.jsonl'), rteLike(24, 0));
    await fs.writeFile(path.join(dir, 'eval-data', 'glue', 'rte.valid.jsonl'), rteLike(12, 3));

    // 1. One base model per seed.
    const perSeedFile = path.join(dir, 'per-seed.yaml');
    await fs.writeFile(perSeedFile, experiment(dir, 'per-seed', true));
    const first = spawnSync(process.execPath, [cli, 'run', perSeedFile], { cwd: dir, encoding: 'utf8' });
    expect(first.status, first.stderr + first.stdout).toBe(0);
    const perSeedRun = path.join(dir, 'runs', 'per-seed');
    const models = path.join(perSeedRun, 'models', 'tiny');
    expect((await fs.readdir(models)).sort()).toEqual(['pretrain-seed1', 'pretrain-seed2']);
    const weights = await Promise.all([1, 2].map((s) => fs.readFile(path.join(models, `pretrain-seed${s}`, 'final', 'model.safetensors'))));
    expect(weights[0]!.equals(weights[1]!)).toBe(false);
    for (const seed of [1, 2]) {
      const cellDir = path.join(perSeedRun, 'cells', `tiny__baseline__seed${seed}`);
      expect((await readJson(path.join(cellDir, 'cell.json'))).modelDir).toBe(path.join(models, `pretrain-seed${seed}`, 'final'));
      const rte = await readJson(path.join(cellDir, 'eval', 'rte', 'results.json'));
      expect(rte.seed).toBe(deriveSeed(seed, 'finetune:rte'));
      expect(rte.details.tasks.rte.settings.seed).toBe(rte.seed);
      expect((await readJson(path.join(cellDir, 'eval', 'blimp', 'results.json'))).seed).toBeUndefined();
    }
    const perSeedReport = await readJson(path.join(perSeedRun, 'report', 'report.json')) as ReportJson;
    expect(perSeedReport.models[0]!.rows.find((r) => r.key === 'blimp')!.byCondition['baseline']!.n).toBe(2);
    expect(await fs.readFile(path.join(perSeedRun, 'report', 'report.md'), 'utf8')).not.toContain('Counted once');

    // A rerun finds both pretrainings and both cells done.
    const pretrainMtimes = [1, 2].map((s) => statSync(path.join(models, `pretrain-seed${s}`, 'pretrain.json')).mtimeMs);
    const again = spawnSync(process.execPath, [cli, 'run', perSeedFile], { cwd: dir, encoding: 'utf8' });
    expect(again.status, again.stderr + again.stdout).toBe(0);
    expect(again.stdout).toMatch(/0 computed, 2 already done, 0 failed/);
    expect([1, 2].map((s) => statSync(path.join(models, `pretrain-seed${s}`, 'pretrain.json')).mtimeMs)).toEqual(pretrainMtimes);

    // 2. The default: one pretraining shared by the seeds.
    const sharedFile = path.join(dir, 'shared.yaml');
    await fs.writeFile(sharedFile, experiment(dir, 'shared', false));
    const shared = spawnSync(process.execPath, [cli, 'run', sharedFile], { cwd: dir, encoding: 'utf8' });
    expect(shared.status, shared.stderr + shared.stdout).toBe(0);
    const sharedRun = path.join(dir, 'runs', 'shared');
    expect(await fs.readdir(path.join(sharedRun, 'models', 'tiny'))).toEqual(['pretrain']);
    const cells = await Promise.all([1, 2].map((s) => readJson(path.join(sharedRun, 'cells', `tiny__baseline__seed${s}`, 'cell.json'))));
    expect(cells[0].modelDir).toBe(path.join(sharedRun, 'models', 'tiny', 'pretrain', 'final'));
    expect(cells[1].modelDir).toBe(cells[0].modelDir);
    const report = await readJson(path.join(sharedRun, 'report', 'report.json')) as ReportJson;
    const row = (key: string) => report.models[0]!.rows.find((r) => r.key === key)!.byCondition['baseline']!;
    expect(row('blimp').n).toBe(1);
    expect(Object.keys(row('blimp').seeds)).toEqual(['1', '2']);
    expect(row('rte').n).toBe(2);
    const md = await fs.readFile(path.join(sharedRun, 'report', 'report.md'), 'utf8');
    expect(md).toContain(`Counted once: condition baseline, seeds 1, 2 evaluated one and the same model (${cells[0].modelDir}`);
    expect(md).toMatch(/their blimp results are one result/);
    expect(await fs.readFile(path.join(sharedRun, 'report', 'report.html'), 'utf8')).toContain('Counted once: condition baseline, seeds 1, 2');
  }, 600_000);
});
