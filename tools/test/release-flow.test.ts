/**
 * A release cannot break the plugins: on a copy of the workspace's package.json files and .changeset, the first
 * `changeset version` releases 0.1.0 as it is, and after a core `minor` every plugin's core range (its
 * peerDependency, the range discovery checks) accepts the new core and every internal range accepts the new versions.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { validateManifest } from '@class-it/core';

const workspace = path.resolve(__dirname, '..', '..');
const changesetBin = path.join(workspace, 'node_modules/@changesets/cli/bin.js');

type PackageJson = Record<string, any> & { name: string; version: string };

/** Relative paths of every workspace package.json (the root's `workspaces` globs, one level of `*`). */
async function workspacePackageFiles(): Promise<string[]> {
  const root = JSON.parse(await fs.readFile(path.join(workspace, 'package.json'), 'utf8')) as { workspaces: string[] };
  const files: string[] = [];
  for (const pattern of root.workspaces) {
    const dirs = pattern.endsWith('/*')
      ? (await fs.readdir(path.join(workspace, pattern.slice(0, -2)))).map((d) => path.join(pattern.slice(0, -2), d))
      : [pattern];
    for (const dir of dirs) {
      try {
        await fs.access(path.join(workspace, dir, 'package.json'));
        files.push(path.join(dir, 'package.json'));
      } catch { /* a folder that is not a package (e.g. packages/eval-zeroshot itself) */ }
    }
  }
  return files;
}

async function copyWorkspace(): Promise<{ dir: string; files: string[] }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-release-'));
  const files = await workspacePackageFiles();
  for (const rel of ['package.json', ...files]) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.copyFile(path.join(workspace, rel), path.join(dir, rel));
  }
  await fs.cp(path.join(workspace, '.changeset'), path.join(dir, '.changeset'), { recursive: true });
  // the changelog module named in .changeset/config.json is resolved from the copy
  await fs.symlink(path.join(workspace, 'node_modules'), path.join(dir, 'node_modules'));
  return { dir, files };
}

function changeset(dir: string, ...args: string[]) {
  const res = spawnSync(process.execPath, [changesetBin, ...args], { cwd: dir, encoding: 'utf8' });
  expect(res.status, res.stdout + res.stderr).toBe(0);
  return res.stdout + res.stderr;
}

async function readPackages(dir: string, files: string[]): Promise<PackageJson[]> {
  return Promise.all(files.map(async (f) => JSON.parse(await fs.readFile(path.join(dir, f), 'utf8')) as PackageJson));
}

describe('release flow (changesets)', () => {
  it('releases 0.1.0 first, and keeps every plugin loadable after a core minor', async () => {
    const { dir, files } = await copyWorkspace();
    const before = await readPackages(dir, files);
    const published = before.filter((p) => !p.private);
    expect(published.length).toBeGreaterThan(10);

    // First release: nothing pending, every version stays 0.1.0 (changeset publish publishes them as they are).
    expect(changeset(dir, 'version')).toMatch(/No unreleased changesets found/);
    for (const p of await readPackages(dir, files)) if (!p.private) expect(`${p.name}@${p.version}`).toBe(`${p.name}@0.1.0`);

    await fs.writeFile(path.join(dir, '.changeset/core-contract-change.md'), '---\n"@class-it/core": minor\n---\n\nA contract change.\n');
    changeset(dir, 'version');
    const after = await readPackages(dir, files);
    const versions = new Map(after.map((p) => [p.name, p.version]));
    const coreVersion = versions.get('@class-it/core')!;
    expect(coreVersion).toBe('0.2.0');

    const plugins = after.filter((p) => p['class-it']);
    expect(plugins.map((p) => p.name)).toEqual(expect.arrayContaining(['@class-it/runtime-tfjs', '@class-it/model-gpt', '@class-it/eval-blimp']));
    for (const plugin of plugins) {
      // what discovery does with the installed package.json: the range check passes with the new core
      const manifest = validateManifest(plugin, coreVersion);
      expect(manifest, `${plugin.name}: ${String(manifest)}`).toMatchObject({ core: `^${coreVersion}` });
      expect(plugin.dependencies?.['@class-it/core'], `${plugin.name} must not bring its own core`).toBeUndefined();
    }
    // every internal range (dependencies, peers, devDependencies) accepts the released versions: no second copy
    for (const pkg of after) {
      for (const field of ['dependencies', 'peerDependencies', 'devDependencies']) {
        for (const [dep, range] of Object.entries<string>(pkg[field] ?? {})) {
          const version = versions.get(dep);
          if (!version || range === '*') continue;
          expect(semver.satisfies(version, range), `${pkg.name} ${field}.${dep} ${range} vs ${version}`).toBe(true);
        }
      }
    }
    // each bumped plugin records why in its changelog
    const blimpLog = await fs.readFile(path.join(dir, 'packages/eval-zeroshot/blimp/CHANGELOG.md'), 'utf8').catch(() => '');
    expect(blimpLog).toMatch(/@class-it\/core@0\.2\.0/);
  });

  it('every plugin declares core as a peer (and a devDependency for the workspace), never as a dependency', async () => {
    for (const p of await readPackages(workspace, await workspacePackageFiles())) {
      if (!p['class-it']) continue;
      expect(p.peerDependencies?.['@class-it/core'], p.name).toMatch(/^\^\d/);
      expect(p.devDependencies?.['@class-it/core'], p.name).toBe(p.peerDependencies['@class-it/core']);
      expect(p.dependencies?.['@class-it/core'], p.name).toBeUndefined();
      expect(p['class-it'].core, `${p.name}: the core range lives in peerDependencies only`).toBeUndefined();
    }
  });
});
