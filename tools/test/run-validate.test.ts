/**
 * `class-it run` checks the whole experiment before any compute, on the real plugins (built CLI): a misspelled
 * dataset path fails in seconds with the file, line and field and nothing pretrained; `--dry-run --json` prints the
 * plan; a run with an optional task whose data is missing and a task that throws goes to the end, recording both.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const workspace = path.resolve(__dirname, '..', '..');
const cli = path.join(workspace, 'packages/cli/dist/main.js');
const run = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });

const pairs = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({
  sentence_good: 'The dog sees the ball.', sentence_bad: 'The dog see the ball.', field: 'morphology', linguistics_term: 'agreement', UID: 'agreement_1', pair_id: i,
})).join('\n') + '\n';

async function experiment(edit: (yaml: string) => string = (y) => y): Promise<{ dir: string; file: string; text: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-validate-'));
  await fs.mkdir(path.join(dir, 'eval', 'pairs'), { recursive: true });
  await fs.writeFile(path.join(dir, 'eval', 'pairs', 'agreement_1.jsonl'), pairs(6));
  // BLiMP-supplement-shaped data whose rows lack their fields: found by validation, fails when it runs.
  await fs.mkdir(path.join(dir, 'eval', 'broken'), { recursive: true });
  await fs.writeFile(path.join(dir, 'eval', 'broken', 'hypernym.jsonl'), '{"nothing": 1}\n');
  const text = edit(`name: checked
seeds: [1]
backend: wasm
runsDir: runs
models:
  - name: tiny
    pretrain:
      corpus: [${path.join(workspace, 'data/quickstart/corpus.txt')}]
      preset: gpt-tiny
      vocabSize: 400
      maxSteps: 4
      batchSize: 8
      sequenceLength: 32
instruction:
  datasets:
    conversational: { plugin: switchboard, settings: { path: ${path.join(workspace, 'data/demo/conversational.jsonl')}, limit: 40 } }
    qa: { plugin: simple_wiki, settings: { path: ${path.join(workspace, 'data/demo/qa.jsonl')}, limit: 30 } }
  trainer: { batchSize: 8, sequenceLength: 64, maxSteps: 2 }
  heldOut: { perDataset: 4 }
conditions:
  - { name: baseline, curriculum: baseline }
  - { name: merged, curriculum: merged, settings: { epochs: 2 } }
evaluation:
  dataDir: eval
  zeroShot:
    - { task: blimp, data: pairs }
`);
  const file = path.join(dir, 'exp.yaml');
  await fs.writeFile(file, text);
  return { dir, file, text };
}

describe('class-it run: validation before any compute', () => {
  it('a misspelled dataset path fails in seconds, naming file, line and field, with nothing pretrained', async () => {
    expect(existsSync(cli), 'build the workspace first (npm run build)').toBe(true);
    const { dir, file, text } = await experiment((y) => y.replace('demo/qa.jsonl', 'demo/qa.jsnol'));
    const started = Date.now();
    const res = run(['run', file, '--verbose'], dir);
    expect(res.status).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    const line = text.split('\n').findIndex((l) => l.includes('qa.jsnol')) + 1;
    expect(res.stderr).toContain(`${file}:${line}, field 'instruction.datasets.qa.settings': dataset 'qa' (simple_wiki):`);
    expect(res.stderr).toMatch(/qa\.jsnol.*file not found/);
    expect(existsSync(path.join(dir, 'runs'))).toBe(false);

    const badSetting = await experiment((y) => y.replace('{ task: blimp, data: pairs }', '{ task: blimp, data: pairs, settings: { bogus: 1 } }'));
    const res2 = run(['run', badSetting.file, '--verbose'], badSetting.dir);
    expect(res2.status).toBe(1);
    expect(res2.stderr).toMatch(/field 'evaluation\.zeroShot\[0\]\.settings\.bogus': task 'blimp' \(evaluator 'blimp'\): unknown setting/);
    expect(existsSync(path.join(badSetting.dir, 'runs'))).toBe(false);
  });

  it('--dry-run --json prints the plan: equal passes for merged, a skipped optional task', async () => {
    const { dir, file } = await experiment((y) => y + '    - { task: wug_adj, data: wugs-not-here, optional: true }\n');
    const res = run(['run', file, '--dry-run', '--json'], dir);
    expect(res.status, res.stderr).toBe(0);
    const plan = JSON.parse(res.stdout);
    expect(plan.cells.map((c: { condition: string; steps: number }) => [c.condition, c.steps])).toEqual([['baseline', 0], ['merged', 2]]);
    expect(plan.cells[1].datasets).toEqual({ conversational: { examples: 36, passes: 2 }, qa: { examples: 26, passes: 2 } });
    expect(plan.budget.ok).toBe(true);
    expect(plan.tasks.map((t: { task: string; status: string }) => [t.task, t.status])).toEqual([['blimp', 'ready'], ['wug_adj', 'optional-missing']]);
    expect(existsSync(path.join(dir, 'runs'))).toBe(false);
  });

  it('an optional task without data is skipped and a task that throws is recorded; the other tasks still run', async () => {
    const { dir, file } = await experiment((y) => y
      .replace('  - { name: merged, curriculum: merged, settings: { epochs: 2 } }\n', '')
      + '    - { task: wug_adj, data: wugs-not-here, optional: true }\n    - { task: blimp_supplement, data: broken }\n');
    const res = run(['run', file, '--no-report'], dir);
    expect(res.status, res.stderr).toBe(1);
    expect(res.stdout).toMatch(/0 computed, 0 already done, 1 failed/);
    const cell = JSON.parse(await fs.readFile(path.join(dir, 'runs', 'checked', 'cells', 'tiny__baseline__seed1', 'cell.json'), 'utf8'));
    expect(cell.status).toBe('failed');
    expect(cell.tasks.blimp).toEqual({ status: 'done' });
    expect(cell.tasks.wug_adj.status).toBe('skipped');
    expect(cell.tasks.wug_adj.reason).toMatch(/^optional, data missing: /);
    expect(cell.tasks.blimp_supplement.status).toBe('failed');
    expect(cell.tasks.blimp_supplement.error).toMatch(/hypernym\.jsonl/);
    expect(existsSync(path.join(dir, 'runs', 'checked', 'cells', 'tiny__baseline__seed1', 'eval', 'blimp', 'results.json'))).toBe(true);
    // The report keeps the cell (its BLiMP score counts) and lists the skipped and the failed task.
    const report = run(['report', path.join(dir, 'runs', 'checked')], dir);
    expect(report.status, report.stderr).toBe(0);
    const md = await fs.readFile(path.join(dir, 'runs', 'checked', 'report', 'report.md'), 'utf8');
    expect(md).toContain('## Skipped and failed evaluations');
    expect(md).toMatch(/\| tiny \| baseline \| 1 \| blimp_supplement \| failed \| .*hypernym\.jsonl/);
    expect(md).toMatch(/\| tiny \| baseline \| 1 \| wug_adj \| skipped \| optional, data missing: /);
    expect(md).toMatch(/\| blimp \| accuracy \| \d/);
  }, 300_000);
});

// The paper's experiment itself, offline, beside the BabyLM evaluation data (../shared/eval-data of this clone):
// the remote corpus and instruction data are planned from their declared sizes.
const sharedEval = path.join(workspace, '..', 'shared', 'eval-data');
describe.skipIf(!existsSync(sharedEval))('experiments/class-it.yaml', () => {
  it('--dry-run passes offline: optional tasks skipped, equal passes in merged and both sequential orders, budget ok', () => {
    const res = spawnSync(process.execPath, [cli, 'run', 'experiments/class-it.yaml', '--dry-run', '--json'],
      { cwd: workspace, encoding: 'utf8', env: { ...process.env, HF_HUB_OFFLINE: '1' } });
    expect(res.status, res.stderr).toBe(0);
    const plan = JSON.parse(res.stdout);
    expect(plan.budget.ok).toBe(true);
    expect(plan.budget.uniqueWords).toBeLessThanOrEqual(100_000_000);
    for (const condition of ['merged', 'sequential-conv-qa', 'sequential-qa-conv']) {
      for (const cell of plan.cells.filter((c: { condition: string }) => c.condition === condition)) {
        expect(Object.values(cell.datasets).map((d) => (d as { passes: number }).passes), condition).toEqual([10, 10]);
      }
    }
    expect(plan.tasks.filter((t: { status: string }) => t.status === 'missing')).toEqual([]);
  }, 120_000);
});
