import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CharBigramModel, testContext } from '@class-it/eval-zeroshot-shared/testing';
import { argmaxFirst, type DataIdentity } from '@class-it/eval-zeroshot-shared';
import { EntityTrackingEvaluator, entityTrackingAggregate, loadEntityTrackingItems } from '../src/index.js';

const PREFIX = 'Box 0 contains the cup, Box 1 contains the key and the pen, Box 2 contains nothing. Move the key from Box 1 to Box 2. Box 2 contains ';
const OPTIONS = ['the key.', 'the pen.', 'nothing.', 'the cup.', 'the key and the pen.'];
const rec = (numops: number, id: number, prefix = PREFIX, options = OPTIONS) => JSON.stringify({ sample_id: id, numops, input_prefix: prefix, options, example_id: id }) + '\n';

function makeRegular(): string {
  let text = '';
  for (let k = 0; k < 6; k++) text += rec(0, k) + rec(1, 10 + k, `Box ${k} holds `, [`item${k}.`, 'a.', 'b.', 'c.', 'd.']);
  return text;
}
const AMBIREF = rec(2, 0) + rec(2, 1, 'Box 3 contains ', ['x.', 'yy.', 'z.', 'w.', 'v.']) + rec(3, 2);

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'entity-'));
}

let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const files: Record<string, string> = { '/osf/regular.jsonl': makeRegular(), '/osf/ambiref.jsonl': AMBIREF };
    const body = req.url ? files[req.url] : undefined;
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('entity-tracking items', () => {
  it('concatenates prefix and option; UID = <stem>_<numops>_ops', async () => {
    const dir = await tempDir();
    const f = path.join(dir, 'regular.jsonl');
    await writeFile(f, rec(1, 7));
    const [item] = await loadEntityTrackingItems([f]);
    expect(item!.uid).toBe('regular_1_ops');
    expect(item!.sentences[0]).toBe(PREFIX + 'the key.');
    expect(item!.completions).toEqual(OPTIONS);
  });

  it('names file, line and field of malformed rows', async () => {
    const dir = await tempDir();
    const f = path.join(dir, 'regular.jsonl');
    await writeFile(f, rec(1, 0) + JSON.stringify({ numops: 'two', input_prefix: 'x ', options: OPTIONS }) + '\n');
    await expect(loadEntityTrackingItems([f])).rejects.toThrow(`${f}:2, field 'numops': expected an integer, got string`);
    await writeFile(f, JSON.stringify({ numops: 1, input_prefix: 'x ', options: 'the key.' }) + '\n');
    await expect(loadEntityTrackingItems([f])).rejects.toThrow(`${f}:1, field 'options': expected an array of strings`);
  });
});

describe('entity-tracking aggregation', () => {
  it('averages numops buckets within a split, then the splits', () => {
    const agg = entityTrackingAggregate(new Map([['regular_0_ops', 100], ['regular_1_ops', 50], ['ambiref_0_ops', 20]]));
    expect(agg.score).toBeCloseTo((75 + 20) / 2, 12);
    expect(agg.extra).toEqual({ 'split/regular': 75, 'split/ambiref': 20 });
    expect([...agg.extraUidLines!]).toEqual([['regular', 75], ['ambiref', 20]]);
  });
});

