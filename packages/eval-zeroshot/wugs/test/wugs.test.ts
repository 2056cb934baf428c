import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CharBigramModel, evalDataDir, testContext } from '@class-it/eval-zeroshot-shared/testing';
import { averageRanks, loadWugItems, spearman, WugEvaluator } from '../src/index.js';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'wugs-'));
}

describe('Spearman with average ranks (scipy.stats.spearmanr)', () => {
  it('gives tied values the mean of their positions', () => {
    expect(averageRanks([10, 20, 10, 30, 20, 20])).toEqual([1.5, 4, 1.5, 6, 4, 4]);
  });
  it('matches values computed with scipy 1.15', () => {
    // scipy.stats.spearmanr([0.1, 0.4, 0.4, 0.9, 0.2], [1, 3, 2, 5, 2]).statistic = 0.9210526315789475
    expect(spearman([0.1, 0.4, 0.4, 0.9, 0.2], [1, 3, 2, 5, 2])).toBeCloseTo(0.9210526315789475, 14);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBe(-1);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});

describe('WUG items', () => {
  it('splits candidates on TAB and reads ratio like float()', async () => {
    const dir = await tempDir();
    const f = path.join(dir, 'wug_past_tense.jsonl');
    await writeFile(f, JSON.stringify({ sentences: 'I glorp. Yesterday I glorped.\tI glorp. Yesterday I glorp.\tI glorp. Yesterday I glarp.', ratio: '0.25' }) + '\n');
    const [item] = await loadWugItems([f]);
    expect(item).toEqual({ candidates: ['I glorp. Yesterday I glorped.', 'I glorp. Yesterday I glorp.', 'I glorp. Yesterday I glarp.'], ratio: 0.25 });
  });
  it('names file, line and field of malformed rows', async () => {
    const dir = await tempDir();
    const f = path.join(dir, 'w.jsonl');
    await writeFile(f, JSON.stringify({ sentences: 'a\tb', ratio: 0.5 }) + '\n' + JSON.stringify({ sentences: 'a\tb', ratio: 'lots' }) + '\n');
    await expect(loadWugItems([f])).rejects.toThrow(`${f}:2, field 'ratio': expected a number, got string "lots"`);
    await writeFile(f, JSON.stringify({ sentences: 'only one', ratio: 0.5 }) + '\n');
    await expect(loadWugItems([f])).rejects.toThrow(`${f}:1, field 'sentences': expected at least 2`);
  });
});

describe('WUG evaluation', () => {
  it('correlates softmax P(first) with the ratios and writes the reference files (wug_past, small file)', async () => {
    const root = await tempDir();
    const dir = path.join(root, 'fast_eval', 'wug_past_tense');
    await mkdir(dir, { recursive: true });
    const verbs = ['glorp', 'spling', 'blick', 'trab', 'nold', 'crint'];
    await writeFile(path.join(dir, 'wug_past_tense.jsonl'), verbs.map((v, i) => JSON.stringify({ sentences: `I ${v}. I ${v}ed.\tI ${v}. I ${v}.`, ratio: i / 10 }) + '\n').join(''));
    const model = new CharBigramModel({ seed: 2 });
    const full = (s: string) => [...s].slice(1).reduce((acc, ch, j) => Math.fround(acc + model.tokenLogprob(s.charCodeAt(j), ch.charCodeAt(0))), 0);
    const pFirst = verbs.map((v) => 1 / (1 + Math.exp(full(`I ${v}. I ${v}.`) - full(`I ${v}. I ${v}ed.`))));
    const expected = spearman(pFirst, verbs.map((_, i) => i / 10));
    const outDir = path.join(root, 'out');
    const { result } = await new WugEvaluator().evaluate(testContext({ task: 'wug_past', model, dataDir: root, outDir }));
    expect(result.score).toBeCloseTo(expected, 12);
    expect(result.metric).toBe('spearman');
    const report = await readFile(path.join(outDir, 'best_temperature_report.txt'), 'utf8');
    expect(report).toMatch(/^TEMPERATURE: 1\.00\n\n### UID SPEARMAN'S RHO\navg: -?\d\.\d\d\n\n### AVERAGE SPEARMAN'S RHO\n-?\d\.\d\d\n\n$/);
    const text = await readFile(path.join(outDir, 'predictions.json'), 'utf8');
    const preds = JSON.parse(text);
    expect(preds.wug_past.predictions).toHaveLength(6);
    expect(preds.wug_past.predictions[0].id).toBe('wug_past_0');
    preds.wug_past.predictions.forEach((p: { prob: number }, i: number) => expect(p.prob).toBeCloseTo(pFirst[i]!, 6));
  });

  const wugData = evalDataDir('wug_adj', 'WUG adj');
  it.skipIf(!wugData)('runs wug_adj on the real 200 items', async () => {
    const outDir = await tempDir();
    const { result } = await new WugEvaluator().evaluate(testContext({ task: 'wug_adj', model: new CharBigramModel(), dataDir: path.dirname(wugData!), outDir }));
    expect(result.itemCount).toBe(200);
    expect(result.score).toBeGreaterThanOrEqual(-1);
    expect(result.score).toBeLessThanOrEqual(1);
  });
});
