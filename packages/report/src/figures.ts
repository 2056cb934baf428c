/** The report's figures, one SVG each: bars per task, z-score box plots, learning curves, training loss. */
import type { ModelReport, ReportData } from './analysis.js';
import { barPanel, boxPanel, DASHES, linePanel, PALETTE, renderFigure, type LegendEntry, type Panel } from './svg.js';

export interface Figure {
  /** File name under `figures/`, e.g. `bars-gpt-100m.svg`. */
  file: string;
  title: string;
  svg: string;
}

export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
}

/**
 * The accuracy of guessing among a task's candidates: two-way minimal pairs (BLiMP, its supplement, EWoK), the
 * binary (Super)GLUE tasks, three-way MNLI. Tasks scored otherwise (correlations, F1, reading) have none drawn.
 */
const CHANCE_ACCURACY: Record<string, number> = {
  blimp: 50, blimp_supplement: 50, ewok: 50, boolq: 50, multirc: 50, rte: 50, wsc: 50, mrpc: 50, qqp: 50, mnli: 100 / 3,
};

export function chanceLevel(task: string, metric: string): number | undefined {
  return metric === 'accuracy' ? CHANCE_ACCURACY[task] : undefined;
}

export function conditionColor(data: ReportData, condition: string): string {
  const i = data.conditions.indexOf(condition);
  return PALETTE[(i === -1 ? data.conditions.length : i) % PALETTE.length]!;
}

function conditionLegend(data: ReportData, conditions: string[]): LegendEntry[] {
  return conditions.map((c) => ({ label: c, color: conditionColor(data, c) }));
}

export function modelFigures(data: ReportData, m: ModelReport): Figure[] {
  const id = slug(m.model);
  const figures: Figure[] = [];
  const conds = data.conditions.filter((c) => m.rows.some((r) => r.byCondition[c]));

  const barPanels: Panel[] = m.rows.map((r) => barPanel(r.label, conds.map((c) => {
    const s = r.byCondition[c];
    return { label: c, color: conditionColor(data, c), value: s?.mean ?? Number.NaN, error: s?.sd ?? Number.NaN, note: s ? `n=${s.n}` : 'no result' };
  }), { yLabel: r.metric, chance: chanceLevel(r.key, r.metric) }));
  figures.push({ file: `bars-${id}.svg`, title: `${m.model}: score per task and condition (mean ± sd over seeds)`,
    svg: renderFigure({ id: `bars-${id}`, title: `${m.model}: score per task and condition (mean ± sd over seeds)`, panels: barPanels, legend: conditionLegend(data, conds), columns: 4, panelWidth: 260, panelHeight: 210 }) });

  if (m.zSummary.length) {
    const families = [...new Set(m.zSummary.map((s) => s.family))];
    const boxPanels = families.map((family) => boxPanel(family === 'all' ? 'all tasks' : `${family} tasks`,
      m.zSummary.filter((s) => s.family === family).map((s) => {
        const keys = new Set(m.zByMeasure.filter((z) => family === 'all' || z.family === family).map((z) => z.key));
        return { label: s.condition, color: conditionColor(data, s.condition), q1: s.q1, median: s.median, q3: s.q3, whiskerLow: s.whiskerLow, whiskerHigh: s.whiskerHigh,
          points: m.zScores.filter((z) => z.condition === s.condition && keys.has(z.key)).map((z) => z.z) };
      }), 'z-score'));
    const title = `${m.model}: z-scores per condition (box = inter-quartile range)`;
    figures.push({ file: `zscores-${id}.svg`, title, svg: renderFigure({ id: `zscores-${id}`, title, panels: boxPanels, legend: [], columns: 3, panelWidth: 340, panelHeight: 260 }) });
  }

  if (m.learningCurves.length) {
    const keys = [...new Set(m.learningCurves.map((c) => c.key))];
    const panels = keys.map((key) => {
      const curves = m.learningCurves.filter((c) => c.key === key);
      return linePanel(curves[0]!.label, curves.map((c) => ({
        label: c.condition, color: conditionColor(data, c.condition), markers: true,
        points: c.points.map((p) => ({ x: p.x, y: p.mean, sd: p.sd })),
      })), { xLabel: 'words seen' });
    });
    const lcConds = data.conditions.filter((c) => m.learningCurves.some((l) => l.condition === c));
    const title = `${m.model}: learning curves over chck_*M checkpoints (mean ± sd over seeds)`;
    figures.push({ file: `learning-curves-${id}.svg`, title, svg: renderFigure({ id: `learning-curves-${id}`, title, panels, legend: conditionLegend(data, lcConds), columns: 3 }) });
  }

  if (m.lossCurves.length) {
    const lossConds = data.conditions.filter((c) => m.lossCurves.some((l) => l.condition === c));
    const seeds = [...new Set(m.lossCurves.map((l) => l.seed))].sort((a, b) => a - b);
    const dashOf = (seed: number) => DASHES[seeds.indexOf(seed) % DASHES.length];
    const panels = lossConds.map((condition) => {
      const curves = m.lossCurves.filter((l) => l.condition === condition);
      const first = curves[0]!;
      return linePanel(condition, curves.map((l) => ({
        label: `${condition} seed ${l.seed}`, color: conditionColor(data, condition), dash: dashOf(l.seed),
        points: l.points.map((p) => ({ x: p.x, y: p.loss })),
      })), { xLabel: first.xField === 'words_seen' ? 'words seen' : 'step', yLabel: 'training loss', logX: false,
        vlines: first.stageStarts.slice(1).map((s) => ({ x: s.x, label: `stage ${s.stage}` })) });
    });
    const legend = seeds.map((s) => ({ label: `seed ${s}`, color: '#555', dash: dashOf(s) }));
    const title = `${m.model}: training loss per cell`;
    figures.push({ file: `loss-${id}.svg`, title, svg: renderFigure({ id: `loss-${id}`, title, panels, legend, columns: 3 }) });
  }
  return figures;
}
