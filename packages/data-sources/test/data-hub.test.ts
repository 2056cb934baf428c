/**
 * The Hub downloader against a local HTTP server that serves files in the Hub's URL layout:
 *   /api/datasets/<repo>/tree/<rev>/<config>?recursive=true  and  /datasets/<repo>/resolve/<rev>/<path>
 * including an interrupted transfer (resumed with Range) and a corrupt file (rejected).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RowDataset, classItRowToExample, downloadFile, hubDatasetFiles, cachedUrlFile, parseHubUri, belongsToSplit } from '../src/index.js';
import { DataError } from '@class-it/core';
import { listenLocally, sendFileAsHub } from '../src/testing/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const parquet = readFileSync(path.join(repoRoot, 'data/demo/conversational.parquet'));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const corrupt = Buffer.from(parquet);
corrupt[corrupt.length >> 1] ^= 0xff;

interface Served { body: Buffer; claimedSha: string }
const files: Record<string, Served> = {
  'switchboard/train-00000-of-00001.parquet': { body: parquet, claimedSha: sha(parquet) },
  'broken/train-00000-of-00001.parquet': { body: corrupt, claimedSha: sha(parquet) },
};
const log: Array<{ url: string; range?: string }> = [];
let interruptNext = false;
let endpoint = '';
let closeServer: () => Promise<void>;

beforeAll(async () => {
  ({ endpoint, close: closeServer } = await listenLocally((req, res) => {
    const url = new URL(req.url!, 'http://x');
    log.push({ url: url.pathname, range: req.headers.range });
    const tree = /^\/api\/datasets\/org\/demo\/tree\/main\/([^/]+)$/.exec(url.pathname);
    if (tree) {
      const config = decodeURIComponent(tree[1]!);
      const entries = [
        { type: 'directory', path: config, oid: 'x', size: 0 },
        { type: 'file', path: `${config}/README.md`, oid: 'y', size: 10 },
        ...Object.entries(files).filter(([p]) => p.startsWith(`${config}/`))
          .map(([p, f]) => ({ type: 'file', path: p, oid: 'gitsha', size: 134, lfs: { oid: f.claimedSha, size: f.body.length, pointerSize: 134 } })),
      ];
      if (entries.length === 2) { res.writeHead(404).end('{"error":"not found"}'); return; }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(entries));
      return;
    }
    const resolve = /^\/datasets\/org\/demo\/resolve\/main\/(.+)$/.exec(url.pathname);
    const file = resolve ? files[decodeURIComponent(resolve[1]!)] : url.pathname === '/plain/file.parquet' ? files['switchboard/train-00000-of-00001.parquet'] : undefined;
    if (!file) { res.writeHead(404).end(); return; }
    const cut = interruptNext;
    interruptNext = false;
    sendFileAsHub(req, res, file.body, { cut });
  }));
});
afterAll(() => closeServer());
beforeEach(() => { log.length = 0; interruptNext = false; });

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'hub-'));

describe('Hub addresses', () => {
  it('parses hf://datasets URIs and matches split files in both Hub layouts', () => {
    expect(parseHubUri('hf://datasets/colinglab/CLASS_IT/switchboard')).toEqual({ repo: 'colinglab/CLASS_IT', config: 'switchboard', revision: 'main' });
    expect(parseHubUri('hf://datasets/a/b@v1.0/cfg').revision).toBe('v1.0');
    expect(() => parseHubUri('hf://models/a/b')).toThrow(/not a Hub dataset address/);
    expect(belongsToSplit('switchboard/train-00000-of-00001.parquet', 'train')).toBe(true);
    expect(belongsToSplit('switchboard/train/0000.parquet', 'train')).toBe(true);
    expect(belongsToSplit('switchboard/test-00000-of-00001.parquet', 'train')).toBe(false);
    expect(belongsToSplit('switchboard/train-notes.md', 'train')).toBe(false);
  });
});

describe('Hub download cache', () => {
  it('downloads a config, verifies its SHA-256, reuses the cache, and loads rows through a dataset plugin', async () => {
    const cacheDir = tmp();
    const paths = await hubDatasetFiles('hf://datasets/org/demo/switchboard', 'train', { cacheDir, endpoint });
    expect(paths).toEqual([path.join(cacheDir, 'hub/datasets/org--demo/main/switchboard/train-00000-of-00001.parquet')]);
    expect(sha(readFileSync(paths[0]!))).toBe(sha(parquet));
    expect(JSON.parse(readFileSync(paths[0]! + '.meta.json', 'utf8')).verifiedBy).toBe('sha256');
    expect(log.map((l) => l.url)).toEqual(['/api/datasets/org/demo/tree/main/switchboard', '/datasets/org/demo/resolve/main/switchboard/train-00000-of-00001.parquet']);
    log.length = 0;
    await hubDatasetFiles('hf://datasets/org/demo/switchboard', 'train', { cacheDir, endpoint });
    expect(log.filter((l) => l.url.includes('/resolve/'))).toHaveLength(0);

    // Dataset plugins take the endpoint from their load options (the experiment's hubEndpoint) ...
    const viaOption = new RowDataset({ name: 'sw', description: '', toExamples: classItRowToExample, defaultSource: { hub: 'hf://datasets/org/demo/switchboard' } });
    expect((await viaOption.load({ settings: { limit: 3 }, baseDir: '.', cacheDir: tmp(), offline: false, badRows: 'fail', hubEndpoint: endpoint })).examples).toHaveLength(3);
    // ... or from HF_ENDPOINT.
    const before = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = endpoint;
    try {
      const ds = new RowDataset({ name: 'sw', description: '', toExamples: classItRowToExample, defaultSource: { hub: 'hf://datasets/org/demo/switchboard' } });
      const loaded = await ds.load({ settings: {}, baseDir: '.', cacheDir: tmp(), offline: false, badRows: 'fail' });
      expect(loaded.examples).toHaveLength(120);
    } finally {
      if (before === undefined) delete process.env.HF_ENDPOINT; else process.env.HF_ENDPOINT = before;
    }
  });

  it('resumes an interrupted transfer with an HTTP Range request', async () => {
    const cacheDir = tmp();
    interruptNext = true;
    const [file] = await hubDatasetFiles('hf://datasets/org/demo/switchboard', 'train', { cacheDir, endpoint });
    expect(sha(readFileSync(file!))).toBe(sha(parquet));
    const fetches = log.filter((l) => l.url.includes('/resolve/'));
    expect(fetches).toHaveLength(2);
    expect(fetches[0]!.range).toBeUndefined();
    expect(fetches[1]!.range).toBe(`bytes=${parquet.length >> 1}-`);
  });

  it('rejects a corrupt file (checksum mismatch) and leaves nothing in the cache', async () => {
    const cacheDir = tmp();
    const err = await hubDatasetFiles('hf://datasets/org/demo/broken', 'train', { cacheDir, endpoint }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/corrupt download .* checksum mismatch: sha256 [0-9a-f]{64}, expected [0-9a-f]{64}; the file was discarded/);
    const dir = path.join(cacheDir, 'hub/datasets/org--demo/main/broken');
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });

  it('offline mode fails clearly when the cache lacks a config and works from the cache without the network', async () => {
    const cacheDir = tmp();
    await expect(hubDatasetFiles('hf://datasets/org/demo/switchboard', 'train', { cacheDir, endpoint, offline: true }))
      .rejects.toThrow(/offline mode: hf:\/\/datasets\/org\/demo\/switchboard \(split 'train', revision main\) is not in the cache/);
    expect(log).toHaveLength(0);
    await hubDatasetFiles('hf://datasets/org/demo/switchboard', 'train', { cacheDir, endpoint });
    log.length = 0;
    const offline = await hubDatasetFiles('hf://datasets/org/demo/switchboard', 'train', { cacheDir, endpoint: 'http://127.0.0.1:9', offline: true });
    expect(offline).toHaveLength(1);
    expect(log).toHaveLength(0);
  });

  it('reports an unknown config and an unreachable Hub clearly', async () => {
    await expect(hubDatasetFiles('hf://datasets/org/demo/nope', 'train', { cacheDir: tmp(), endpoint })).rejects.toThrow(/answered HTTP 404/);
    await expect(hubDatasetFiles('hf://datasets/org/demo/nope', 'train', { cacheDir: tmp(), endpoint: 'http://127.0.0.1:9' })).rejects.toThrow(/cannot reach the Hub/);
  });

  it('caches explicit URLs, verifying a given sha256 or the ETag', async () => {
    const cacheDir = tmp();
    const url = `${endpoint}/plain/file.parquet`;
    const file = await cachedUrlFile(url, { cacheDir, sha256: sha(parquet) });
    expect(sha(readFileSync(file))).toBe(sha(parquet));
    expect(await cachedUrlFile(url, { cacheDir, offline: true })).toBe(file);
    await expect(cachedUrlFile(url, { cacheDir: tmp(), sha256: 'ab'.repeat(32) })).rejects.toThrow(/checksum mismatch/);
    await expect(cachedUrlFile(`${endpoint}/plain/other.parquet`, { cacheDir, offline: true })).rejects.toThrow(/offline mode: .* is not in the cache/);
    const viaEtag = await downloadFile({ url, target: path.join(tmp(), 'f.parquet') });
    expect(viaEtag.verifiedBy).toBe('etag');
  });
});
