/**
 * Integration parity with the Python reference (shared/test/py/babylm_reference.py) on a tiny random GPT-2
 * loaded through @class-it/model-gpt: WUG-adj candidate log-probs (1e-4), P(first), Spearman ρ and the
 * chosen sentences of predictions.json.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GptArchitecture } from '@class-it/model-gpt';
import { evalDataDir, referencePython, runReference, testContext } from '@class-it/eval-zeroshot-shared/testing';
import { WugEvaluator } from '@class-it/eval-wugs';

const wugDir = evalDataDir('wug_adj', 'WUG GPT-2 parity');
const python = wugDir ? referencePython('WUG GPT-2 parity with the Python reference') : undefined;

interface Ref { wug: { scores: number[][]; rho: number; predictions: { wug_adj: { predictions: Array<{ id: string; pred: string; prob: number }> } } } }

describe.skipIf(!python)('WUG-adj parity with the reference on a tiny GPT-2', () => {
  it('matches P(first), rho and the predictions', async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'wug-parity-'));
    const file = path.join(wugDir!, 'wug_adj_nominalization.jsonl');
    const modelDir = path.join(work, 'model');
    const ref = runReference<Ref>(python!, modelDir, path.join(work, 'ref.json'), ['--wug', file, '--wug-uid', 'wug_adj']);
    const model = await new GptArchitecture().load(modelDir);
    const outDir = path.join(work, 'out');
    const { result } = await new WugEvaluator().evaluate(testContext({ task: 'wug_adj', model, dataDir: wugDir!, outDir }));
    const ours = JSON.parse(await readFile(path.join(outDir, 'predictions.json'), 'utf8')).wug_adj.predictions as Array<{ id: string; pred: string; prob: number }>;
    const theirs = ref.wug.predictions.wug_adj.predictions;
    expect(ours.map((p) => [p.id, p.pred])).toEqual(theirs.map((p) => [p.id, p.pred]));
    ours.forEach((p, i) => expect(Math.abs(p.prob - theirs[i]!.prob)).toBeLessThan(1e-4));
    expect(result.score).toBeCloseTo(ref.wug.rho, 3);
    model.dispose();
  });
});
