/**
 * From per-cell results to the numbers a report shows, per model:
 * - the results table: rows = measures (tasks) and macro-averages, columns = conditions, mean ± sample sd over seeds;
 * - one evaluation of one model counts once: cells of a condition whose result of a task evaluated the same model
 *   directory with the same seed (cell.json `modelDir`, results.json `seed`: baseline cells of a base model shared by
 *   the seeds, whose zero-shot scores do not depend on the seed) hold one result, not one per seed, in the means, the
 *   seed spread and the z-scores, and the report says so (`shared`);
 * - z-scores: each cell's score standardised over all cells of that task and model (population sd, as
 *   scipy.stats.zscore), summarised per condition by median and inter-quartile range;
 * - deltas against the baseline condition, with the spread of the per-seed (paired) deltas;
 * - learning curves over `chck_*M` checkpoints and training-loss curves per cell.
 */
import type { CellResults } from '@class-it/core';
import { compareMeasures, macroDefinitions, macroValues, measuresOf, type Measure, type MeasureFamily } from './measures.js';
import { boxStats, mean, standardDeviation, summarize, zScores, type BoxStats, type Summary } from './stats.js';

export const BASELINE_CONDITION = 'baseline';

export interface ConditionStats extends Summary {
  /** Score of each seed, keyed by seed. */
  seeds: Record<string, number>;
}

export interface ResultRow {
  key: string;
  label: string;
  metric: string;
  family: MeasureFamily | 'macro';
  /** For macro rows: the measure keys averaged. */
  components?: string[];
  byCondition: Record<string, ConditionStats | null>;
}

export interface ZScoreEntry {
  key: string;
  condition: string;
  /** The cell's seed (the first, when several seeds share this result: `seeds`). */
  seed: number;
  /** Every seed whose cell holds this very result (one evaluation of one model), when there are several. */
  seeds?: number[];
  score: number;
  z: number;
}

export interface ZSummary extends BoxStats {
  family: 'all' | MeasureFamily;
  condition: string;
}

export interface DeltaRow {
  key: string;
  label: string;
  condition: string;
  baselineMean: number;
  conditionMean: number;
  /** Difference of the means over seeds. */
  delta: number;
  /** Seeds present in both conditions, and the spread of their per-seed deltas. */
  pairedSeeds: number;
  pairedSd: number;
  pairedMin: number;
  pairedMax: number;
}

export interface CurvePoint {
  x: number;
  mean: number;
  sd: number;
  n: number;
}

export interface LearningCurve {
  key: string;
  label: string;
  condition: string;
  points: CurvePoint[];
}

export interface LossCurve {
  condition: string;
  seed: number;
  xField: 'words_seen' | 'step';
  points: Array<{ x: number; loss: number }>;
  /** Where the training stage changes (sequential curricula). */
  stageStarts: Array<{ x: number; stage: string }>;
}

export interface ModelReport {
  model: string;
  seeds: number[];
  rows: ResultRow[];
  zScores: ZScoreEntry[];
  /** Mean z over seeds, per measure and condition. */
  zByMeasure: Array<{ key: string; label: string; family: MeasureFamily; byCondition: Record<string, number | null> }>;
  zSummary: ZSummary[];
  deltas: DeltaRow[];
  learningCurves: LearningCurve[];
  lossCurves: LossCurve[];
  /** Each `report.samples` prompt with every cell's answer, conditions in report order then seeds. */
  samples: SampleComparison[];
  /** Measures only some cells of this model have (skipped or failed elsewhere), left out of the macro-averages. */
  notAveraged: Array<{ key: string; label: string; cells: number; of: number }>;
  /** Cells of a condition that evaluated one and the same model (same directory, same seed given to the evaluator):
   *  their results of `measures` are one evaluation, counted once. */
  shared: SharedEvaluation[];
}

export interface SharedEvaluation {
  condition: string;
  seeds: number[];
  /** The model directory they all evaluated. */
  model: string;
  /** Labels of the measures whose result they share. */
  measures: string[];
}

export interface SampleComparison {
  prompt: string;
  answers: Array<{ condition: string; seed: number; text: string; finishReason: string }>;
}

export interface ReportData {
  title: string;
  generatedAt: string;
  conditions: string[];
  baseline: string | null;
  models: ModelReport[];
  cells: { done: number; failed: Array<{ model: string; condition: string; seed: number; error: string }> };
  /** Every evaluation that was skipped or failed (cell.json `tasks`), cell by cell: never left out silently. */
  tasks: TaskProblem[];
}

