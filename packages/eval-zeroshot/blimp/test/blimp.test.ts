import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '@class-it/core';
import type { DataIdentity } from '@class-it/eval-zeroshot-shared';
import { CharBigramModel, evalDataDir, testContext } from '@class-it/eval-zeroshot-shared/testing';
import { BlimpEvaluator, loadBlimpItems } from '../src/index.js';
import plugin from '../src/plugin.js';

async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

const line = (o: Record<string, unknown>) => JSON.stringify(o) + '\n';
const blimpLine = (good: string, bad: string, uid: string, field = 'syntax') =>
  line({ sentence_good: good, sentence_bad: bad, field, linguistics_term: 'island_effects', UID: uid, simple_LM_method: true, pair_id: 0 });

describe('BLiMP items', () => {
  it('reads BLiMP lines (syntax_semantics renamed) and supplement lines (UID = file stem)', async () => {
    const dir = await tempDir('blimp-items-');
    await writeFile(path.join(dir, 'adjunct_island.jsonl'), blimpLine('Who ran?', 'Who ran it?', 'adjunct_island', 'syntax_semantics'));
    await writeFile(path.join(dir, 'turn_taking.jsonl'), line({ quad: 'q', sentence_good: 'A: hi?\nB: yes.', sentence_bad: 'A: hi?\nB: no.' }));
    const items = await loadBlimpItems([path.join(dir, 'adjunct_island.jsonl'), path.join(dir, 'turn_taking.jsonl')]);
    expect(items[0]).toEqual({
      uid: 'adjunct_island',
      sentences: ['Who ran?', 'Who ran it?'],
      completions: ['Who ran?', 'Who ran it?'],
      metadata: [['field', 'syntax/semantics'], ['UID', 'adjunct_island'], ['linguistics_term', 'island_effects']],
    });
    expect(items[1]!.metadata).toEqual([['field', 'supplement'], ['UID', 'turn_taking'], ['linguistics_term', 'supplement']]);
    expect(items[1]!.sentences[0]).toBe('A: hi?\nB: yes.');
  });

  it('names file, line and field of malformed data', async () => {
    const dir = await tempDir('blimp-bad-');
    const f = path.join(dir, 'x.jsonl');
    await writeFile(f, blimpLine('a', 'b', 'x') + line({ sentence_good: 'a', field: 'syntax', UID: 'x', linguistics_term: 't' }));
    await expect(loadBlimpItems([f])).rejects.toThrow(`${f}:2, field 'sentence_bad': missing field`);
    await writeFile(f, line({ sentence_good: 'a', sentence_bad: 7 }));
    await expect(loadBlimpItems([f])).rejects.toThrow(`${f}:1, field 'sentence_bad': expected a string, got number`);
    await writeFile(f, blimpLine('a', 'b', 'x') + '{"sentence_good": "a",\n');
    await expect(loadBlimpItems([f])).rejects.toThrow(DataError);
    await expect(loadBlimpItems([f])).rejects.toThrow(new RegExp(`^${f}:2: invalid JSON`));
  });

  it('rejects a data directory without BLiMP files', async () => {
    const dir = await tempDir('blimp-empty-');
    await mkdir(path.join(dir, 'fast_eval', 'something_else'), { recursive: true });
    const ev = new BlimpEvaluator();
    const ctx = testContext({ task: 'blimp', model: new CharBigramModel(), dataDir: dir, outDir: path.join(dir, 'out') });
    await expect(ev.evaluate(ctx)).rejects.toThrow(/no BLiMP fast data/);
  });

  it('is a zero-shot evaluator plugin for blimp and blimp_supplement', () => {
    expect(plugin.kind).toBe('evaluator');
    expect(plugin.name).toBe('blimp');
    expect(new BlimpEvaluator().tasks).toEqual(['blimp', 'blimp_supplement']);
  });
});

