/**
 * Hub models (`hubModelDir`) against a local HTTP server in the Hub's model layout:
 *   /api/models/<repo>/tree/<rev>?recursive=true  and  /<repo>/resolve/<rev>/<path>
 * The checkpoint files are fetched (and nothing else), checked against their LFS SHA-256, reused from the cache and
 * found offline; a corrupt file, a listing with `../` and a repository without weights are refused; an interrupted
 * transfer resumes with Range. (The CLI end to end, on a LLaMA folder made by transformers: tools/test/hub-model.test.ts.)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataError } from '@class-it/core';
import { SourceUnavailableError, hubModelDir, isModelFolderFile, parseHubModelUri } from '../src/index.js';
import { listenLocally, sendFileAsHub } from '../src/testing/index.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gitOid = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const weights = Buffer.from(Array.from({ length: 40_000 }, (_, i) => (i * 7919) % 251));
const corrupt = Buffer.from(weights);
corrupt[100] ^= 0xff;

interface Served { body: Buffer; lfsSha?: string; listedGitOid?: string }
/** Repositories: listing path -> file (LFS when it has a SHA-256); `extra` entries are listed but not served. */
const repos: Record<string, { files: Record<string, Served>; extra?: Array<Record<string, unknown>> }> = {
  'org/tiny': {
    files: {
      'config.json': { body: Buffer.from('{"model_type":"llama"}') },
      'model.safetensors': { body: weights, lfsSha: sha(weights) },
      'tokenizer.json': { body: Buffer.from('{"model":{}}') },
      'README.md': { body: Buffer.from('# tiny') },
      'onnx/model.onnx': { body: Buffer.from('not wanted'), lfsSha: sha(Buffer.from('not wanted')) },
    },
  },
  'org/corrupt': {
    files: { 'config.json': { body: Buffer.from('{}') }, 'model.safetensors': { body: corrupt, lfsSha: sha(weights) } },
  },
  'org/hostile': {
    files: { 'config.json': { body: Buffer.from('{}') }, 'model.safetensors': { body: weights, lfsSha: sha(weights) } },
    extra: [{ type: 'file', path: '../../escape.safetensors', size: 3 }],
  },
  'org/badconfig': {
    files: { 'config.json': { body: Buffer.from('{"model_type":"gpt2"}'), listedGitOid: gitOid(Buffer.from('{"model_type":"opt0"}')) }, 'model.safetensors': { body: weights, lfsSha: sha(weights) } },
  },
  'org/noweights': { files: { 'config.json': { body: Buffer.from('{}') }, 'pytorch_model.bin': { body: weights } } },
};
const log: Array<{ url: string; range?: string }> = [];
let interruptNext = false;
let endpoint = '';
let closeServer: () => Promise<void>;

beforeAll(async () => {
  ({ endpoint, close: closeServer } = await listenLocally((req, res) => {
    const url = new URL(req.url!, 'http://x');
    log.push({ url: url.pathname, range: req.headers.range });
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/main$/.exec(url.pathname);
    if (tree) {
      const repo = repos[tree[1]!];
      if (!repo || url.searchParams.get('recursive') !== 'true') { res.writeHead(404).end('{"error":"not found"}'); return; }
      const entries = [
        { type: 'directory', path: 'onnx', oid: 'd', size: 0 },
        ...Object.entries(repo.files).map(([p, f]) => ({
          type: 'file', path: p, oid: f.lfsSha ? 'b'.repeat(40) : f.listedGitOid ?? gitOid(f.body), size: f.lfsSha ? 134 : f.body.length, ...(f.lfsSha ? { lfs: { oid: f.lfsSha, size: f.body.length, pointerSize: 134 } } : {}),
        })),
        ...(repo.extra ?? []),
      ];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(entries));
      return;
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(url.pathname);
    const file = resolve ? repos[resolve[1]!]?.files[decodeURIComponent(resolve[2]!)] : undefined;
    if (!file) { res.writeHead(404).end(); return; }
    const cut = interruptNext && file.lfsSha !== undefined;
    if (cut) interruptNext = false;
    sendFileAsHub(req, res, file.body, { cut });
  }));
});
afterAll(() => closeServer());
beforeEach(() => { log.length = 0; interruptNext = false; });

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'hub-model-'));

