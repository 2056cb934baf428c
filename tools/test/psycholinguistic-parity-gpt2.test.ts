/**
 * Integration parity with the Python reference (shared/test/py/babylm_reference.py: get_p2 + the statsmodels
 * regressions of reading/run.py) on a tiny random GPT-2 loaded through @class-it/model-gpt. To keep the test
 * short it runs on the first 400 rows of reading_data.csv (written to a temp dir): per-word surprisal (1e-4),
 * the eye-tracking and self-paced-reading scores.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GptArchitecture } from '@class-it/model-gpt';
import { evalDataDir, referencePython, runReference, testContext } from '@class-it/eval-zeroshot-shared/testing';
import { ReadingEvaluator } from '@class-it/eval-psycholinguistic';

const readingDir = evalDataDir('reading', 'reading GPT-2 parity');
const python = readingDir ? referencePython('reading GPT-2 parity with the Python reference') : undefined;
const ROWS = 400;

interface Ref { reading: { pred: number[]; prev_pred: Array<number | null>; et: number; et_measures: number[]; spr: number } }

describe.skipIf(!python)('reading parity with the reference on a tiny GPT-2', () => {
  it('matches surprisals and the ET / SPR scores', async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'reading-parity-'));
    const lines = (await readFile(path.join(readingDir!, 'reading_data.csv'), 'utf8')).split('\n');
    const csv = path.join(work, 'reading_data.csv');
    await writeFile(csv, lines.slice(0, ROWS + 1).join('\n') + '\n');
    const modelDir = path.join(work, 'model');
    const ref = runReference<Ref>(python!, modelDir, path.join(work, 'ref.json'), ['--reading', csv]);
    const model = await new GptArchitecture().load(modelDir);
    const outDir = path.join(work, 'out');
    const { result } = await new ReadingEvaluator().evaluate(testContext({ task: 'reading', model, dataDir: work, outDir }));
    const ours = (await readFile(path.join(outDir, 'prediction.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l.replace(/NaN/g, 'null')));
    expect(ours).toHaveLength(ROWS);
    ours.forEach((row, i) => {
      expect(Math.abs(row.Logprob - ref.reading.pred[i]!)).toBeLessThan(1e-4);
      if (ref.reading.prev_pred[i] === null) expect(row.Prev_Logprob).toBeNull();
      else expect(Math.abs(row.Prev_Logprob - ref.reading.prev_pred[i]!)).toBeLessThan(1e-4);
    });
    expect(result.score).toBeCloseTo(ref.reading.et, 3);
    Object.values(result.groups).forEach((v, i) => expect(v).toBeCloseTo(ref.reading.et_measures[i]!, 3));
    expect(result.extra.self_paced_reading).toBeCloseTo(ref.reading.spr, 3);
    model.dispose();
  });
});
