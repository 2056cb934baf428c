/** The built `class-it` binary: plugin listing, precise errors with non-zero exits, and a small real pipeline. */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const workspace = path.resolve(__dirname, '..', '..');
const cli = path.join(workspace, 'packages/cli/dist/main.js');
const run = (args: string[], cwd = workspace) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });

describe('class-it CLI', () => {
  it('lists a plugin of every package, with no problems', () => {
    expect(existsSync(cli), 'build the workspace first (npm run build)').toBe(true);
    const res = run(['plugins', '--json']);
    expect(res.status, res.stderr).toBe(0);
    const { plugins, problems } = JSON.parse(res.stdout) as { plugins: Array<{ name: string; kind: string; packageName: string }>; problems: unknown[] };
    expect(problems).toEqual([]);
    const packages = new Set(plugins.map((p) => p.packageName));
    for (const pkg of ['instruct', 'report', 'runtime-tfjs', 'model-gpt', 'model-llama', 'data-conversational', 'data-qa', 'eval-superglue',
      'eval-blimp', 'eval-ewok', 'eval-wugs', 'eval-entity-tracking', 'eval-psycholinguistic']) {
      expect(packages, pkg).toContain(`@class-it/${pkg}`);
    }
    expect(plugins.filter((p) => p.kind === 'curriculum').map((p) => p.name).sort()).toEqual(['baseline', 'hybrid', 'merged', 'sequential']);
  });

  it('stops on a malformed experiment with the file, line and field, and exit code 1', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-cli-'));
    const file = path.join(dir, 'bad.yaml');
    const text = (await fs.readFile(path.join(workspace, 'experiments/quickstart.yaml'), 'utf8')).replace('seeds: [1]', 'seeds: [one]');
    await fs.writeFile(file, text);
    const line = text.split('\n').findIndex((l) => l.startsWith('seeds:')) + 1;
    const res = run(['run', file]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`${file}:${line}, field 'seeds[0]': Invalid input: expected number, received string`);
    expect(existsSync(path.join(dir, 'runs'))).toBe(false);

    const unknownCurriculum = text.replace('seeds: [one]', 'seeds: [1]').replace('curriculum: hybrid', 'curriculum: zigzag');
    await fs.writeFile(file, unknownCurriculum);
    const res2 = run(['run', file]);
    expect(res2.status).toBe(1);
    expect(res2.stderr).toMatch(/field 'conditions\[4\]\.curriculum': unknown curriculum 'zigzag'/);
  });

  it('pretrains a tiny model, then evaluates it on an experiment file\'s zero-shot tasks', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-cli-'));
    const pre = run(['pretrain', '--corpus', path.join(workspace, 'data/quickstart/corpus.txt'), '--preset', 'gpt-tiny', '--out', path.join(dir, 'tiny'),
      '--max-steps', '4', '--vocab-size', '400', '--sequence-length', '32', '--batch-size', '8', '--backend', 'wasm']);
    expect(pre.status, pre.stderr).toBe(0);
    const data = path.join(dir, 'data', 'pairs');
    await fs.mkdir(data, { recursive: true });
    await fs.writeFile(path.join(data, 'agreement.jsonl'), [
      { sentence_good: 'The dog sees the ball.', sentence_bad: 'The dog see the ball.', field: 'morphology', linguistics_term: 'agreement', UID: 'agreement', pair_id: 0 },
      { sentence_good: 'These cats were happy.', sentence_bad: 'These cats was happy.', field: 'morphology', linguistics_term: 'agreement', UID: 'agreement', pair_id: 1 },
    ].map((r) => JSON.stringify(r)).join('\n') + '\n');
    await fs.writeFile(path.join(dir, 'exp.yaml'), `name: e\nmodels: [{ name: m, checkpoint: tiny/final }]\nconditions: [{ name: baseline, curriculum: baseline }]\n` +
      `evaluation:\n  dataDir: data\n  zeroShot: [{ task: blimp, data: pairs }]\n`);
    const ev = run(['eval', '--model', path.join(dir, 'tiny', 'final'), '--experiment', path.join(dir, 'exp.yaml'), '--out', path.join(dir, 'out'), '--backend', 'wasm']);
    expect(ev.status, ev.stderr).toBe(0);
    const result = JSON.parse(await fs.readFile(path.join(dir, 'out', 'blimp', 'results.json'), 'utf8'));
    expect(result).toMatchObject({ task: 'blimp', metric: 'accuracy', itemCount: 2 });
    expect([0, 50, 100]).toContain(result.score);

    // score: one JSON line per request; the BabyLM rule never scores a sequence's first token
    await fs.writeFile(path.join(dir, 'requests.jsonl'), [
      { context: '', continuation: 'The dog sees the ball.' },
      { context: 'The dog sees', continuation: ' the ball.' },
    ].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const sc = run(['score', '--model', path.join(dir, 'tiny', 'final'), '--input', path.join(dir, 'requests.jsonl'), '--backend', 'wasm']);
    expect(sc.status, sc.stderr).toBe(0);
    const lines = sc.stdout.trim().split('\n').map((l) => JSON.parse(l) as { logprob: number; tokens: string[]; token_logprobs: number[] });
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l.logprob).toBeLessThan(0);
      expect(l.logprob).toBeCloseTo(l.token_logprobs.reduce((a, b) => a + b, 0), 4);
    }
    // byte-level token strings (Ġ = space): everything after the unscored first token "The"; then only the continuation
    expect(lines[0]!.tokens.join('')).toBe('ĠdogĠseesĠtheĠball.');
    expect(lines[1]!.tokens.join('')).toBe('ĠtheĠball.');

    const missing = run(['eval', '--model', path.join(dir, 'tiny', 'final'), '--out', path.join(dir, 'out')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/give --task and --data \(or --experiment\)/);
  });
});
