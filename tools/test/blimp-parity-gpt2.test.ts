/**
 * Integration parity with the Python reference (shared/test/py/babylm_reference.py) on a tiny random GPT-2
 * loaded through @class-it/model-gpt: same per-pair log-probs (1e-4), same per-UID accuracies, average and
 * predictions.json on three BLiMP-fast paradigms (one with identical, tied pairs), with two batch sizes.
 */
import { mkdir, mkdtemp, readFile, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GptArchitecture } from '@class-it/model-gpt';
import { scoreRankingItems } from '@class-it/eval-zeroshot-shared';
import { evalDataDir, referencePython, runReference, testContext } from '@class-it/eval-zeroshot-shared/testing';
import { BlimpEvaluator, loadBlimpItems } from '@class-it/eval-blimp';

const blimpFast = evalDataDir('blimp/blimp_fast', 'BLiMP GPT-2 parity');
const python = blimpFast ? referencePython('BLiMP GPT-2 parity with the Python reference') : undefined;
const PARADIGMS = ['adjunct_island', 'passive_1', 'principle_A_case_2'];

interface Ref { blimp: { scores: number[][]; uid_acc: Record<string, number>; average: number; predictions: unknown } }

describe.skipIf(!python)('BLiMP parity with the reference on a tiny GPT-2', () => {
  it('matches log-probs, accuracies, the average and predictions.json; scores ignore batchSize', async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'blimp-parity-'));
    const dataDir = path.join(work, 'blimp_fast');
    await mkdir(dataDir);
    const files = PARADIGMS.map((p) => path.join(blimpFast!, `${p}.jsonl`));
    for (const f of files) await symlink(f, path.join(dataDir, path.basename(f)));
    const modelDir = path.join(work, 'model');
    const ref = runReference<Ref>(python!, modelDir, path.join(work, 'ref.json'), ['--blimp', ...files]);

    const model = await new GptArchitecture().load(modelDir);
    const items = await loadBlimpItems(files);
    const scores = await scoreRankingItems(model, items, { batchSize: 64 });
    let worst = 0;
    scores.forEach((pair, i) => pair.forEach((s, j) => (worst = Math.max(worst, Math.abs(s - ref.blimp.scores[i]![j]!)))));
    expect(worst).toBeLessThan(1e-4);
    // Batches are bucketed by length inside the runtime: another batch size may change float32 rounding (the
    // per-sequence sums stay within the parity tolerance) but never a prediction or an accuracy.
    const rebatched = await scoreRankingItems(model, items, { batchSize: 5 });
    rebatched.forEach((pair, i) => pair.forEach((s, j) => expect(Math.abs(s - scores[i]![j]!)).toBeLessThan(1e-4)));

    const runs = [];
    for (const batchSize of [16, 5]) {
      const outDir = path.join(work, `out-${batchSize}`);
      const { result } = await new BlimpEvaluator().evaluate(testContext({ task: 'blimp', model, dataDir, outDir, settings: { batchSize } }));
      expect(result.groups).toEqual(ref.blimp.uid_acc);
      expect(result.score).toBeCloseTo(ref.blimp.average, 10);
      const predictions = JSON.parse(await readFile(path.join(outDir, 'predictions.json'), 'utf8'));
      expect(predictions).toEqual(ref.blimp.predictions);
      runs.push({ groups: result.groups, predictions });
    }
    expect(runs[1]).toEqual(runs[0]);
    model.dispose();
  });
});