describe('Hub model addresses', () => {
  it('parses hf://<owner>/<name>[@revision] and refuses anything else', () => {
    expect(parseHubModelUri('hf://colinglab/CLASS_IT-140M')).toEqual({ repo: 'colinglab/CLASS_IT-140M', revision: 'main' });
    expect(parseHubModelUri('hf://a/b@v1.0')).toEqual({ repo: 'a/b', revision: 'v1.0' });
    expect(parseHubModelUri('hf://a/b@refs%2Fpr%2F3').revision).toBe('refs/pr/3');
    for (const bad of ['hf://colinglab', 'hf://a/b/c', 'hf://a/b@', 'hf://a/b@..', 'hf://a/b@x%2F..%2Fy', 'hf://datasets/colinglab', 'hf://a/../b', 'hf:///a/b', 'hf://a b/c']) {
      expect(() => parseHubModelUri(bad), bad).toThrow(/is not a Hub model address: expected hf:\/\/<owner>\/<name>/);
    }
  });

  it('takes the files of a checkpoint folder: config, weights (sharded too), tokenizer, generation', () => {
    for (const f of ['config.json', 'model.safetensors', 'model-00001-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json',
      'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json']) expect(isModelFolderFile(f), f).toBe(true);
    for (const f of ['README.md', '.gitattributes', 'pytorch_model.bin', 'onnx/model.safetensors']) expect(isModelFolderFile(f), f).toBe(false);
  });
});

