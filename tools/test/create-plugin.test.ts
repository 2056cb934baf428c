/**
 * `npm create @class-it/plugin` outside this repository: the create-plugin bin writes a project into a temporary
 * directory, the project builds and passes its own tests, `class-it plugins` finds it, and `class-it eval` runs it on
 * a two-line JSONL with a tiny pretrained model, writing BabyLM's predictions.json. (The project's dependencies come
 * from this workspace's node_modules, standing in for `npm install`: the packages are not on a registry yet.)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STANDALONE_DEV_TOOLS } from '@class-it/create-plugin';

const workspace = path.resolve(__dirname, '..', '..');
const createBin = path.join(workspace, 'packages/create-plugin/bin/create-plugin.js');
const cli = path.join(workspace, 'packages/cli/bin/class-it.js');
const node = process.execPath;

describe('npm create @class-it/plugin (outside the repository)', () => {
  it('generates a plugin that builds, passes its tests, is discovered and evaluates a two-line JSONL', async () => {
    expect(existsSync(path.join(workspace, 'packages/create-plugin/dist/cli.js')), 'build the workspace first (npm run build)').toBe(true);
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-create-'));
    expect(path.relative(workspace, tmp).startsWith('..')).toBe(true);

    const created = spawnSync(node, [createBin, 'toy-pairs', '--description', 'Toy minimal pairs'], { cwd: tmp, encoding: 'utf8' });
    expect(created.status, created.stderr).toBe(0);
    const pkgDir = path.join(tmp, 'eval-toy-pairs');
    const pkg = JSON.parse(await fs.readFile(path.join(pkgDir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: 'class-it-eval-toy-pairs', 'class-it': { kind: 'evaluator', plugins: ['toy-pairs'], tasks: ['toy-pairs'] } });
    await fs.symlink(path.join(workspace, 'node_modules'), path.join(pkgDir, 'node_modules'));

    execFileSync(node, [path.join(workspace, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: pkgDir, stdio: 'pipe' });
    expect(existsSync(path.join(pkgDir, 'dist/plugin.js'))).toBe(true);
    const testOut = execFileSync(node, [path.join(workspace, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=dot'], {
      cwd: pkgDir, stdio: 'pipe', env: { ...process.env, CI: 'true' } }).toString();
    expect(testOut).toMatch(/3 passed/);

    const listed = spawnSync(node, [cli, '--plugin-path', pkgDir, 'plugins', '--json'], { cwd: tmp, encoding: 'utf8' });
    const { plugins, problems } = JSON.parse(listed.stdout) as { plugins: Array<{ name: string; packageName: string }>; problems: Array<{ packageName: string }> };
    expect(problems.map((p) => p.packageName)).not.toContain('class-it-eval-toy-pairs');
    expect(plugins).toContainEqual(expect.objectContaining({ name: 'toy-pairs', packageName: 'class-it-eval-toy-pairs' }));

    const pre = spawnSync(node, [cli, 'pretrain', '--corpus', path.join(workspace, 'data/quickstart/corpus.txt'), '--preset', 'gpt-tiny',
      '--out', path.join(tmp, 'tiny'), '--max-steps', '2', '--vocab-size', '300', '--sequence-length', '32', '--batch-size', '4', '--backend', 'wasm'],
    { cwd: tmp, encoding: 'utf8' });
    expect(pre.status, pre.stderr).toBe(0);
    const data = path.join(tmp, 'data');
    await fs.mkdir(data);
    await fs.writeFile(path.join(data, 'agreement.jsonl'),
      '{"sentence_good": "The dog sees the ball.", "sentence_bad": "The dog see the ball."}\n' +
      '{"sentence_good": "These cats were happy.", "sentence_bad": "These cats was happy."}\n');
    const out = path.join(tmp, 'results');
    const ev = spawnSync(node, [cli, '--plugin-path', pkgDir, 'eval', '--model', path.join(tmp, 'tiny', 'final'), '--task', 'toy-pairs',
      '--data', data, '--out', out, '--backend', 'wasm'], { cwd: tmp, encoding: 'utf8' });
    expect(ev.status, ev.stderr).toBe(0);
    expect(ev.stdout).toMatch(/toy-pairs: accuracy (0|50|100)\.00 \(2 items\)/);
    const predictions = JSON.parse(await fs.readFile(path.join(out, 'toy-pairs', 'predictions.json'), 'utf8'));
    expect(predictions.agreement.predictions).toHaveLength(2);
    const results = JSON.parse(await fs.readFile(path.join(out, 'toy-pairs', 'results.json'), 'utf8'));
    expect(JSON.stringify(results)).toMatch(/[0-9a-f]{64}/); // the data file's sha256

    // --limit: the first item of the file only
    const limited = spawnSync(node, [cli, '--plugin-path', pkgDir, 'eval', '--model', path.join(tmp, 'tiny', 'final'), '--task', 'toy-pairs',
      '--data', data, '--out', path.join(tmp, 'limited'), '--backend', 'wasm', '--limit', '1'], { cwd: tmp, encoding: 'utf8' });
    expect(limited.status, limited.stderr).toBe(0);
    expect(limited.stdout).toMatch(/\(1 items, the first 1 of each file\)/);
    // results.json says the score is of a limited run (the full run above records no limit)
    const limitedResults = JSON.parse(await fs.readFile(path.join(tmp, 'limited', 'toy-pairs', 'results.json'), 'utf8'));
    expect(limitedResults.completed.limit).toBe(1);
    expect(results.completed.limit).toBeUndefined();
  });

  it('gives a standalone project the dev tools this repository builds and tests with', async () => {
    const root = JSON.parse(await fs.readFile(path.join(workspace, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    for (const [name, range] of Object.entries(STANDALONE_DEV_TOOLS)) expect(range, name).toBe(root.devDependencies[name]);
  });
});
