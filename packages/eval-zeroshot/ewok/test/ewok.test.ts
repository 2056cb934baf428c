import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@class-it/core';
import { BlobWriter, TextReader, ZipWriter } from '@zip.js/zip.js';
import type { DataIdentity } from '@class-it/eval-zeroshot-shared';
import { CharBigramModel, evalDataDir, testContext } from '@class-it/eval-zeroshot-shared/testing';
import { EWOK_PASSWORD_ENV, EwokEvaluator, loadEwokFiles, loadEwokZip } from '../src/index.js';
import plugin from '../src/plugin.js';

const row = (domain: string, c1: string, c2: string, t1: string, t2: string) =>
  JSON.stringify({ Domain: domain, ConceptA: 'heat up', ConceptB: 'cool down', ContextType: 'direct', ContextDiff: 'antonym', TargetDiff: 'concept swap', Context1: c1, Context2: c2, Target1: t1, Target2: t2 }) + '\n';
/** An item and its swapped copy, as dl_and_filter writes them. */
const pair = (domain: string, c1: string, c2: string, t1: string, t2: string) => row(domain, c1, c2, t1, t2) + row(domain, c2, c1, t2, t1);

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'ewok-'));
}

async function writeEncryptedZip(file: string, entries: Record<string, string>, password: string): Promise<void> {
  const writer = new ZipWriter(new BlobWriter('application/zip'), { password, encryptionStrength: 3 });
  await writer.add('ewok_fast/', undefined, { directory: true });
  for (const [name, text] of Object.entries(entries)) await writer.add(`ewok_fast/${name}`, new TextReader(text));
  const blob = await writer.close();
  await writeFile(file, new Uint8Array(await blob.arrayBuffer()));
}

describe('EWoK items', () => {
  it('scores " " + Target_i given Context1; every line (original and swapped) is its own item', async () => {
    const dir = await tempDir();
    const f = path.join(dir, 'physical-dynamics.jsonl');
    await writeFile(f, pair('physical-dynamics', 'The oven is getting warmer.', 'The oven is getting colder.', 'The oven is heating up.', 'The oven is cooling down.'));
    const items = await loadEwokFiles([f]);
    expect(items).toHaveLength(2);
    expect(items[0]).toEqual({
      uid: 'physical-dynamics',
      sentences: ['The oven is getting warmer. The oven is heating up.', 'The oven is getting warmer. The oven is cooling down.'],
      completions: [' The oven is heating up.', ' The oven is cooling down.'],
      metadata: [['UID', 'physical-dynamics'], ['context_type', 'direct'], ['context_contrast', 'antonym'], ['target_contrast', 'concept swap']],
    });
    expect(items[1]!.sentences[0]).toBe('The oven is getting colder. The oven is cooling down.');
  });

  it('names file, line and field of malformed rows', async () => {
    const dir = await tempDir();
    const f = path.join(dir, 'x.jsonl');
    await writeFile(f, row('d', 'a', 'b', 'c', 'e') + JSON.stringify({ Domain: 'd', Context1: 'a', Context2: 'b', Target1: 'c' }) + '\n');
    await expect(loadEwokFiles([f])).rejects.toThrow(`${f}:2, field 'Target2': missing field`);
  });

  it('is the ewok evaluator plugin', () => {
    expect(plugin.kind).toBe('evaluator');
    expect(new EwokEvaluator().tasks).toEqual(['ewok']);
  });
});

