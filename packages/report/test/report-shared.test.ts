/**
 * Cells that evaluated one and the same model (baseline cells of a base model shared by the seeds): what the run dir
 * records (cell.json `modelDir`, results.json `seed`) makes their zero-shot results one result, counted once in the
 * means, the seed spread and the z-scores, and the report says so; a fine-tuning result given another seed per cell,
 * and cells without a recorded model directory, count per seed.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resultsRecord, type ModelInfo } from '@class-it/core';
import { analyzeRun, loadRunResults, renderHtml, renderMarkdown } from '../src/index.js';

const INFO: ModelInfo = { architecture: 'gpt', source: 'x', parameterCount: 1, backend: 'cpu', contextLength: 8 };
const SEEDS = [1, 2, 3];
const MERGED_BLIMP = [61, 64, 67];

async function writeJson(file: string, value: unknown): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(value));
}

function record(task: string, evaluator: string, metric: string, score: number, seed?: number) {
  return resultsRecord({ result: { task, evaluator, metric, score, groups: {}, extra: {}, itemCount: 10, files: [] }, details: {} },
    INFO, { at: '2025-01-01T00:00:00Z', seconds: 1 }, seed);
}

/** baseline: 3 seeds, one shared base model (unless `recordModelDir` is false); merged: 3 seeds, each its own model. */
async function writeRun(recordModelDir: boolean): Promise<string> {
  const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-shared-'));
  for (const [i, seed] of SEEDS.entries()) {
    for (const condition of ['baseline', 'merged']) {
      const cellDir = path.join(runDir, 'cells', `m__${condition}__seed${seed}`);
      const modelDir = condition === 'baseline' ? '/runs/x/models/m/pretrain/final' : `${cellDir}/train/final`;
      await writeJson(path.join(cellDir, 'cell.json'), {
        model: 'm', condition, seed, status: 'done', startedAt: 'a', ...(recordModelDir ? { modelDir } : {}),
      });
      const blimp = condition === 'baseline' ? 60 : MERGED_BLIMP[i]!;
      await writeJson(path.join(cellDir, 'eval', 'blimp', 'results.json'), record('blimp', 'blimp', 'accuracy', blimp));
      // A fine-tuning task is given a seed derived from the cell's: another result per seed, even on one model.
      await writeJson(path.join(cellDir, 'eval', 'rte', 'results.json'), record('rte', 'superglue', 'accuracy', 50 + i, 1000 + seed));
    }
  }
  return runDir;
}

describe('report: one model evaluated by several cells counts once', () => {
  it('counts the shared baseline once in means, seed spread and z-scores, and says so in markdown and HTML', async () => {
    const data = analyzeRun(await loadRunResults(await writeRun(true)));
    const m = data.models[0]!;
    const blimp = m.rows.find((r) => r.key === 'blimp')!;
    expect(blimp.byCondition['baseline']).toMatchObject({ n: 1, mean: 60 });
    expect(Number.isNaN(blimp.byCondition['baseline']!.sd)).toBe(true);
    // every seed keeps its value for the per-seed (paired) deltas
    expect(Object.keys(blimp.byCondition['baseline']!.seeds)).toEqual(['1', '2', '3']);
    expect(blimp.byCondition['merged']).toMatchObject({ n: 3, mean: 64 });
    const rte = m.rows.find((r) => r.key === 'rte')!;
    expect(rte.byCondition['baseline']!.n).toBe(3);

    const blimpZ = m.zScores.filter((z) => z.key === 'blimp');
    expect(blimpZ).toHaveLength(4);
    expect(blimpZ.find((z) => z.condition === 'baseline')).toMatchObject({ seeds: [1, 2, 3], score: 60 });
    // z over the 4 distinct results 60, 61, 64, 67 (population sd)
    const xs = [60, 61, 64, 67];
    const mu = xs.reduce((a, b) => a + b) / 4;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mu) ** 2, 0) / 4);
    expect(blimpZ.find((z) => z.condition === 'baseline')!.z).toBeCloseTo((60 - mu) / sd, 10);
    expect(m.zScores.filter((z) => z.key === 'rte')).toHaveLength(6);
    const zeroShot = m.zSummary.find((s) => s.family === 'zero-shot' && s.condition === 'baseline')!;
    expect(zeroShot.n).toBe(1);

    const delta = m.deltas.find((d) => d.key === 'blimp' && d.condition === 'merged')!;
    expect(delta).toMatchObject({ pairedSeeds: 3, delta: 4, pairedMin: 1, pairedMax: 7 });

    expect(m.shared).toEqual([{ condition: 'baseline', seeds: [1, 2, 3], model: '/runs/x/models/m/pretrain/final', measures: ['blimp'] }]);
    const md = renderMarkdown(data);
    expect(md).toContain('Counted once: condition baseline, seeds 1, 2, 3 evaluated one and the same model (/runs/x/models/m/pretrain/final');
    expect(md).toContain('their blimp results are one result');
    expect(renderHtml(data, new Map())).toMatch(/<p class="note shared">Counted once: condition baseline, seeds 1, 2, 3/);
  });

  it('counts every cell when the run dir does not record which model a cell evaluated', async () => {
    const data = analyzeRun(await loadRunResults(await writeRun(false)));
    const m = data.models[0]!;
    expect(m.rows.find((r) => r.key === 'blimp')!.byCondition['baseline']!.n).toBe(3);
    expect(m.zScores.filter((z) => z.key === 'blimp')).toHaveLength(6);
    expect(m.shared).toEqual([]);
    expect(renderMarkdown(data)).not.toContain('Counted once');
  });
});
