/**
 * Files at explicit URLs (evaluation data from OSF or GitHub raw, datasets' `url`): cached under their own name,
 * served from the cache afterwards, and never left looking complete after a failed or corrupt transfer.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '@class-it/core';
import { cachedUrlFile, urlCachePath } from '../src/index.js';

const BODY = '{"sample_id": 0, "numops": 1}\n{"sample_id": 1, "numops": 2}\n';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
let server: http.Server;
let base = '';
let hits = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits += 1;
    if (req.url === '/data/regular.jsonl' || req.url === '/data/with%20space.jsonl') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
      res.end(BODY);
    } else if (req.url === '/data/truncated.jsonl') {
      // Promise 1000 bytes, send 10, then cut the connection (every time).
      res.writeHead(200, { 'content-length': 1000 });
      res.write(BODY.slice(0, 10));
      setTimeout(() => res.socket?.destroy(), 20);
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'url-cache-'));

describe('cachedUrlFile', () => {
  it('downloads into <cache>/urls/<hash>/<name> keeping the (decoded) file name, then serves it from the cache', async () => {
    const cacheDir = tmp();
    const url = `${base}/data/regular.jsonl`;
    const before = hits;
    const file = await cachedUrlFile(url, { cacheDir, sha256: sha(BODY) });
    expect(file).toBe(urlCachePath(url, cacheDir));
    expect(path.dirname(path.dirname(file))).toBe(path.join(cacheDir, 'urls'));
    expect(path.basename(file)).toBe('regular.jsonl');
    expect(readFileSync(file, 'utf8')).toBe(BODY);
    expect(await cachedUrlFile(url, { cacheDir })).toBe(file);
    expect(await cachedUrlFile(url, { cacheDir, offline: true })).toBe(file);
    expect(hits - before).toBe(1);
    expect(path.basename(await cachedUrlFile(`${base}/data/with%20space.jsonl`, { cacheDir }))).toBe('with space.jsonl');
  });

  it('fails on a truncated transfer naming the URL, and leaves only the partial file to resume from', async () => {
    const cacheDir = tmp();
    const url = `${base}/data/truncated.jsonl`;
    const err = await cachedUrlFile(url, { cacheDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(new RegExp(`^${url.replace(/[.]/g, '\\.')}: download failed after 5 attempts`));
    const target = urlCachePath(url, cacheDir);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(path.dirname(target)).sort()).toEqual(['truncated.jsonl.partial', 'truncated.jsonl.partial.json']);
    await expect(cachedUrlFile(url, { cacheDir, offline: true })).rejects.toThrow(/offline mode: .* is not in the cache/);
  });

  it('fails on HTTP errors naming the URL, at once', async () => {
    const url = `${base}/data/missing.jsonl`;
    const before = hits;
    await expect(cachedUrlFile(url, { cacheDir: tmp() })).rejects.toThrow(`${url}: download failed: HTTP 404 Not Found`);
    expect(hits - before).toBe(1);
  });

  it('rejects a sha256 mismatch without caching', async () => {
    const cacheDir = tmp();
    const url = `${base}/data/regular.jsonl`;
    await expect(cachedUrlFile(url, { cacheDir, sha256: '0'.repeat(64) })).rejects.toThrow(/checksum mismatch/);
    expect(readdirSync(path.dirname(urlCachePath(url, cacheDir)))).toEqual([]);
  });
});