describe('EWoK evaluation', () => {
  it('reads the full layout (full_eval/ewok_filtered/*.jsonl) and macro-averages over domains', async () => {
    const root = await tempDir();
    const dir = path.join(root, 'full_eval', 'ewok_filtered');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'a-domain.jsonl'), pair('a-domain', 'Ann is tall.', 'Ann is short.', 'Ann hits her head.', 'Ann reaches nothing.'));
    await writeFile(path.join(dir, 'b-domain.jsonl'), pair('b-domain', 'Ice melts.', 'Ice stays.', 'It is warm.', 'It is cold.') + row('b-domain', 'x', 'y', 'same', 'same'));
    const model = new CharBigramModel({ seed: 5 });
    // Independent expectation: log P(" " + T | C1) under the double = Σ over the target's characters.
    const cond = (ctx: string, t: string) => {
      const s = `${ctx} ${t}`;
      let sum = 0;
      for (let j = ctx.length; j < s.length; j++) sum = Math.fround(sum + model.tokenLogprob(s.charCodeAt(j - 1), s.charCodeAt(j)));
      return sum;
    };
    const ok = (c1: string, t1: string, t2: string) => (cond(c1, t1) >= cond(c1, t2) ? 1 : 0);
    const accA = (100 * (ok('Ann is tall.', 'Ann hits her head.', 'Ann reaches nothing.') + ok('Ann is short.', 'Ann reaches nothing.', 'Ann hits her head.'))) / 2;
    const accB = (100 * (ok('Ice melts.', 'It is warm.', 'It is cold.') + ok('Ice stays.', 'It is cold.', 'It is warm.') + 1)) / 3;
    const outDir = path.join(root, 'out');
    const { result } = await new EwokEvaluator().evaluate(testContext({ task: 'ewok', model, dataDir: root, outDir, fast: false }));
    expect(result.groups).toEqual({ 'a-domain': accA, 'b-domain': accB });
    expect(result.score).toBeCloseTo((accA + accB) / 2, 12);
    const preds = JSON.parse(await readFile(path.join(outDir, 'predictions.json'), 'utf8'));
    expect(preds['b-domain'].predictions[2]).toEqual({ id: 'b-domain_2', pred: ' same' });
    const report = await readFile(path.join(outDir, 'best_temperature_report.txt'), 'utf8');
    expect(report).toContain('### UID ACCURACY\na-domain: ');
    expect(report).toContain('### CONTEXT_TYPE ACCURACY\ndirect: ');
    expect(report).toContain('### TARGET_CONTRAST ACCURACY\nconcept swap: ');
  });

  it('decrypts an encrypted fast zip in memory; wrong or missing passwords are clear config errors', async () => {
    const root = await tempDir();
    const zip = path.join(root, 'fast_eval', 'ewok_fast.zip');
    await mkdir(path.dirname(zip), { recursive: true });
    await writeEncryptedZip(zip, { 'z-dom.jsonl': pair('z-dom', 'A.', 'B.', 'C.', 'D.'), 'y-dom.jsonl': pair('y-dom', 'E.', 'F.', 'G.', 'H.') }, 'secret-pw');
    const data = await loadEwokZip(zip, 'secret-pw');
    expect(data.items.map((i) => i.uid)).toEqual(['y-dom', 'y-dom', 'z-dom', 'z-dom']);
    expect(data.identity.archive?.name).toBe('ewok_fast.zip');
    expect(data.identity.files.map((f) => f.name)).toEqual(['ewok_fast/y-dom.jsonl', 'ewok_fast/z-dom.jsonl']);
    await expect(loadEwokZip(zip, 'wrong')).rejects.toThrow(ConfigError);

    const outDir = path.join(root, 'out');
    const ev = new EwokEvaluator();
    const saved = process.env[EWOK_PASSWORD_ENV];
    delete process.env[EWOK_PASSWORD_ENV];
    try {
      await expect(ev.evaluate(testContext({ task: 'ewok', model: new CharBigramModel(), dataDir: root, outDir }))).rejects.toThrow(EWOK_PASSWORD_ENV);
      const { result } = await ev.evaluate(testContext({ task: 'ewok', model: new CharBigramModel(), dataDir: root, outDir, settings: { password: 'secret-pw' } }));
      expect(Object.keys(result.groups)).toEqual(['y-dom', 'z-dom']);
      process.env[EWOK_PASSWORD_ENV] = 'secret-pw';
      const { result: viaEnv } = await ev.evaluate(testContext({ task: 'ewok', model: new CharBigramModel(), dataDir: root, outDir }));
      expect(viaEnv.score).toBe(result.score);
    } finally {
      if (saved === undefined) delete process.env[EWOK_PASSWORD_ENV];
      else process.env[EWOK_PASSWORD_ENV] = saved;
    }
  });
});

