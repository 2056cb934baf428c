/**
 * Path safety (issue 12 item 1): a name from outside never becomes a path outside its cache directory. Tested on
 * the helper and end to end against a hostile local "Hub mirror" whose tree listings name `../` paths, absolute
 * paths, backslashes and NULs, and which would happily serve every file it lists.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataError } from '@class-it/core';
import { cachedUrlFile, hubDatasetFiles, resolveInside, unsafeNameProblem } from '../src/index.js';

describe('resolveInside', () => {
  const root = path.join(os.tmpdir(), 'class-it-root');

  it('joins safe relative names under the root', () => {
    expect(resolveInside(root, 'a/train-0.parquet', 'test')).toBe(path.join(root, 'a', 'train-0.parquet'));
    expect(resolveInside(root, '..hidden', 'test')).toBe(path.join(root, '..hidden'));
    expect(resolveInside('relative/cache', 'f.jsonl', 'test')).toBe(path.resolve('relative/cache', 'f.jsonl'));
  });

  it.each([
    ['../x', "'..' segment"],
    ['a/../../x', "'..' segment"],
    ['a/..', "'..' segment"],
    ['/etc/passwd', 'absolute path'],
    ['C:/x', 'absolute path'],
    ['a\\..\\..\\x', 'backslash'],
    ['a\0b', 'NUL'],
    ['', 'empty'],
    ['a//b', "empty or '.' segment"],
    ['./a', "empty or '.' segment"],
  ])('refuses %j (%s), naming the source', (name, why) => {
    expect(unsafeNameProblem(name)).toContain(why);
    const err = (() => { try { resolveInside(root, name, 'http://mirror/listing'); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/^http:\/\/mirror\/listing: refusing the file name /);
  });
});

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const parquet = readFileSync(path.join(repoRoot, 'data/demo/conversational.parquet'));
/** From <root>/cache/hub/datasets/org--evil/main, five `..` reach <root>: the file would land in <root>/escaped/. */
const ESCAPE = '../../../../../escaped/train-00000-of-00001.parquet';
const LISTINGS: Record<string, string[]> = {
  dotdot: [ESCAPE],
  mixed: ['mixed/train-00000-of-00002.parquet', `mixed/${ESCAPE}`],
  absolute: [`${os.tmpdir()}/class-it-escaped/train-00000-of-00001.parquet`],
  /** Harmless characters on POSIX, a way out on Windows. */
  backslash: ['..\\..\\..\\..\\..\\escaped/train-00000-of-00001.parquet'],
  nul: ['cfg/train-00000-of-00001.parquet\0.txt/train-00000-of-00001.parquet'],
};

let server: http.Server;
let endpoint = '';
const requests: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    requests.push(decodeURIComponent(url.pathname));
    const tree = /^\/api\/datasets\/org\/evil\/tree\/main\/([^/]+)$/.exec(url.pathname);
    if (tree) {
      const listed = LISTINGS[decodeURIComponent(tree[1]!)] ?? [];
      const entries = listed.map((p) => ({ type: 'file', path: p, size: parquet.length }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(entries));
      return;
    }
    // Serves anything it is asked for: only the client's checks keep the files inside the cache.
    res.writeHead(200, { 'content-length': parquet.length }).end(parquet);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => { requests.length = 0; });

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

describe('a hostile Hub mirror', () => {
  it.each(Object.keys(LISTINGS))('listing %s: refused before anything is downloaded, nothing written outside the cache', async (config) => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hostile-'));
    const cacheDir = path.join(root, 'cache');
    const err = await hubDatasetFiles(`hf://datasets/org/evil/${config}`, 'train', { cacheDir, endpoint }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(new RegExp(`^Hub listing of hf://datasets/org/evil/${config}: refusing the file name `));
    expect(requests.filter((r) => !r.startsWith('/api/'))).toEqual([]); // only the listing was fetched
    expect(filesUnder(root)).toEqual([]);
    expect(existsSync(path.join(os.tmpdir(), 'class-it-escaped'))).toBe(false);
  });

  it('offline mode refuses a cached manifest that was tampered with', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hostile-'));
    const cacheDir = path.join(root, 'cache');
    const repoDir = path.join(cacheDir, 'hub', 'datasets', 'org--evil', 'main');
    mkdirSync(repoDir, { recursive: true });
    const manifest = path.join(repoDir, 'dotdot.train.manifest.json');
    writeFileSync(manifest, JSON.stringify({ files: [{ path: ESCAPE, size: 1 }] }));
    await expect(hubDatasetFiles('hf://datasets/org/evil/dotdot', 'train', { cacheDir, endpoint, offline: true }))
      .rejects.toThrow(`${manifest}: refusing the file name ${JSON.stringify(ESCAPE)}: it has a '..' segment`);
    writeFileSync(manifest, JSON.stringify({ files: 'x' }));
    await expect(hubDatasetFiles('hf://datasets/org/evil/dotdot', 'train', { cacheDir, endpoint, offline: true }))
      .rejects.toThrow(`${manifest}, field 'files': expected a list of files`);
  });

  it('a split name cannot move the manifest out of the cache', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hostile-'));
    await expect(hubDatasetFiles('hf://datasets/org/evil/dotdot', 'x/../../../../../../escaped', { cacheDir: path.join(root, 'cache'), endpoint }))
      .rejects.toThrow(/refusing the file name .*'\.\.' segment/);
    expect(filesUnder(root)).toEqual([]);
  });

  it('a URL whose encoded file name decodes to ../ is refused', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hostile-'));
    const url = `${endpoint}/files/..%2F..%2F..%2Fescaped.jsonl`;
    await expect(cachedUrlFile(url, { cacheDir: path.join(root, 'cache') })).rejects.toThrow(DataError);
    await expect(cachedUrlFile(url, { cacheDir: path.join(root, 'cache') })).rejects.toThrow(/refusing the file name "\.\.\/\.\.\/\.\.\/escaped\.jsonl"/);
    expect(requests).toEqual([]);
    expect(filesUnder(root)).toEqual([]);
  });
});