describe('BLiMP evaluation on small files', () => {
  it('counts ties as correct, macro-averages over UIDs and writes the reference files', async () => {
    const dir = await tempDir('blimp-small-');
    await writeFile(path.join(dir, 'a.jsonl'), blimpLine('same', 'same', 'a') + blimpLine('xy', 'xz', 'a') + blimpLine('ab', 'ac', 'a'));
    await writeFile(path.join(dir, 'b.jsonl'), blimpLine('qq', 'qr', 'b', 'morphology'));
    const model = new CharBigramModel({ seed: 3 });
    // Expected by hand from the double's table: score(s) = Σ_{j≥1} log P(s_j | s_{j-1}) (first token unscored).
    const score = (s: string) => [...s].slice(1).reduce((acc, ch, j) => Math.fround(acc + model.tokenLogprob(s.charCodeAt(j), ch.charCodeAt(0))), 0);
    const correct = (g: string, b: string) => (score(g) >= score(b) ? 1 : 0);
    const accA = (100 * (1 + correct('xy', 'xz') + correct('ab', 'ac'))) / 3;
    const accB = 100 * correct('qq', 'qr');
    const outDir = path.join(dir, 'out');
    const { result, details } = await new BlimpEvaluator().evaluate(testContext({ task: 'blimp', model, dataDir: dir, outDir, settings: { batchSize: 7 } }));
    expect(model.batchSizesSeen).toEqual([7]);
    expect(result.groups).toEqual({ a: accA, b: accB });
    expect(result.score).toBeCloseTo((accA + accB) / 2, 12);
    expect(result.itemCount).toBe(4);
    const preds = JSON.parse(await readFile(path.join(outDir, 'predictions.json'), 'utf8'));
    expect(preds.a.predictions[0]).toEqual({ id: 'a_0', pred: 'same' });
    expect(preds.a.predictions.map((p: { id: string }) => p.id)).toEqual(['a_0', 'a_1', 'a_2']);
    const report = await readFile(path.join(outDir, 'best_temperature_report.txt'), 'utf8');
    expect(report).toMatch(/^TEMPERATURE: 1\.00\n\n### FIELD ACCURACY\nsyntax: [\d.]+\nmorphology: [\d.]+\n\n### UID ACCURACY\na: [\d.]+\nb: [\d.]+\n\n### LINGUISTICS_TERM ACCURACY\n/);
    expect(result.files).toEqual(['best_temperature_report.txt', 'predictions.json']);
    // The details the runner records in results.json; the evaluator itself never writes that file.
    expect(details).toMatchObject({ counts: { a: 3, b: 1 }, fast: true, settings: { batchSize: 7, temperature: 1 }, evaluatorVersion: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const data = details.data as DataIdentity;
    expect(data.files.map((f) => f.name)).toEqual(['a.jsonl', 'b.jsonl']);
    expect(data.files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await readdir(outDir)).sort()).toEqual(['best_temperature_report.txt', 'predictions.json']);
  });
});

describe('BLiMP with a limit (eval --limit)', () => {
  it('scores only the first items of each file, the same ones every time', async () => {
    const dir = await tempDir('blimp-limit-');
    await writeFile(path.join(dir, 'a.jsonl'), blimpLine('xy', 'xz', 'a') + blimpLine('ab', 'ac', 'a') + blimpLine('qq', 'qr', 'a'));
    await writeFile(path.join(dir, 'b.jsonl'), blimpLine('mn', 'mo', 'b') + blimpLine('st', 'su', 'b'));
    const context = { ...testContext({ task: 'blimp', model: new CharBigramModel({ seed: 3 }), dataDir: dir, outDir: path.join(dir, 'out') }), limit: 2 };
    const { result, details } = await new BlimpEvaluator().evaluate(context);
    expect(result.itemCount).toBe(4);
    expect(details.counts).toEqual({ a: 2, b: 2 });
    const preds = JSON.parse(await readFile(path.join(dir, 'out', 'predictions.json'), 'utf8'));
    expect(preds.a.predictions.map((p: { id: string }) => p.id)).toEqual(['a_0', 'a_1']);
  });
});

const blimpData = evalDataDir('blimp/blimp_fast', 'BLiMP fast');
const supplementData = evalDataDir('blimp_supplement/supplement_fast', 'BLiMP supplement fast');

describe('BLiMP fast on the real data (char-bigram test double)', () => {
  it.skipIf(!blimpData)('scores 67 × 200 pairs and the collation recomputation of predictions.json agrees', async () => {
    const root = path.resolve(blimpData!, '../..');
    const outDir = await tempDir('blimp-fast-');
    const model = new CharBigramModel({ seed: 1 });
    const { result } = await new BlimpEvaluator().evaluate(testContext({ task: 'blimp', model, dataDir: root, outDir, fast: true }));
    expect(result.itemCount).toBe(13_400);
    expect(Object.keys(result.groups)).toHaveLength(67);
    // collate_preds recomputes fast scores from predictions by string match against the data, per UID in file order.
    const preds = JSON.parse(await readFile(path.join(outDir, 'predictions.json'), 'utf8'));
    const items = await loadBlimpItems((await readdir(blimpData!)).sort().map((n) => path.join(blimpData!, n)));
    const byUid = new Map<string, string[]>();
    for (const it of items) byUid.set(it.uid, [...(byUid.get(it.uid) ?? []), it.sentences[0]!]);
    let macro = 0;
    for (const [uid, goods] of byUid) {
      const p = preds[uid].predictions as Array<{ pred: string }>;
      expect(p).toHaveLength(200);
      const acc = p.filter((x, i) => x.pred.trim() === goods[i]!.trim()).length / p.length;
      expect(acc * 100).toBeCloseTo(result.groups[uid]!, 10);
      macro += acc * 100;
    }
    expect(macro / byUid.size).toBeCloseTo(result.score, 10);
    // The 2 identical fast pairs of principle_A_case_2 (and 1 of passive_1) are ties and count as correct.
    const ties = items.filter((it) => it.sentences[0] === it.sentences[1]);
    expect(ties.length).toBe(3);
  });

  it.skipIf(!supplementData)('scores the 5 supplement files (newlines inside sentences) under blimp_supplement', async () => {
    const root = path.resolve(supplementData!, '../..');
    const outDir = await tempDir('supp-fast-');
    const { result } = await new BlimpEvaluator().evaluate(testContext({ task: 'blimp_supplement', model: new CharBigramModel(), dataDir: root, outDir }));
    expect(Object.keys(result.groups).sort()).toEqual(['hypernym', 'qa_congruence_easy', 'qa_congruence_tricky', 'subject_aux_inversion', 'turn_taking']);
    expect(result.itemCount).toBe(250);
  });
});