describe('EWoK full or fast', () => {
  /** A small full set in the reference's layout (dl_and_filter: `<Domain>.jsonl`, each kept item then its swapped
   *  copy) in `full`, and an encrypted fast zip with other domains at `zip`. */
  async function layout(full: string, zip: string): Promise<void> {
    await mkdir(full, { recursive: true });
    await writeFile(path.join(full, 'agent-properties.jsonl'), pair('agent-properties', 'Ann is tall.', 'Ann is short.', 'Ann reaches the shelf.', 'Ann needs a ladder.'));
    await writeFile(path.join(full, 'physical-dynamics.jsonl'),
      pair('physical-dynamics', 'The oven is getting warmer.', 'The oven is getting colder.', 'The oven is heating up.', 'The oven is cooling down.') +
      pair('physical-dynamics', 'Ice melts.', 'Ice stays.', 'It is warm.', 'It is cold.'));
    await mkdir(path.dirname(zip), { recursive: true });
    await writeEncryptedZip(zip, { 'z-dom.jsonl': pair('z-dom', 'A.', 'B.', 'C.', 'D.') }, 'pw');
  }

  it.each([
    ['BabyLM (full_eval/, fast_eval/)', 'full_eval/ewok_filtered', 'fast_eval/ewok_fast.zip'],
    ['shared eval-data (ewok/)', 'ewok_filtered', 'ewok_fast.zip'],
  ])('%s: fast: false reads ewok_filtered/ when present, else the fast zip (logged, recorded as fast); fast: true the zip', async (_name, fullRel, zipRel) => {
    const root = await tempDir();
    await layout(path.join(root, fullRel), path.join(root, zipRel));
    const ev = new EwokEvaluator();
    const run = async (fast: boolean) => {
      const logs: string[] = [];
      const out = await ev.evaluate(testContext({ task: 'ewok', model: new CharBigramModel(), dataDir: root, outDir: path.join(root, `out-${fast}`), fast, settings: { password: 'pw' }, log: (l) => logs.push(l) }));
      return { ...out, logs: logs.join('\n') };
    };
    const full = await run(false);
    expect(Object.keys(full.result.groups)).toEqual(['agent-properties', 'physical-dynamics']);
    expect(full.result.itemCount).toBe(6);
    expect(full.details.fast).toBe(false);
    expect((full.details.data as DataIdentity).files.map((f) => f.name)).toEqual(['agent-properties.jsonl', 'physical-dynamics.jsonl']);
    expect(full.logs).not.toMatch(/FAST set/);

    const fast = await run(true);
    expect(Object.keys(fast.result.groups)).toEqual(['z-dom']);
    expect(fast.details.fast).toBe(true);

    await rm(path.join(root, fullRel), { recursive: true });
    const fallback = await run(false);
    expect(Object.keys(fallback.result.groups)).toEqual(['z-dom']);
    expect(fallback.details.fast).toBe(true);
    expect((fallback.details.data as DataIdentity).archive?.name).toBe('ewok_fast.zip');
    expect(fallback.logs).toMatch(/no EWoK full data.*the FAST set is evaluated/);
    expect(fallback.result.score).toBe(fast.result.score);
  });

  it('fast: false with neither set names both', async () => {
    const root = await tempDir();
    await expect(new EwokEvaluator().evaluate(testContext({ task: 'ewok', model: new CharBigramModel(), dataDir: root, outDir: path.join(root, 'out'), fast: false })))
      .rejects.toThrow(/no EWoK full data.*; nor the fast set to fall back on: .*no EWoK fast data/);
  });
});

const ewokData = evalDataDir('ewok/ewok_fast.zip', 'EWoK fast zip');
const password = process.env[EWOK_PASSWORD_ENV];
if (ewokData && !password) console.warn(`SKIPPED: real EWoK fast zip test — set ${EWOK_PASSWORD_ENV} (the password is in the babylm/evaluation-pipeline-2025 README)`);

describe('EWoK fast on the real encrypted zip', () => {
  it.skipIf(!ewokData || !password)('reads 11 domains × 100 rows and writes the reference files', async () => {
    const outDir = await tempDir();
    const { result, details } = await new EwokEvaluator().evaluate(testContext({ task: 'ewok', model: new CharBigramModel(), dataDir: path.dirname(ewokData!), outDir }));
    expect(result.itemCount).toBe(1100);
    expect(Object.keys(result.groups)).toHaveLength(11);
    expect(Object.values(details.counts as Record<string, number>)).toEqual(Array(11).fill(100));
    expect((details.data as DataIdentity).archive!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it.skipIf(!ewokData || !password)('fast: false on the shared folder (no ewok_filtered/) evaluates the fast zip, recorded as fast', async () => {
    const outDir = await tempDir();
    const { result, details } = await new EwokEvaluator().evaluate(testContext({ task: 'ewok', model: new CharBigramModel(), dataDir: path.dirname(ewokData!), outDir, fast: false }));
    expect(result.itemCount).toBe(1100);
    expect(details.fast).toBe(true);
  });
});