describe('entity-tracking evaluation', () => {
  it('reads the full layout and matches a by-hand 5-way argmax', async () => {
    const root = await tempDir();
    const dir = path.join(root, 'full_eval', 'entity_tracking');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'regular.jsonl'), makeRegular());
    await writeFile(path.join(dir, 'ambiref.jsonl'), AMBIREF);
    const model = new CharBigramModel({ seed: 11 });
    const items = await loadEntityTrackingItems([path.join(dir, 'ambiref.jsonl'), path.join(dir, 'regular.jsonl')]);
    const byUid = new Map<string, number[]>();
    for (const item of items) {
      const scores = item.sentences.map((s, i) => {
        const start = s.length - item.completions[i]!.length;
        let sum = 0;
        for (let j = Math.max(start, 1); j < s.length; j++) sum = Math.fround(sum + model.tokenLogprob(s.charCodeAt(j - 1), s.charCodeAt(j)));
        return sum;
      });
      byUid.set(item.uid, [...(byUid.get(item.uid) ?? []), argmaxFirst(scores) === 0 ? 100 : 0]);
    }
    const acc = (uid: string) => byUid.get(uid)!.reduce((a, b) => a + b, 0) / byUid.get(uid)!.length;
    const expected = ((acc('regular_0_ops') + acc('regular_1_ops')) / 2 + (acc('ambiref_2_ops') + acc('ambiref_3_ops')) / 2) / 2;
    const outDir = path.join(root, 'out');
    const { result } = await new EntityTrackingEvaluator().evaluate(testContext({ task: 'entity_tracking', model, dataDir: root, outDir, fast: false }));
    expect(result.score).toBeCloseTo(expected, 10);
    expect(result.groups.regular_0_ops).toBe(acc('regular_0_ops'));
    const report = await readFile(path.join(outDir, 'best_temperature_report.txt'), 'utf8');
    expect(report).toMatch(/### UID ACCURACY\nambiref_2_ops: [\d.]+\nambiref_3_ops: [\d.]+\nregular_0_ops: [\d.]+\nregular_1_ops: [\d.]+\nregular: [\d.]+\nambiref: [\d.]+\n/);
    const preds = JSON.parse(await readFile(path.join(outDir, 'predictions.json'), 'utf8'));
    expect(preds.regular_0_ops.predictions).toHaveLength(6);
  });

  it('downloads the files from settings.urls into the cache (the fast set = regular.jsonl)', async () => {
    const root = await tempDir();
    const cacheDir = path.join(root, 'cache');
    const outDir = path.join(root, 'out');
    const ev = new EntityTrackingEvaluator();
    const { result: viaUrl, details } = await ev.evaluate(testContext({ task: 'entity_tracking', model: new CharBigramModel(), dataDir: root, outDir, settings: { urls: [`${base}/osf/regular.jsonl`], cacheDir } }));
    expect(Object.keys(viaUrl.groups)).toEqual(['regular_0_ops', 'regular_1_ops']);
    expect((details.data as DataIdentity).urls).toEqual([`${base}/osf/regular.jsonl`]);
    expect((details.data as DataIdentity).files.map((f) => path.basename(f.name))).toEqual(['regular.jsonl']);
    // Offline, the cached copy serves; a URL that was never fetched is an error, not a network request.
    const offline = await ev.evaluate(testContext({ task: 'entity_tracking', model: new CharBigramModel(), dataDir: root, outDir, settings: { urls: [`${base}/osf/regular.jsonl`], cacheDir, offline: true } }));
    expect(offline.result.score).toBe(viaUrl.score);
    await expect(ev.evaluate(testContext({ task: 'entity_tracking', model: new CharBigramModel(), dataDir: root, outDir, settings: { urls: [`${base}/osf/other.jsonl`], cacheDir, offline: true } }))).rejects.toThrow(/offline mode: .* is not in the cache/);
    // Same data from a local fast layout gives the same score.
    const local = path.join(root, 'fast_eval', 'entity_tracking_fast');
    await mkdir(local, { recursive: true });
    await writeFile(path.join(local, 'regular.jsonl'), makeRegular());
    const { result: viaDir } = await ev.evaluate(testContext({ task: 'entity_tracking', model: new CharBigramModel(), dataDir: root, outDir }));
    expect(viaDir.score).toBe(viaUrl.score);
    await expect(ev.evaluate(testContext({ task: 'entity_tracking', model: new CharBigramModel(), dataDir: root, outDir, settings: { urls: [`${base}/osf/missing.jsonl`], cacheDir } }))).rejects.toThrow(/HTTP 404/);
    await expect(ev.evaluate(testContext({ task: 'entity_tracking', model: new CharBigramModel(), dataDir: root, outDir, settings: { urls: ['ftp://x/regular.jsonl'] } }))).rejects.toThrow(/only http\(s\)/);
  });
});
