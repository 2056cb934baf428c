/**
 * What every published package carries: the Apache-2.0 LICENSE (in `files`), `repository` with its directory,
 * `engines`, a `prepack` build, and source maps whose sources are shipped with it.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const workspace = path.resolve(__dirname, '..', '..');

async function publishedPackages(): Promise<Array<{ dir: string; pkg: Record<string, any> }>> {
  const root = JSON.parse(await fs.readFile(path.join(workspace, 'package.json'), 'utf8')) as { workspaces: string[] };
  const out = [];
  for (const pattern of root.workspaces) {
    const dirs = pattern.endsWith('/*')
      ? (await fs.readdir(path.join(workspace, pattern.slice(0, -2)))).map((d) => path.join(pattern.slice(0, -2), d))
      : [pattern];
    for (const dir of dirs) {
      const file = path.join(workspace, dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(await fs.readFile(file, 'utf8'));
      if (!pkg.private) out.push({ dir, pkg });
    }
  }
  return out;
}

async function mapFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await mapFiles(full)));
    else if (e.name.endsWith('.map')) out.push(full);
  }
  return out;
}

describe('published package metadata', () => {
  it('LICENSE, repository, engines and a prepack build in every package', async () => {
    const license = await fs.readFile(path.join(workspace, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    const packages = await publishedPackages();
    expect(packages.length).toBeGreaterThan(15);
    for (const { dir, pkg } of packages) {
      expect(pkg.license, pkg.name).toBe('Apache-2.0');
      expect(await fs.readFile(path.join(workspace, dir, 'LICENSE'), 'utf8'), `${dir}/LICENSE`).toBe(license);
      expect(pkg.files, pkg.name).toEqual(expect.arrayContaining(['dist', 'LICENSE', 'README.md']));
      expect(pkg.repository, pkg.name).toMatchObject({ type: 'git', directory: dir });
      expect(pkg.repository.url, pkg.name).toBe(packages[0]!.pkg.repository.url);
      expect(pkg.engines?.node, pkg.name).toMatch(/^>=20/);
      // a clean build: no stale output of a deleted source is packed
      expect(pkg.scripts?.prepack, pkg.name).toBe('npm run clean && npm run build');
      expect(pkg.scripts?.clean, pkg.name).toMatch(/rmSync\('dist'/);
      expect(existsSync(path.join(workspace, dir, 'README.md')), `${dir}/README.md`).toBe(true);
    }
  });

  it('source maps point at sources the package ships', async () => {
    let checked = 0;
    for (const { dir, pkg } of await publishedPackages()) {
      const shipped = (pkg.files as string[]).map((f) => path.join(workspace, dir, f));
      for (const map of await mapFiles(path.join(workspace, dir, 'dist'))) {
        const { sources } = JSON.parse(await fs.readFile(map, 'utf8')) as { sources: string[] };
        for (const source of sources) {
          const target = path.resolve(path.dirname(map), source);
          expect(shipped.some((f) => target.startsWith(f + path.sep)), `${path.relative(workspace, map)} -> ${source}`).toBe(true);
          // an output whose source was deleted is stale in this working tree; prepack's clean build drops it
          if (existsSync(target)) checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});
