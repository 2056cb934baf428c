/**
 * `class-it run` end to end on the real stack (gpt-tiny, WASM): a run is killed (SIGKILL) after its first cell has
 * finished, then resumed. No finished cell or pretraining is computed twice, nothing written is lost, and the
 * report's numbers equal the per-cell results files.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fs, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const workspace = path.resolve(__dirname, '..', '..');
const cli = path.join(workspace, 'packages/cli/dist/main.js');

/** Made-up minimal pairs in the BLiMP layout (one file per UID). */
function blimpLike(uid: string, n: number): string {
  const nouns = ['dog', 'cat', 'boy', 'girl', 'bird'];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = nouns[i % nouns.length]!;
    const good = uid.endsWith('1') ? `The ${a} sees the ball.` : `These ${a}s were happy.`;
    const bad = uid.endsWith('1') ? `The ${a} see the ball.` : `These ${a}s was happy.`;
    lines.push(JSON.stringify({ sentence_good: good, sentence_bad: bad, field: 'morphology', linguistics_term: 'agreement', UID: uid, pair_id: i }));
  }
  return lines.join('\n') + '\n';
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await predicate()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

describe('class-it run: resume after kill', () => {
  it('skips finished cells and pretraining, finishes the rest, and reports the per-cell numbers', async () => {
    expect(existsSync(cli), 'build the workspace first (npm run build)').toBe(true);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-run-'));
    const data = path.join(dir, 'eval-data', 'pairs');
    await fs.mkdir(data, { recursive: true });
    await fs.writeFile(path.join(data, 'agreement_1.jsonl'), blimpLike('agreement_1', 12));
    await fs.writeFile(path.join(data, 'agreement_2.jsonl'), blimpLike('agreement_2', 12));
    const experiment = `
name: resume-test
seeds: [1]
backend: wasm
runsDir: ${path.join(dir, 'runs')}
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
  trainer: { batchSize: 8, sequenceLength: 64, maxSteps: 6 }
  heldOut: { perDataset: 4 }
conditions:
  - { name: baseline, curriculum: baseline }
  - { name: merged, curriculum: merged }
evaluation:
  dataDir: ${path.join(dir, 'eval-data')}
  zeroShot:
    - { task: blimp, data: pairs }
`;
    const file = path.join(dir, 'experiment.yaml');
    await fs.writeFile(file, experiment);
    const runDir = path.join(dir, 'runs', 'resume-test');
    const baselineCell = path.join(runDir, 'cells', 'tiny__baseline__seed1');
    const mergedCell = path.join(runDir, 'cells', 'tiny__merged__seed1');

    // 1. Start, and kill -9 as soon as the first cell is done.
    const child = spawn(process.execPath, [cli, 'run', file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const firstDone = await waitFor(async () => {
      try {
        return JSON.parse(await fs.readFile(path.join(baselineCell, 'cell.json'), 'utf8')).status === 'done';
      } catch {
        return false;
      }
    }, 180_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    expect(firstDone, `the first cell never finished:\n${output}`).toBe(true);

    const baselineResults = path.join(baselineCell, 'eval', 'blimp', 'results.json');
    const pretrainRecord = path.join(runDir, 'models', 'tiny', 'pretrain', 'pretrain.json');
    const before = { results: statSync(baselineResults).mtimeMs, pretrain: statSync(pretrainRecord).mtimeMs };
    const baselineScore = JSON.parse(await fs.readFile(baselineResults, 'utf8')).score as number;

    // 2. Resume to the end.
    const resumed = spawnSync(process.execPath, [cli, 'run', file], { cwd: dir, encoding: 'utf8' });
    expect(resumed.status, resumed.stderr + resumed.stdout).toBe(0);
    expect(resumed.stdout).toMatch(/1 computed, 1 already done, 0 failed/);
    expect(statSync(baselineResults).mtimeMs).toBe(before.results);
    expect(statSync(pretrainRecord).mtimeMs).toBe(before.pretrain);
    expect(await fs.readFile(path.join(runDir, 'run.log'), 'utf8')).toMatch(/\[tiny__baseline__seed1\] already done: skipped/);
    expect(JSON.parse(await fs.readFile(path.join(mergedCell, 'cell.json'), 'utf8')).status).toBe('done');

    // 3. The report's numbers are the cells' numbers.
    const mergedScore = JSON.parse(await fs.readFile(path.join(mergedCell, 'eval', 'blimp', 'results.json'), 'utf8')).score as number;
    const csv = await fs.readFile(path.join(runDir, 'report', 'results.csv'), 'utf8');
    expect(csv).toContain('blimp');
    const report = JSON.parse(await fs.readFile(path.join(runDir, 'report', 'report.json'), 'utf8')) as {
      models: Array<{ model: string; rows: Array<{ key: string; byCondition: Record<string, { mean: number; seeds: Record<string, number> }> }> }>;
    };
    const blimpRow = report.models.find((m) => m.model === 'tiny')!.rows.find((r) => r.key === 'blimp')!;
    expect(blimpRow.byCondition.baseline!.seeds['1']).toBe(baselineScore);
    expect(blimpRow.byCondition.merged!.seeds['1']).toBe(mergedScore);
    expect(blimpRow.byCondition.merged!.mean).toBe(mergedScore);
    expect(existsSync(path.join(runDir, 'report', 'report.html'))).toBe(true);
  }, 400_000);
});
