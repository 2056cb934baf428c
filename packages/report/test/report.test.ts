import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '@class-it/core';
import {
  analyzeRun, loadRunResults, metricValue, quantile, writeRunReport,
  type ReportData, type ResultRow,
} from '../src/index.js';
import { BLIMP, CONDITIONS, MRPC_ACC, MRPC_F1, READING_ET, READING_SPR, RTE_ACC, SEEDS, WUG, writeSyntheticRun } from '../src/testing/index.js';

const SQRT2 = Math.SQRT2;

function row(data: ReportData, key: string): ResultRow {
  const r = data.models[0]!.rows.find((x) => x.key === key);
  if (!r) throw new Error(`no row ${key}`);
  return r;
}

describe('report: loading a run directory', () => {
  let runDir: string;
  beforeAll(async () => {
    runDir = await writeSyntheticRun();
  });

  it('reads done and failed cells, skips unfinished ones, sorts checkpoints by words seen', async () => {
    const cells = await loadRunResults(runDir);
    expect(cells.map((c) => `${c.cell.condition}/${c.cell.seed}/${c.status}`)).toEqual([
      'baseline/1/done', 'baseline/2/done', 'hybrid/1/failed', 'merged/1/done', 'merged/2/done', 'sequential/1/done', 'sequential/2/done',
    ]);
    const seq = cells.find((c) => c.cell.condition === 'sequential' && c.cell.seed === 2)!;
    expect(seq.results.map((r) => r.task)).toEqual(['blimp', 'mrpc', 'reading', 'rte', 'wug_adj']);
    expect(seq.checkpoints.map((c) => [c.name, c.wordsSeen])).toEqual([['chck_1M', 1e6], ['chck_2M', 2e6], ['chck_10M', 1e7]]);
    expect(seq.checkpoints[2]!.results[0]!.score).toBe(70);
    expect(seq.trainingMetrics).toHaveLength(50);
    expect(seq.trainingMetrics[30]!['stage']).toBe('qa');
    expect(cells.find((c) => c.status === 'failed')!.error).toMatch(/out of memory/);
  });

  it('names the file and field of a malformed results.json', async () => {
    const dir = await writeSyntheticRun();
    const file = path.join(dir, 'cells', 'tiny__merged__seed2', 'eval', 'blimp', 'results.json');
    const good = JSON.parse(await fs.readFile(file, 'utf8'));

    await fs.writeFile(file, JSON.stringify({ ...good, score: '63.5' }));
    await expect(loadRunResults(dir)).rejects.toThrow(DataError);
    await expect(loadRunResults(dir)).rejects.toThrow(`${file}, field 'score': expected a number, got string`);

    await fs.writeFile(file, JSON.stringify({ ...good, groups: { anaphor_gender_agreement: 'high' } }));
    await expect(loadRunResults(dir)).rejects.toThrow(`${file}, field 'groups.anaphor_gender_agreement': expected a number, got string`);

    const { metric: _metric, ...noMetric } = good;
    await fs.writeFile(file, JSON.stringify(noMetric));
    await expect(loadRunResults(dir)).rejects.toThrow(`${file}, field 'metric': missing field`);

    await fs.writeFile(file, '{"task": "blimp", "score": 6');
    await expect(loadRunResults(dir)).rejects.toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid JSON`));

    await fs.writeFile(file, '[1, 2]');
    await expect(loadRunResults(dir)).rejects.toThrow(`${file}: expected a JSON object, got array`);
  });

  it('names the file, line and field of malformed cell.json and metrics.jsonl', async () => {
    const dir = await writeSyntheticRun();
    const cellFile = path.join(dir, 'cells', 'tiny__baseline__seed1', 'cell.json');
    await fs.writeFile(cellFile, JSON.stringify({ model: 'tiny', condition: 'baseline', seed: '1', status: 'done' }));
    await expect(loadRunResults(dir)).rejects.toThrow(`${cellFile}, field 'seed': expected an integer, got string`);
    await fs.writeFile(cellFile, JSON.stringify({ model: 'tiny', condition: 'baseline', seed: 1, status: 'finished' }));
    await expect(loadRunResults(dir)).rejects.toThrow(`${cellFile}, field 'status': expected "done" or "failed", got "finished"`);
    await fs.writeFile(cellFile, JSON.stringify({ model: 'tiny', condition: 'baseline', seed: 1, status: 'done' }));

    const metrics = path.join(dir, 'cells', 'tiny__baseline__seed1', 'train', 'metrics.jsonl');
    const lines = (await fs.readFile(metrics, 'utf8')).split('\n');
    lines[2] = '{"step": 3, "loss": [1]}';
    await fs.writeFile(metrics, lines.join('\n'));
    await expect(loadRunResults(dir)).rejects.toThrow(`${metrics}:3, field 'loss': expected a number or string, got array`);
    lines[2] = '{"step": 3, "loss": ';
    await fs.writeFile(metrics, lines.join('\n'));
    await expect(loadRunResults(dir)).rejects.toThrow(`${metrics}:3: invalid JSON`);
  });

  it('rejects a directory that is not a run directory', async () => {
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-norun-'));
    await expect(loadRunResults(empty)).rejects.toThrow(`${path.join(empty, 'cells')}: no cells directory`);
  });
});

describe('report: numbers', () => {
  let data: ReportData;
  beforeAll(async () => {
    data = analyzeRun(await loadRunResults(await writeSyntheticRun()), { title: 't', now: new Date(0) });
  });

  it('orders conditions with the baseline first and lists failed cells apart', () => {
    expect(data.conditions).toEqual(['baseline', 'merged', 'sequential']);
    expect(data.baseline).toBe('baseline');
    expect(data.cells.done).toBe(6);
    expect(data.cells.failed).toEqual([{ model: 'tiny', condition: 'hybrid', seed: 1, error: expect.stringMatching(/^Error: out of memory/) }]);
    expect(data.models.map((m) => m.model)).toEqual(['tiny']);
  });

  it('mean ± sd over seeds (hand-checked)', () => {
    const blimp = row(data, 'blimp').byCondition;
    expect(blimp['baseline']).toMatchObject({ n: 2, mean: 61, min: 60, max: 62, seeds: { 1: 60, 2: 62 } });
    expect(blimp['baseline']!.sd).toBeCloseTo(SQRT2, 12);
    expect(blimp['sequential']!.mean).toBe(68);
    expect(blimp['sequential']!.sd).toBeCloseTo(2 * SQRT2, 12);
    expect(row(data, 'wug_adj').byCondition['merged']).toMatchObject({ mean: 0.2, sd: 0 });
    expect(row(data, 'reading').label).toBe('reading (eye tracking)');
    expect(row(data, 'reading:self_paced_reading').byCondition['sequential']!.mean).toBe(2);
    expect(row(data, 'mrpc').metric).toBe('f1');
  });

  it('every table cell equals the per-cell results files', () => {
    const sources: Record<string, Record<string, readonly number[]>> = {
      blimp: BLIMP, wug_adj: WUG, reading: READING_ET, 'reading:self_paced_reading': READING_SPR, rte: RTE_ACC, mrpc: MRPC_F1,
    };
    for (const [key, byCondition] of Object.entries(sources)) {
      for (const c of CONDITIONS) {
        const stats = row(data, key).byCondition[c]!;
        expect(stats.seeds).toEqual(Object.fromEntries(SEEDS.map((s, i) => [String(s), byCondition[c]![i]])));
        expect(stats.mean).toBeCloseTo((byCondition[c]![0]! + byCondition[c]![1]!) / 2, 12);
        expect(stats.sd).toBeCloseTo(Math.abs(byCondition[c]![0]! - byCondition[c]![1]!) / SQRT2, 12);
      }
    }
  });

  it('macro-averages: zero-shot (ρ ×100), GLUE in both conventions, BabyLM macroaverage', () => {
    // baseline seed 1: zero-shot mean(60, 0.1×100, 2, 1) = 18.25; seed 2: mean(62, 30, 4, 1) = 24.25
    const zs = row(data, 'macro:zero-shot');
    expect(zs.components).toEqual(['blimp', 'wug_adj', 'reading', 'reading:self_paced_reading']);
    expect(zs.byCondition['baseline']!.seeds).toEqual({ 1: 18.25, 2: 24.25 });
    expect(zs.byCondition['baseline']!.mean).toBeCloseTo(21.25, 12);
    // leaderboard: RTE accuracy, MRPC F1 → seed 1 mean(50, 80) = 65; offline: accuracy for both → mean(50, 70) = 60
    const lb = row(data, 'macro:glue-leaderboard');
    expect(lb.label).toBe('GLUE (leaderboard: F1 for MRPC/QQP, 2 of 7 tasks)');
    expect(lb.byCondition['baseline']!.seeds['1']).toBeCloseTo(65, 10);
    expect(lb.byCondition['sequential']!.seeds['2']).toBeCloseTo((58 + 86) / 2, 10);
    const acc = row(data, 'macro:glue-accuracy');
    expect(acc.byCondition['baseline']!.seeds['1']).toBeCloseTo((50 + MRPC_ACC.baseline[0]) / 2, 10);
    expect(acc.byCondition['merged']!.seeds['2']).toBeCloseTo((56 + 73) / 2, 10);
    // macroaverage = mean(zero-shot measures..., GLUE leaderboard): seed 1 baseline mean(60, 10, 2, 1, 65) = 27.6
    expect(row(data, 'macro:all').byCondition['baseline']!.seeds['1']).toBeCloseTo(27.6, 10);
  });

  it('z-scores over all cells of a task and model, summarised by median and IQR (hand-checked)', () => {
    const m = data.models[0]!;
    const blimpZ = m.zScores.filter((z) => z.key === 'blimp');
    // scores 60 62 63 65 66 70: mean 64.333…, population sd 3.197221; z(60) = -1.355344, z(70) = 1.772373
    expect(blimpZ.find((z) => z.condition === 'baseline' && z.seed === 1)!.z).toBeCloseTo(-1.3553437, 6);
    expect(blimpZ.find((z) => z.condition === 'sequential' && z.seed === 2)!.z).toBeCloseTo(1.7723725, 6);
    expect(blimpZ.reduce((s, z) => s + z.z, 0)).toBeCloseTo(0, 10);
    expect(m.zScores).toHaveLength(6 * 6);
    // Summary over the 6 measures × 2 seeds of each condition (checked against numpy.median / numpy.quantile).
    const all = (c: string) => m.zSummary.find((s) => s.family === 'all' && s.condition === c)!;
    expect(all('baseline')).toMatchObject({ n: 12 });
    expect(all('baseline').median).toBeCloseTo(-0.69222706, 6);
    expect(all('baseline').q1).toBeCloseTo(-1.35760329, 6);
    expect(all('baseline').q3).toBeCloseTo(-0.28455496, 6);
    expect(all('merged').q1).toBeCloseTo(-0.62879367, 6);
    expect(all('sequential').median).toBeCloseTo(1.11631261, 6);
    expect(all('sequential').iqr).toBeCloseTo(1.63191579 - 0.66213597, 6);
    expect(m.zSummary.filter((s) => s.family === 'zero-shot').map((s) => s.n)).toEqual([8, 8, 8]);
    expect(m.zSummary.filter((s) => s.family === 'fine-tuning').map((s) => s.n)).toEqual([4, 4, 4]);
    expect(m.zByMeasure.find((z) => z.key === 'blimp')!.byCondition['baseline']).toBeCloseTo((-1.3553437 - 0.7298004) / 2, 6);
  });

  it('deltas against the baseline with the spread of paired per-seed deltas', () => {
    const d = data.models[0]!.deltas.find((x) => x.key === 'blimp' && x.condition === 'sequential')!;
    expect(d).toMatchObject({ baselineMean: 61, conditionMean: 68, delta: 7, pairedSeeds: 2, pairedMin: 6, pairedMax: 8 });
    expect(d.pairedSd).toBeCloseTo(SQRT2, 12);
    const w = data.models[0]!.deltas.find((x) => x.key === 'wug_adj' && x.condition === 'merged')!;
    expect(w.delta).toBeCloseTo(0, 12);
    expect([w.pairedMin, w.pairedMax].map((v) => Number(v.toFixed(6)))).toEqual([-0.1, 0.1]);
    expect(data.models[0]!.deltas.every((x) => x.condition !== 'baseline')).toBe(true);
  });

  it('learning curves average seeds per milestone; loss curves mark stage starts', () => {
    const m = data.models[0]!;
    const lc = m.learningCurves.find((c) => c.key === 'blimp' && c.condition === 'merged')!;
    expect(lc.points.map((p) => p.x)).toEqual([1e6, 2e6, 1e7]);
    expect(lc.points[0]!.mean).toBeCloseTo(((63 + 65) / 2) * 0.8, 10);
    expect(lc.points[2]).toMatchObject({ mean: 64, n: 2 });
    const loss = m.lossCurves.find((l) => l.condition === 'sequential' && l.seed === 1)!;
    expect(loss.xField).toBe('words_seen');
    expect(loss.points).toHaveLength(50);
    expect(loss.stageStarts).toEqual([{ x: 2000, stage: 'conversational' }, { x: 52000, stage: 'qa' }]);
  });

  it('reads GLUE extras on either scale (fractions or ×100)', () => {
    const base = { task: 'mrpc', evaluator: 'superglue', metric: 'f1', groups: {}, itemCount: 1, files: [] };
    expect(metricValue({ ...base, score: 80, extra: { f1: 0.8, accuracy: 0.7 } }, 'accuracy')).toBeCloseTo(70, 10);
    expect(metricValue({ ...base, score: 80, extra: { f1: 80, accuracy: 70 } }, 'accuracy')).toBe(70);
    expect(metricValue({ ...base, score: 80, extra: { accuracy: 0.7 } }, 'accuracy')).toBeCloseTo(70, 10);
    expect(metricValue({ ...base, score: 80, extra: {} }, 'accuracy')).toBeNaN();
    expect(metricValue({ ...base, score: 80, extra: {} }, 'f1')).toBe(80);
  });

  it('a run whose cells all failed still gets a report listing them', async () => {
    const dir = await writeSyntheticRun();
    for (const d of await fs.readdir(path.join(dir, 'cells'))) {
      const [, condition, seed] = /^tiny__(\w+)__seed(\d+)$/.exec(d)!;
      await fs.writeFile(path.join(dir, 'cells', d, 'cell.json'), JSON.stringify({ model: 'tiny', condition, seed: Number(seed), status: 'failed', error: 'boom' }));
    }
    const files = await writeRunReport({ runDir: dir });
    expect(files.some((f) => f.includes('figures'))).toBe(false);
    const md = await fs.readFile(path.join(dir, 'report', 'report.md'), 'utf8');
    expect(md).toContain('Cells: 0 done, 8 failed.');
  });

  it('skipped and failed evaluations are listed per cell; the cell keeps its other scores; macro-averages say what they leave out', async () => {
    const dir = await writeSyntheticRun();
    const cellDir = path.join(dir, 'cells', 'tiny__merged__seed2');
    // merged/2: RTE threw (its cell failed in evaluation), WUG was skipped (optional, data missing); the rest ran.
    await fs.rm(path.join(cellDir, 'eval', 'rte'), { recursive: true });
    await fs.rm(path.join(cellDir, 'eval', 'wug_adj'), { recursive: true });
    await fs.writeFile(path.join(cellDir, 'cell.json'), JSON.stringify({
      model: 'tiny', condition: 'merged', seed: 2, status: 'failed', error: 'evaluation rte failed',
      tasks: { blimp: { status: 'done' }, reading: { status: 'done' }, mrpc: { status: 'done' }, rte: { status: 'failed', error: 'RangeError: boom\n  at x' },
        wug_adj: { status: 'skipped', reason: 'optional, data missing: wug_adj/' } },
    }));
    const analysed = analyzeRun(await loadRunResults(dir), { now: new Date(0) });
    expect(analysed.tasks).toEqual([
      { model: 'tiny', condition: 'merged', seed: 2, task: 'rte', status: 'failed', detail: 'RangeError: boom' },
      { model: 'tiny', condition: 'merged', seed: 2, task: 'wug_adj', status: 'skipped', detail: 'optional, data missing: wug_adj/' },
    ]);
    const blimp = analysed.models[0]!.rows.find((r) => r.key === 'blimp')!;
    expect(Object.keys(blimp.byCondition['merged']!.seeds)).toEqual(['1', '2']);
    expect(Object.keys(analysed.models[0]!.rows.find((r) => r.key === 'rte')!.byCondition['merged']!.seeds)).toEqual(['1']);
    expect(analysed.models[0]!.notAveraged.map((n) => [n.key, n.cells, n.of])).toEqual([['wug_adj', 5, 6], ['rte', 5, 6]]); // hybrid/1 failed before evaluating: no scores
    const zeroShot = analysed.models[0]!.rows.find((r) => r.key === 'macro:zero-shot')!;
    expect(zeroShot.components).toEqual(['blimp', 'reading', 'reading:self_paced_reading']);
    await writeRunReport({ runDir: dir });
    const md = await fs.readFile(path.join(dir, 'report', 'report.md'), 'utf8');
    expect(md).toContain('## Skipped and failed evaluations');
    expect(md).toContain('| tiny | merged | 2 | rte | failed | RangeError: boom |');
    expect(md).toContain('not averaged (missing in some cells): wug_adj (5 of 6 cells), rte (5 of 6 cells).');
    const html = await fs.readFile(path.join(dir, 'report', 'report.html'), 'utf8');
    expect(html).toContain('<h2 id="tasks">Skipped and failed evaluations</h2>');
    expect(html).toContain('optional, data missing: wug_adj/');
  });

  it('quantile interpolates like numpy', () => {
    expect(quantile([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12);
    expect(quantile([5], 0.75)).toBe(5);
  });

  it('a single seed has no sd; a task where all cells agree has z = 0', async () => {
    const dir = await writeSyntheticRun();
    await fs.rm(path.join(dir, 'cells', 'tiny__merged__seed2'), { recursive: true });
    for (const d of await fs.readdir(path.join(dir, 'cells'))) {
      const f = path.join(dir, 'cells', d, 'eval', 'rte', 'results.json');
      try {
        const r = JSON.parse(await fs.readFile(f, 'utf8'));
        await fs.writeFile(f, JSON.stringify({ ...r, score: 55 }));
      } catch { /* the failed/unfinished cells have no results */ }
    }
    const d1 = analyzeRun(await loadRunResults(dir));
    const merged = row(d1, 'blimp').byCondition['merged']!;
    expect(merged.n).toBe(1);
    expect(merged.sd).toBeNaN();
    expect(d1.models[0]!.zScores.filter((z) => z.key === 'rte').every((z) => z.z === 0)).toBe(true);
  });
});

describe('report: files', () => {
  let runDir: string;
  let written: string[];
  beforeAll(async () => {
    runDir = await writeSyntheticRun();
    written = await writeRunReport({ runDir });
  });

  it('writes markdown, CSV, JSON, HTML and standalone SVG figures', () => {
    const rel = written.map((f) => path.relative(path.join(runDir, 'report'), f)).sort();
    expect(rel).toEqual([
      'deltas.csv', 'figures/bars-tiny.svg', 'figures/learning-curves-tiny.svg', 'figures/loss-tiny.svg', 'figures/zscores-tiny.svg',
      'report.html', 'report.json', 'report.md', 'results.csv', 'zscore-summary.csv', 'zscores.csv',
    ]);
  });

  it('markdown and CSV carry the same numbers as the results files', async () => {
    const md = await fs.readFile(path.join(runDir, 'report', 'report.md'), 'utf8');
    expect(md).toContain('| blimp | accuracy | 61.00 ± 1.41 | 64.00 ± 1.41 | 68.00 ± 2.83 |');
    expect(md).toContain('| wug_adj | spearman | 0.200 ± 0.141 | 0.200 ± 0.000 | 0.450 ± 0.071 |');
    expect(md).toContain('| blimp | sequential | 61.00 | 68.00 | +7.00 | 2 | 1.41 | +6.00 … +8.00 |');
    expect(md).toContain('| tiny | hybrid | 1 | Error: out of memory |');
    const csv = (await fs.readFile(path.join(runDir, 'report', 'results.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('model,key,task,family,metric,condition,n,mean,sd,min,max,seed_scores');
    const blimpBaseline = csv.find((l) => l.startsWith('tiny,blimp,blimp,zero-shot,accuracy,baseline,'))!;
    expect(blimpBaseline.split(',').slice(6, 8)).toEqual(['2', '61']);
    expect(blimpBaseline.endsWith(',60,62,1:60 2:62')).toBe(true);
    // a label with a comma is quoted
    expect(csv.some((l) => l.includes('"GLUE (leaderboard: F1 for MRPC/QQP, 2 of 7 tasks)"'))).toBe(true);
    const zcsv = (await fs.readFile(path.join(runDir, 'report', 'zscores.csv'), 'utf8')).trim().split('\n');
    expect(zcsv).toHaveLength(1 + 36);
    const json = JSON.parse(await fs.readFile(path.join(runDir, 'report', 'report.json'), 'utf8')) as ReportData;
    expect(json.models[0]!.rows.find((r) => r.key === 'rte')!.byCondition['merged']!.seeds).toEqual({ 1: 52, 2: 56 });
  });

  it('the HTML is self-contained and embeds every figure', async () => {
    const html = await fs.readFile(path.join(runDir, 'report', 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=/i);
    expect(html.match(/<svg [^>]*class="chart"/g)).toHaveLength(4);
    expect(html.match(/class="bar"/g)).toHaveLength(10 * 3);
    expect(html.match(/class="box"/g)).toHaveLength(3 * 3);
    expect(html.match(/<polyline class="curve"/g)).toHaveLength(3 + 6);
    const bars = await fs.readFile(path.join(runDir, 'report', 'figures', 'bars-tiny.svg'), 'utf8');
    expect(bars).toMatch(/^<\?xml[^>]*>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(bars).toContain('data-label="sequential" data-value="68"');
  });

});