export interface TaskProblem {
  model: string;
  condition: string;
  seed: number;
  task: string;
  status: 'skipped' | 'failed';
  /** The reason it was skipped, or its error (first line). */
  detail: string;
}

/** Conditions in report order: the baseline first, then alphabetical. */
export function orderConditions(conditions: Iterable<string>): string[] {
  return [...new Set(conditions)].sort((a, b) => Number(b === BASELINE_CONDITION) - Number(a === BASELINE_CONDITION) || a.localeCompare(b));
}

export function analyzeRun(cells: CellResults[], options: { title?: string; now?: Date } = {}): ReportData {
  const done = cells.filter((c) => c.status !== 'failed');
  // A cell that failed in its evaluations (cell.json `tasks`: one task threw, the others ran) still counts with the
  // evaluations recorded as done; one that failed before them (no `tasks`) adds no scores.
  const scored = cells.flatMap((c): CellResults[] => {
    if (c.status !== 'failed') return [c];
    const ok = new Set(Object.entries(c.tasks ?? {}).filter(([, o]) => o.status === 'done').map(([task]) => task));
    const results = c.results.filter((r) => ok.has(r.task));
    return results.length ? [{ ...c, results }] : [];
  });
  const conditions = orderConditions(scored.map((c) => c.cell.condition));
  const models = [...new Set(scored.map((c) => c.cell.model))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  return {
    title: options.title ?? 'class-it report',
    generatedAt: (options.now ?? new Date()).toISOString(),
    conditions,
    baseline: conditions.includes(BASELINE_CONDITION) ? BASELINE_CONDITION : null,
    models: models.map((model) => analyzeModel(model, scored.filter((c) => c.cell.model === model), conditions)),
    cells: {
      done: done.length,
      failed: cells.filter((c) => c.status === 'failed')
        .map((c) => ({ ...c.cell, error: c.error ?? 'unknown error' })),
    },
    tasks: cells.flatMap((c) => Object.entries(c.tasks ?? {}).flatMap(([task, o]): TaskProblem[] =>
      o.status === 'done' ? [] : [{ ...c.cell, task, status: o.status, detail: (o.status === 'skipped' ? o.reason : o.error).split('\n')[0]! }])),
  };
}

function analyzeModel(model: string, cells: CellResults[], conditions: string[]): ModelReport {
  // Per-cell values of every measure, and the measures every cell has (for the macro-averages).
  const perCell = cells.map((c) => {
    const values = new Map<string, { measure: Measure; value: number }>();
    for (const r of c.results) for (const mv of measuresOf(r)) values.set(mv.measure.key, mv);
    return { cell: c, values };
  });
  const measures = new Map<string, Measure>();
  for (const { values } of perCell) for (const { measure } of values.values()) if (!measures.has(measure.key)) measures.set(measure.key, measure);
  const ordered = [...measures.values()].sort(compareMeasures);
  const common = ordered.filter((m) => perCell.every(({ values }) => values.has(m.key)));
  // Measures some cells lack (a task skipped or failed there): shown, but left out of the macro-averages, which
  // average only what every cell has, so that conditions stay comparable.
  const notAveraged = ordered.filter((m) => !common.includes(m)).map((m) => ({
    key: m.key, label: m.label, cells: perCell.filter(({ values }) => values.has(m.key)).length, of: perCell.length,
  }));
  const macros = macroDefinitions(common);
  const macroPerCell = perCell.map(({ cell, values }) => macroValues(macros, cell.results, values));

  const valueOf = (i: number, key: string): number | undefined =>
    key.startsWith('macro:') ? macroPerCell[i]!.get(key) : perCell[i]!.values.get(key)?.value;
  // Which evaluation a cell's value of a measure is: cells of one condition with the same identity hold one result.
  const measureTask = new Map<string, string>(ordered.map((m) => [m.key, m.task]));
  const componentsOf = new Map<string, string[]>(macros.map((d) => [d.key, d.components]));
  const identityOf = (i: number, key: string): string => {
    const { cell } = perCell[i]!;
    const task = (k: string) => {
      const e = cell.evaluated?.[measureTask.get(k) ?? k];
      return e ? JSON.stringify([e.model, measureTask.get(k) ?? k, e.seed ?? null, k]) : undefined;
    };
    const parts = (componentsOf.get(key) ?? [key]).map(task);
    return parts.every((p) => p !== undefined) ? `${cell.cell.condition}\u0000${parts.join('\u0000')}` : `cell ${i}`;
  };
  const statsFor = (key: string, condition: string): ConditionStats | null => {
    const seeds: Record<string, number> = {};
    const distinct = new Map<string, number>();
    perCell.forEach(({ cell }, i) => {
      const v = valueOf(i, key);
      if (cell.cell.condition !== condition || v === undefined || !Number.isFinite(v)) return;
      seeds[String(cell.cell.seed)] = v;
      if (!distinct.has(identityOf(i, key))) distinct.set(identityOf(i, key), v);
    });
    const xs = [...distinct.values()];
    return xs.length ? { ...summarize(xs), seeds } : null;
  };
  const byCondition = (key: string) => Object.fromEntries(conditions.map((c) => [c, statsFor(key, c)]));

  const rows: ResultRow[] = [
    ...ordered.map((m) => ({ key: m.key, label: m.label, metric: m.metric, family: m.family, byCondition: byCondition(m.key) })),
    ...macros.map((d) => ({ key: d.key, label: d.label, metric: 'mean', family: 'macro' as const, components: d.components, byCondition: byCondition(d.key) })),
  ];

  // z-scores: per measure, over all cells of this model that have a finite score (a shared result once).
  const zEntries: ZScoreEntry[] = [];
  const shared = new Map<string, SharedEvaluation>();
  for (const m of ordered) {
    const groups = new Map<string, { cell: CellResults; value: number; seeds: number[] }>();
    perCell.forEach(({ cell, values }, i) => {
      const value = values.get(m.key)?.value;
      if (value === undefined || !Number.isFinite(value)) return;
      const id = identityOf(i, m.key);
      const group = groups.get(id);
      if (group) group.seeds.push(cell.cell.seed);
      else groups.set(id, { cell, value, seeds: [cell.cell.seed] });
    });
    const have = [...groups.values()];
    const zs = zScores(have.map((g) => g.value));
    have.forEach(({ cell, value, seeds }, i) => {
      zEntries.push({ key: m.key, condition: cell.cell.condition, seed: cell.cell.seed, ...(seeds.length > 1 ? { seeds } : {}), score: value, z: zs[i]! });
      if (seeds.length < 2) return;
      const model = cell.evaluated?.[m.task]?.model ?? '';
      const sharedKey = JSON.stringify([cell.cell.condition, seeds, model]);
      const entry = shared.get(sharedKey) ?? { condition: cell.cell.condition, seeds, model, measures: [] };
      entry.measures.push(m.label);
      shared.set(sharedKey, entry);
    });
  }
  const zByMeasure = ordered.map((m) => ({
    key: m.key,
    label: m.label,
    family: m.family,
    byCondition: Object.fromEntries(conditions.map((c) => {
      const zs = zEntries.filter((e) => e.key === m.key && e.condition === c).map((e) => e.z);
      return [c, zs.length ? mean(zs) : null];
    })),
  }));
  const families: Array<'all' | MeasureFamily> = ['all', 'zero-shot', 'fine-tuning'];
  const zSummary: ZSummary[] = [];
  for (const family of families) {
    const keys = new Set(ordered.filter((m) => family === 'all' || m.family === family).map((m) => m.key));
    if (keys.size === 0 || (family !== 'all' && keys.size === ordered.length)) continue;
    for (const condition of conditions) {
      const zs = zEntries.filter((e) => keys.has(e.key) && e.condition === condition).map((e) => e.z);
      if (zs.length) zSummary.push({ family, condition, ...boxStats(zs) });
    }
  }

  return {
    model,
    seeds: [...new Set(cells.map((c) => c.cell.seed))].sort((a, b) => a - b),
    rows,
    zScores: zEntries,
    zByMeasure,
    zSummary,
    deltas: deltasAgainstBaseline(rows, conditions),
    learningCurves: learningCurves(cells, conditions),
    lossCurves: cells.map(lossCurve).filter((c): c is LossCurve => c !== null)
      .sort((a, b) => conditions.indexOf(a.condition) - conditions.indexOf(b.condition) || a.seed - b.seed),
    samples: sampleComparisons(cells, conditions),
    notAveraged,
    shared: [...shared.values()].sort((a, b) => conditions.indexOf(a.condition) - conditions.indexOf(b.condition)),
  };
}

/** Every sample prompt (in the order the cells answered them) with each cell's answer. */
function sampleComparisons(cells: CellResults[], conditions: string[]): SampleComparison[] {
  const byPrompt = new Map<string, SampleComparison>();
  const ordered = [...cells].sort((a, b) => conditions.indexOf(a.cell.condition) - conditions.indexOf(b.cell.condition) || a.cell.seed - b.cell.seed);
  for (const cell of ordered) {
    for (const s of cell.samples ?? []) {
      let entry = byPrompt.get(s.prompt);
      if (!entry) byPrompt.set(s.prompt, (entry = { prompt: s.prompt, answers: [] }));
      entry.answers.push({ condition: cell.cell.condition, seed: cell.cell.seed, text: s.text, finishReason: s.finishReason });
    }
  }
  return [...byPrompt.values()];
}

function deltasAgainstBaseline(rows: ResultRow[], conditions: string[]): DeltaRow[] {
  if (!conditions.includes(BASELINE_CONDITION)) return [];
  const out: DeltaRow[] = [];
  for (const row of rows) {
    const base = row.byCondition[BASELINE_CONDITION];
    if (!base) continue;
    for (const condition of conditions) {
      const other = row.byCondition[condition];
      if (condition === BASELINE_CONDITION || !other) continue;
      const paired = Object.keys(other.seeds).filter((s) => s in base.seeds).map((s) => other.seeds[s]! - base.seeds[s]!);
      out.push({
        key: row.key,
        label: row.label,
        condition,
        baselineMean: base.mean,
        conditionMean: other.mean,
        delta: other.mean - base.mean,
        pairedSeeds: paired.length,
        pairedSd: standardDeviation(paired, 1),
        pairedMin: paired.length ? Math.min(...paired) : Number.NaN,
        pairedMax: paired.length ? Math.max(...paired) : Number.NaN,
      });
    }
  }
  return out;
}

function learningCurves(cells: CellResults[], conditions: string[]): LearningCurve[] {
  // key -> condition -> wordsSeen -> scores over seeds
  const acc = new Map<string, { measure: Measure; byCondition: Map<string, Map<number, number[]>> }>();
  for (const c of cells) {
    for (const ck of c.checkpoints) {
      for (const r of ck.results) {
        for (const { measure, value } of measuresOf(r)) {
          if (!Number.isFinite(value)) continue;
          const entry = acc.get(measure.key) ?? { measure, byCondition: new Map() };
          acc.set(measure.key, entry);
          const byX = entry.byCondition.get(c.cell.condition) ?? new Map<number, number[]>();
          entry.byCondition.set(c.cell.condition, byX);
          byX.set(ck.wordsSeen, [...(byX.get(ck.wordsSeen) ?? []), value]);
        }
      }
    }
  }
  const out: LearningCurve[] = [];
  for (const { measure, byCondition } of [...acc.values()].sort((a, b) => compareMeasures(a.measure, b.measure))) {
    for (const condition of conditions) {
      const byX = byCondition.get(condition);
      if (!byX) continue;
      const points = [...byX.entries()].sort((a, b) => a[0] - b[0])
        .map(([x, ys]) => ({ x, mean: mean(ys), sd: standardDeviation(ys, 1), n: ys.length }));
      out.push({ key: measure.key, label: measure.label, condition, points });
    }
  }
  return out;
}

/** At most this many points per loss curve (evenly strided, the last one kept). */
const MAX_LOSS_POINTS = 400;

function lossCurve(c: CellResults): LossCurve | null {
  const rows = c.trainingMetrics.filter((r) => typeof r['loss'] === 'number' && Number.isFinite(r['loss']));
  if (rows.length === 0) return null;
  const xField = rows.every((r) => typeof r['words_seen'] === 'number') ? 'words_seen' : 'step';
  const stageStarts: LossCurve['stageStarts'] = [];
  let lastStage: string | undefined;
  for (const r of rows) {
    const stage = r['stage'] === undefined ? undefined : String(r['stage']);
    if (stage !== undefined && stage !== lastStage) stageStarts.push({ x: r[xField] as number, stage });
    lastStage = stage;
  }
  const stride = Math.max(1, Math.ceil(rows.length / MAX_LOSS_POINTS));
  const kept = rows.filter((_, i) => i % stride === 0 || i === rows.length - 1);
  return {
    condition: c.cell.condition,
    seed: c.cell.seed,
    xField,
    points: kept.map((r) => ({ x: r[xField] as number, loss: r['loss'] as number })),
    stageStarts,
  };
}