describe('Hub model download cache', () => {
  it('downloads the checkpoint files, verifies the weights\' SHA-256, reuses the cache and works offline', async () => {
    const cacheDir = tmp();
    const dir = await hubModelDir('hf://org/tiny', { cacheDir, endpoint });
    expect(dir).toBe(path.join(cacheDir, 'hub/models/org--tiny/main'));
    expect(readdirSync(dir).filter((f) => !f.endsWith('.meta.json')).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(sha(readFileSync(path.join(dir, 'model.safetensors')))).toBe(sha(weights));
    expect(JSON.parse(readFileSync(path.join(dir, 'model.safetensors.meta.json'), 'utf8')).verifiedBy).toBe('sha256');
    expect(log.map((l) => l.url).sort()).toEqual(['/api/models/org/tiny/tree/main', '/org/tiny/resolve/main/config.json',
      '/org/tiny/resolve/main/model.safetensors', '/org/tiny/resolve/main/tokenizer.json']);
    log.length = 0;
    expect(await hubModelDir('hf://org/tiny', { cacheDir, endpoint })).toBe(dir);
    expect(log.map((l) => l.url)).toEqual(['/api/models/org/tiny/tree/main']); // listed again, nothing fetched
    log.length = 0;
    expect(await hubModelDir('hf://org/tiny', { cacheDir, endpoint, offline: true })).toBe(dir);
    const before = process.env.HF_HUB_OFFLINE;
    process.env.HF_HUB_OFFLINE = '1';
    try {
      expect(await hubModelDir('hf://org/tiny', { cacheDir, endpoint })).toBe(dir);
    } finally {
      if (before === undefined) delete process.env.HF_HUB_OFFLINE; else process.env.HF_HUB_OFFLINE = before;
    }
    expect(log).toEqual([]);
    // a weights file the listing no longer names (the branch moved to shards, say) leaves the cached folder
    writeFileSync(path.join(dir, 'model-00001-of-00002.safetensors'), 'stale');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a checkpoint file: kept');
    await hubModelDir('hf://org/tiny', { cacheDir, endpoint });
    expect(readdirSync(dir).filter((f) => !f.endsWith('.meta.json')).sort()).toEqual(['config.json', 'model.safetensors', 'notes.txt', 'tokenizer.json']);
  });

  it('offline mode without the model in the cache says so, without the network', async () => {
    const err = await hubModelDir('hf://org/tiny@main', { cacheDir: tmp(), endpoint, offline: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceUnavailableError);
    expect((err as Error).message).toMatch(/offline mode: hf:\/\/org\/tiny@main \(revision main\) is not in the cache .*run once with network access/);
    expect(log).toEqual([]);
  });

  it('refuses a corrupt file (checksum mismatch) and keeps nothing of it', async () => {
    const cacheDir = tmp();
    const err = await hubModelDir('hf://org/corrupt', { cacheDir, endpoint }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/corrupt download .*model\.safetensors: checksum mismatch: sha256 [0-9a-f]{64}, expected [0-9a-f]{64}; the file was discarded/);
    const dir = path.join(cacheDir, 'hub/models/org--corrupt/main');
    expect(readdirSync(dir).filter((f) => f.startsWith('model.safetensors'))).toEqual([]);
    expect(existsSync(`${dir}.manifest.json`)).toBe(false);
  });

  it('checks files kept in git (config, tokenizer) against their git blob id: a changed one is fetched again, a wrong one refused', async () => {
    const cacheDir = tmp();
    const dir = await hubModelDir('hf://org/tiny', { cacheDir, endpoint });
    const config = repos['org/tiny']!.files['config.json']!;
    const before = config.body;
    config.body = Buffer.from('{"model_type":"gpt2"}'.padEnd(before.length, ' ')); // same size, new content
    try {
      log.length = 0;
      await hubModelDir('hf://org/tiny', { cacheDir, endpoint });
      expect(log.map((l) => l.url)).toEqual(['/api/models/org/tiny/tree/main', '/org/tiny/resolve/main/config.json']);
      expect(readFileSync(path.join(dir, 'config.json'))).toEqual(config.body);
    } finally {
      config.body = before;
    }
    const err = await hubModelDir('hf://org/badconfig', { cacheDir, endpoint }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/corrupt download from .*config\.json: git blob id [0-9a-f]{40}, expected [0-9a-f]{40}; the file was discarded/);
    expect(existsSync(path.join(cacheDir, 'hub/models/org--badconfig/main/config.json'))).toBe(false);
  });

  it('refuses a listing that names a path outside the cache before writing anything', async () => {
    const cacheDir = tmp();
    await expect(hubModelDir('hf://org/hostile', { cacheDir, endpoint })).rejects.toThrow(/refusing the file name "\.\.\/\.\.\/escape\.safetensors": it has a '\.\.' segment/);
    expect(readdirSync(cacheDir)).toEqual([]);
    expect(log.filter((l) => l.url.includes('/resolve/'))).toEqual([]);
  });

  it('refuses a repository without safetensors weights, naming what is missing', async () => {
    await expect(hubModelDir('hf://org/noweights', { cacheDir: tmp(), endpoint })).rejects.toThrow(/hf:\/\/org\/noweights@main is not a checkpoint folder .*no \*\.safetensors/);
    await expect(hubModelDir('hf://org/absent', { cacheDir: tmp(), endpoint })).rejects.toThrow(/answered HTTP 404: is hf:\/\/org\/absent \(revision main\) right\?/);
  });

  it('resumes an interrupted transfer of the weights with an HTTP Range request', async () => {
    const cacheDir = tmp();
    interruptNext = true;
    const dir = await hubModelDir('hf://org/tiny', { cacheDir, endpoint });
    expect(sha(readFileSync(path.join(dir, 'model.safetensors')))).toBe(sha(weights));
    const fetches = log.filter((l) => l.url.endsWith('/model.safetensors'));
    expect(fetches.map((f) => f.range)).toEqual([undefined, `bytes=${weights.length >> 1}-`]);
  });
});
