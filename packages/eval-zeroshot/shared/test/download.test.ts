import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '@class-it/core';
import { cachePathFor, downloadToCache } from '../src/download.js';
import { sha256Hex } from '../src/results.js';

const BODY = '{"sample_id": 0, "numops": 1}\n{"sample_id": 1, "numops": 2}\n';
let server: http.Server;
let base: string;
let hits = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits += 1;
    if (req.url === '/data/regular.jsonl') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
      res.end(BODY);
    } else if (req.url === '/data/truncated.jsonl') {
      // Promise 1000 bytes, send 10, then cut the connection.
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

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'zs-download-'));
}

describe('downloadToCache', () => {
  it('downloads into <cache>/<hash>/<name> keeping the file name, then serves it from the cache', async () => {
    const cache = await tempDir();
    const url = `${base}/data/regular.jsonl`;
    const before = hits;
    const file = await downloadToCache(url, cache, { sha256: sha256Hex(BODY) });
    expect(file).toBe(cachePathFor(url, cache));
    expect(path.basename(file)).toBe('regular.jsonl');
    expect(await readFile(file, 'utf8')).toBe(BODY);
    await downloadToCache(url, cache);
    expect(hits - before).toBe(1);
    await rm(cache, { recursive: true });
  });

  it('fails on a truncated transfer and leaves nothing in the cache', async () => {
    const cache = await tempDir();
    const url = `${base}/data/truncated.jsonl`;
    await expect(downloadToCache(url, cache)).rejects.toThrow(DataError);
    await expect(downloadToCache(url, cache)).rejects.toThrow(/download failed/);
    const dir = path.dirname(cachePathFor(url, cache));
    const left = await readdir(dir).catch(() => []);
    expect(left).toEqual([]);
    await rm(cache, { recursive: true });
  });

  it('fails on HTTP errors naming the URL', async () => {
    const cache = await tempDir();
    const url = `${base}/data/missing.jsonl`;
    await expect(downloadToCache(url, cache)).rejects.toThrow(new RegExp(`${url.replace(/[.]/g, '\\.')}.*HTTP 404`));
    await rm(cache, { recursive: true });
  });

  it('rejects a sha256 mismatch without caching', async () => {
    const cache = await tempDir();
    const url = `${base}/data/regular.jsonl`;
    await expect(downloadToCache(url, cache, { sha256: '0'.repeat(64) })).rejects.toThrow(/sha256 mismatch/);
    await expect(readFile(cachePathFor(url, cache))).rejects.toThrow();
    await rm(cache, { recursive: true });
  });
});
