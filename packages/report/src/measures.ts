/**
 * What a report row measures: one headline score per task (plus a few secondary scores, e.g. reading's self-paced
 * reading next to its eye-tracking headline), and the BabyLM macro-averages computed from them per cell.
 */
import type { EvaluationResult } from '@class-it/core';
import { mean } from './stats.js';

export type MeasureFamily = 'zero-shot' | 'fine-tuning';

export interface Measure {
  /** Row key, unique within a report: the task name, or `<task>:<extra key>` for a secondary score. */
  key: string;
  label: string;
  task: string;
  metric: string;
  family: MeasureFamily;
}

/** The seven (Super)GLUE fine-tuning tasks of BabyLM 2025, in the order of its tables. */
export const GLUE_TASKS = ['boolq', 'multirc', 'rte', 'wsc', 'mrpc', 'qqp', 'mnli'] as const;
/** Tasks the BabyLM leaderboard scores with F1 instead of accuracy. */
const GLUE_F1_TASKS = new Set(['mrpc', 'qqp']);
const ZERO_SHOT_ORDER = ['blimp', 'blimp_supplement', 'ewok', 'entity_tracking', 'wug_adj', 'wug_past', 'comps', 'reading'];
/** Secondary scores read from `extra` and shown as rows of their own. */
const SECONDARY: Record<string, Array<{ extraKey: string; label: string; metric: string }>> = {
  reading: [{ extraKey: 'self_paced_reading', label: 'reading (self-paced reading)', metric: 'self_paced_reading' }],
};
/** Metrics reported raw (correlations in [-1, 1]); macro-averages take them ×100 like the BabyLM offline helper. */
const RAW_CORRELATION_METRICS = new Set(['spearman', 'pearson', 'rho', 'spearman_rho']);

export function familyOf(result: Pick<EvaluationResult, 'task' | 'evaluator'>): MeasureFamily {
  return (GLUE_TASKS as readonly string[]).includes(result.task) || /glue/i.test(result.evaluator) ? 'fine-tuning' : 'zero-shot';
}

/** The measures of one result with their values. */
export function measuresOf(result: EvaluationResult): Array<{ measure: Measure; value: number }> {
  const family = familyOf(result);
  const headlineLabel = SECONDARY[result.task] ? `${result.task} (${result.metric.replace(/_/g, ' ')})` : result.task;
  const out = [{ measure: { key: result.task, label: headlineLabel, task: result.task, metric: result.metric, family }, value: result.score }];
  for (const s of SECONDARY[result.task] ?? []) {
    const value = result.extra[s.extraKey];
    if (value !== undefined) out.push({ measure: { key: `${result.task}:${s.extraKey}`, label: s.label, task: result.task, metric: s.metric, family }, value });
  }
  return out;
}

/** Report order: zero-shot tasks in BabyLM table order, then the GLUE tasks, unknown ones alphabetically. */
export function compareMeasures(a: Measure, b: Measure): number {
  const rank = (m: Measure) => {
    const list = m.family === 'zero-shot' ? ZERO_SHOT_ORDER : (GLUE_TASKS as readonly string[]);
    const i = list.indexOf(m.task);
    return (m.family === 'zero-shot' ? 0 : 1000) + (i === -1 ? 500 : i);
  };
  return rank(a) - rank(b) || a.task.localeCompare(b.task) || a.key.localeCompare(b.key);
}

/** A value on the percent scale the macro-averages use. */
export function onPercentScale(metric: string, value: number): number {
  return RAW_CORRELATION_METRICS.has(metric.toLowerCase()) ? value * 100 : value;
}

/**
 * A named metric of a result on the scale of its headline score: the score itself when it is the headline metric,
 * else `extra[name]` rescaled when the evaluator stores extras as fractions and the headline as a percentage.
 */
export function metricValue(result: EvaluationResult, name: string): number {
  if (result.metric === name) return result.score;
  const v = result.extra[name];
  if (v === undefined) return Number.NaN;
  const headlineInExtra = result.extra[result.metric];
  if (headlineInExtra !== undefined && headlineInExtra !== 0 && Number.isFinite(result.score)) {
    const ratio = result.score / headlineInExtra;
    return v * (Math.abs(ratio - 100) < 0.01 ? 100 : 1);
  }
  return Math.abs(v) <= 1 && Math.abs(result.score) > 1 ? v * 100 : v;
}

export interface MacroDefinition {
  key: string;
  label: string;
  /** Measure keys (zero-shot) or GLUE task names averaged. */
  components: string[];
}

/**
 * The BabyLM macro-averages over the measures every done cell of a model has (so seeds and conditions average
 * the same things):
 * - `zero-shot average`: mean of the zero-shot measures (correlations ×100);
 * - `glue (leaderboard)`: mean over the GLUE tasks, F1 for MRPC/QQP and accuracy for the others;
 * - `glue (accuracy)`: mean accuracy over the GLUE tasks (the offline helper's convention);
 * - `macroaverage`: mean of the zero-shot measures and the leaderboard GLUE score.
 */
export function macroDefinitions(common: Measure[]): MacroDefinition[] {
  const zeroShot = common.filter((m) => m.family === 'zero-shot').map((m) => m.key);
  const glue = GLUE_TASKS.filter((t) => common.some((m) => m.key === t));
  const suffix = glue.length === GLUE_TASKS.length ? '' : `, ${glue.length} of 7 tasks`;
  const defs: MacroDefinition[] = [];
  if (zeroShot.length) defs.push({ key: 'macro:zero-shot', label: 'zero-shot average', components: zeroShot });
  if (glue.length) {
    defs.push({ key: 'macro:glue-leaderboard', label: `GLUE (leaderboard: F1 for MRPC/QQP${suffix})`, components: glue });
    defs.push({ key: 'macro:glue-accuracy', label: `GLUE (accuracy for all${suffix})`, components: glue });
  }
  if (zeroShot.length && glue.length) {
    defs.push({ key: 'macro:all', label: 'BabyLM macroaverage', components: [...zeroShot, 'macro:glue-leaderboard'] });
  }
  return defs;
}

/** Values of the macro-averages for one cell (NaN when a component is missing or NaN). */
export function macroValues(defs: MacroDefinition[], results: EvaluationResult[], measureValues: Map<string, { measure: Measure; value: number }>): Map<string, number> {
  const byTask = new Map(results.map((r) => [r.task, r]));
  const out = new Map<string, number>();
  const glueMean = (convention: 'leaderboard' | 'accuracy', tasks: string[]) =>
    mean(tasks.map((t) => {
      const r = byTask.get(t);
      if (!r) return Number.NaN;
      return metricValue(r, convention === 'leaderboard' && GLUE_F1_TASKS.has(t) ? 'f1' : 'accuracy');
    }));
  for (const def of defs) {
    if (def.key === 'macro:glue-leaderboard') out.set(def.key, glueMean('leaderboard', def.components));
    else if (def.key === 'macro:glue-accuracy') out.set(def.key, glueMean('accuracy', def.components));
    else {
      out.set(def.key, mean(def.components.map((key) => {
        if (out.has(key)) return out.get(key)!;
        const mv = measureValues.get(key);
        return mv ? onPercentScale(mv.measure.metric, mv.value) : Number.NaN;
      })));
    }
  }
  return out;
}
