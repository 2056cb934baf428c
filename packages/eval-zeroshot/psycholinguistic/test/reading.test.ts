import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CharBigramModel, evalDataDir, testContext } from '@class-it/eval-zeroshot-shared/testing';
import { chainRequests, ReadingEvaluator, surprisalFromLogprobs, wordSurprisals } from '../src/index.js';
import plugin from '../src/plugin.js';
import { pythonWith, runPython } from './python.js';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'reading-'));
}

describe('surprisal string handling (spec §8.2)', () => {
  it('scores the word without a leading space, chaining re-tokenised pieces onto the context', async () => {
    const model = new CharBigramModel({ seed: 4 });
    const code = (c: string) => c.charCodeAt(0);
    expect(chainRequests(model, { context: 'Arthur placed', word: 'the' })).toEqual([
      { context: 'Arthur placed', tokenId: code('t') },
      { context: 'Arthur placedt', tokenId: code('h') },
      { context: 'Arthur placedth', tokenId: code('e') },
    ]);
    const lps = [model.tokenLogprob(code('d'), code('t')), model.tokenLogprob(code('t'), code('h')), model.tokenLogprob(code('h'), code('e'))];
    const p = lps.reduce((acc, lp) => Math.fround(acc * Math.fround(Math.exp(lp))), 1);
    const [s] = await wordSurprisals(model, [{ context: 'Arthur placed', word: 'the' }]);
    expect(s).toBe(-Math.log(p));
    expect(s).toBeCloseTo(-lps.reduce((a, b) => a + b, 0), 5);
  });

  it('falls back to the log-sum when the float32 product underflows', () => {
    expect(surprisalFromLogprobs([-60, -60])).toBe(120);
  });

  it('asks the model once per distinct (context, word)', async () => {
    const model = new CharBigramModel();
    await wordSurprisals(model, [{ context: 'a b', word: 'cd' }, { context: 'a b', word: 'cd' }, { context: 'x', word: 'y' }]);
    expect(model.requestCount).toBe(3);
  });
});

const readingDir = evalDataDir('reading', 'reading evaluation');

describe('reading evaluation on the real CSV (char-bigram test double)', () => {
  it.skipIf(!readingDir)('writes the reference files and its regressions agree with statsmodels on our predictions', async () => {
    const outDir = await tempDir();
    const model = new CharBigramModel({ seed: 9 });
    const { result } = await new ReadingEvaluator().evaluate(testContext({ task: 'reading', model, dataDir: path.dirname(readingDir!), outDir }));
    expect(plugin.name).toBe('psycholinguistic');
    expect(result.itemCount).toBe(1726);
    expect(Object.keys(result.groups)).toEqual(['RTfirstfix', 'RTfirstpass', 'RTgopast', 'RTrightbound']);

    const predsText = await readFile(path.join(outDir, 'predictions.json'), 'utf8');
    expect(predsText.startsWith('{"reading": {"predictions": [{"id": 0, "pred": ')).toBe(true);
    expect(predsText.match(/"prev_pred": NaN/g)).toHaveLength(206); // 205 empty + 1 literal "None" prev_item
    const jsonl = (await readFile(path.join(outDir, 'prediction.jsonl'), 'utf8')).trim().split('\n');
    expect(jsonl).toHaveLength(1726);
    expect(jsonl[320]).toMatch(/^\{"Index": 320, "Sentence": "None", "Word": "of", "Logprob": [\d.]+, "Prev_Logprob": NaN\}$/);
    const report = await readFile(path.join(outDir, 'report.txt'), 'utf8');
    expect(report).toMatch(/^EYE TRACKING SCORE: -?\d+\.\d\d\nSELF-PACED READING SCORE: -?\d+\.\d\d\n$/);
    const power = (await readFile(path.join(outDir, 'predictive_power.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(power.map((p) => p['Predicted variable'])).toHaveLength(11);
    // R2 − change = the model-free baseline (spec §8.4).
    expect(power[0].R2 - power[0]['Change in R2 from baseline']).toBeCloseTo(0.64408, 6);
    expect(power[3].R2 - power[3]['Change in R2 from baseline']).toBeCloseTo(0.61867, 6);
    const corr = await readFile(path.join(outDir, 'correlations.txt'), 'utf8');
    expect(corr.split('\n')[0]).toMatch(/^RTfirstfix\t-?\d\.\d{4}$/);

    const python = pythonWith(['pandas', 'statsmodels'], 'reading regressions vs statsmodels');
    if (!python) return;
    const ref = runPython(python, path.join(__dirname, 'py', 'reading_scores.py'), [path.join(readingDir!, 'reading_data.csv'), path.join(outDir, 'predictions.json')]) as {
      et: number; spr: number; et_measures: number[]; power: Array<{ R2: number; t: number; p: number; coef: number; aic: number }>; correlations: Record<string, number>;
    };
    expect(result.score).toBeCloseTo(ref.et, 9);
    expect(result.extra.self_paced_reading).toBeCloseTo(ref.spr, 9);
    Object.values(result.groups).forEach((v, i) => expect(v).toBeCloseTo(ref.et_measures[i]!, 9));
    power.forEach((p, i) => {
      expect(p.R2).toBeCloseTo(ref.power[i]!.R2, 10);
      expect(p['Number of standard deviations']).toBeCloseTo(ref.power[i]!.t, 7);
      expect(p.AIC).toBeCloseTo(ref.power[i]!.aic, 6);
    });
    for (const [m, r] of Object.entries(ref.correlations)) expect(result.extra[`correlation/${m}`]).toBeCloseTo(r, 10);
  });

  it('finds the CSV in BabyLM layouts and names a missing one', async () => {
    const dir = await tempDir();
    await expect(new ReadingEvaluator().evaluate(testContext({ task: 'reading', model: new CharBigramModel(), dataDir: dir, outDir: dir }))).rejects.toThrow(/no reading data/);
    await writeFile(path.join(dir, 'reading_data.csv'), 'item,word\n');
    await expect(new ReadingEvaluator().evaluate(testContext({ task: 'reading', model: new CharBigramModel(), dataDir: dir, outDir: dir }))).rejects.toThrow(/missing column 'prev_item'/);
  });
});
