/**
 * The evaluator generator end to end (`npx nx g @class-it/tools:evaluator`, the monorepo flavour of
 * `npm create @class-it/plugin`): generate a package into a temporary workspace, build it, run its test, and check
 * that `class-it plugins` discovers it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';

const require = createRequire(import.meta.url);
const generator = require('../generators/evaluator/generator.cjs') as (tree: unknown, options: Record<string, string>) => Promise<unknown>;
const workspace = path.resolve(__dirname, '..', '..');
const node = process.execPath;

describe('nx g @class-it/tools:evaluator', () => {
  it('generates a plugin package that builds, passes its test and is discovered', async () => {
    const coreCli = path.join(workspace, 'packages/cli/dist/main.js');
    expect(existsSync(coreCli), 'build the workspace first (npm run build): packages/core/dist is missing').toBe(true);

    const tree = createTreeWithEmptyWorkspace();
    tree.write('packages/core/package.json', await fs.readFile(path.join(workspace, 'packages/core/package.json'), 'utf8'));
    tree.write('LICENSE', await fs.readFile(path.join(workspace, 'LICENSE'), 'utf8'));
    await generator(tree, { name: 'toy-pairs', description: 'Generated in a test' });
    // its first release: a changeset taking it from 0.0.0 to 0.1.0
    expect(tree.read('.changeset/eval-toy-pairs-first-release.md', 'utf8')).toMatch(/^---\n['"]@class-it\/eval-toy-pairs['"]: minor\n---\n/);
    expect(tree.read('packages/eval-zeroshot/toy-pairs/LICENSE', 'utf8')).toMatch(/Apache License/);

    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-gen-'));
    for (const change of tree.listChanges()) {
      if (change.type === 'DELETE' || !change.path.startsWith('packages/eval-zeroshot/')) continue;
      await fs.mkdir(path.dirname(path.join(tmp, change.path)), { recursive: true });
      await fs.writeFile(path.join(tmp, change.path), change.content!);
    }
    await fs.copyFile(path.join(workspace, 'tsconfig.base.json'), path.join(tmp, 'tsconfig.base.json'));
    await fs.symlink(path.join(workspace, 'node_modules'), path.join(tmp, 'node_modules'));
    const pkgDir = path.join(tmp, 'packages/eval-zeroshot/toy-pairs');
    const pkg = JSON.parse(await fs.readFile(path.join(pkgDir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('@class-it/eval-toy-pairs');
    // one rule: the name is the evaluator and the task; the package is eval-<name>
    expect(pkg['class-it']).toEqual({ kind: 'evaluator', entry: './dist/plugin.js', plugins: ['toy-pairs'], tasks: ['toy-pairs'] });
    expect(pkg.peerDependencies).toEqual({ '@class-it/core': `^${JSON.parse(await fs.readFile(path.join(workspace, 'packages/core/package.json'), 'utf8')).version}` });
    expect(pkg.version).toBe('0.0.0');

    // builds
    execFileSync(node, [path.join(workspace, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: pkgDir, stdio: 'pipe' });
    expect(existsSync(path.join(pkgDir, 'dist/plugin.js'))).toBe(true);

    // its own test passes
    const testOut = execFileSync(node, [path.join(workspace, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=dot'], { cwd: pkgDir, stdio: 'pipe', env: { ...process.env, CI: 'true' } }).toString();
    expect(testOut).toMatch(/3 passed/);

    // discovered by the CLI
    // (exit code 2 only says that some other workspace plugin is not built; the listing is on stdout either way)
    const run = spawnSync(node, [coreCli, 'plugins', '--json', '--plugin-path', pkgDir], { cwd: tmp, encoding: 'utf8' });
    const listed = JSON.parse(run.stdout) as { plugins: Array<{ name: string; kind: string; packageName: string }>; problems: Array<{ packageName: string }> };
    expect(listed.problems.map((p) => p.packageName)).not.toContain('@class-it/eval-toy-pairs');
    expect(listed.plugins).toContainEqual(expect.objectContaining({ name: 'toy-pairs', kind: 'evaluator', packageName: '@class-it/eval-toy-pairs' }));
  });

  it('rejects a name that cannot be both a task and a package name', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await expect(generator(tree, { name: 'Bad Name' })).rejects.toThrow(/lower-case words joined by '-' or '_'/);
  });
});
