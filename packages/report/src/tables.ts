/** The report's tables as markdown and CSV. */
import type { ConditionStats, ModelReport, ReportData, ResultRow, TaskProblem } from './analysis.js';

/** Decimals for a row: 2 for percent-scale scores, 3 for small ones (correlations, reading ΔR²). */
export function rowDecimals(values: number[]): number {
  const finite = values.filter(Number.isFinite).map(Math.abs);
  return finite.length && Math.max(...finite) >= 10 ? 2 : 3;
}

export function fmt(x: number | null | undefined, decimals = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(decimals);
}

export function fmtSigned(x: number, decimals = 2): string {
  return Number.isFinite(x) ? (x > 0 ? '+' : '') + x.toFixed(decimals) : '–';
}

export function meanSd(s: ConditionStats | null, decimals: number): string {
  if (!s) return '–';
  return s.n > 1 ? `${fmt(s.mean, decimals)} ± ${fmt(s.sd, decimals)}` : `${fmt(s.mean, decimals)} (n=1)`;
}

export function decimalsOf(row: ResultRow): number {
  return rowDecimals(Object.values(row.byCondition).map((s) => s?.mean ?? Number.NaN));
}

function mdTable(header: string[], rows: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export function renderMarkdown(data: ReportData): string {
  const out: string[] = [`# ${data.title}`, ''];
  out.push(`Generated ${data.generatedAt}. Cells: ${data.cells.done} done, ${data.cells.failed.length} failed. ` +
    `Conditions: ${data.conditions.join(', ') || 'none'}.`, '');
  out.push('Scores are on the scale the BabyLM pipeline prints (accuracy ×100, Spearman ρ raw). ' +
    'Cells show mean ± sample sd over seeds. z-scores standardise each cell over all cells of the same task and model ' +
    '(population sd); per condition they are summarised by median and inter-quartile range.', '');
  for (const m of data.models) out.push(...modelMarkdown(m, data), '');
  if (data.cells.failed.length) {
    out.push('## Failed cells', '');
    out.push(mdTable(['model', 'condition', 'seed', 'error'], data.cells.failed.map((f) => [f.model, f.condition, String(f.seed), f.error.split('\n')[0]!])), '');
  }
  if (data.tasks.length) {
    out.push('## Skipped and failed evaluations', '', TASKS_NOTE, '');
    out.push(mdTable(TASK_COLUMNS, data.tasks.map(taskRow)), '');
  }
  return out.join('\n');
}

/** The evaluations a report lists as skipped or failed: what each column says. */
export const TASK_COLUMNS = ['model', 'condition', 'seed', 'task', 'status', 'reason or error'];
export const TASKS_NOTE = 'These evaluations have no score in the cells listed; the macro-averages are over the measures every cell of a model has.';

export function taskRow(t: TaskProblem): string[] {
  return [t.model, t.condition, String(t.seed), t.task, t.status, t.detail];
}

/** Says which measures the macro-averages leave out, because only some cells have them (null when none). */
export function notAveragedNote(m: ModelReport): string | null {
  if (m.notAveraged.length === 0) return null;
  return 'Macro-averages are over the measures every cell has; not averaged (missing in some cells): ' +
    m.notAveraged.map((n) => `${n.label} (${n.cells} of ${n.of} cells)`).join(', ') + '.';
}

/** Says which cells evaluated one and the same model, whose results count once (null when none do). */
export function sharedNote(m: ModelReport): string | null {
  if (m.shared.length === 0) return null;
  return 'Counted once: ' + m.shared.map((s) => `condition ${s.condition}, seeds ${s.seeds.join(', ')} evaluated one and the same model ` +
    `(${s.model}: no training of their own, and no seed given to these evaluations), so their ${s.measures.join(', ')} results are one ` +
    'result, not one per seed').join('; ') + '. Each counts once in the means, the seed spread (n) and the z-scores.';
}

function modelMarkdown(m: ModelReport, data: ReportData): string[] {
  const conds = data.conditions.filter((c) => m.rows.some((r) => r.byCondition[c]));
  const out = [`## Model \`${m.model}\``, '', `Seeds: ${m.seeds.join(', ')}.`, '', '### Results (mean ± sd over seeds)', ''];
  out.push(mdTable(['task', 'metric', ...conds], m.rows.map((r) => {
    const d = decimalsOf(r);
    const label = r.family === 'macro' ? `**${r.label}**` : r.label;
    return [label, r.metric, ...conds.map((c) => meanSd(r.byCondition[c] ?? null, d))];
  })), '');
  const macros = m.rows.filter((r) => r.components);
  if (macros.length) {
    out.push(...macros.map((r) => `- ${r.label}: mean of ${r.components!.join(', ')}`), '');
  }
  const note = notAveragedNote(m);
  if (note) out.push(note, '');
  const shared = sharedNote(m);
  if (shared) out.push(`> ${shared}`, '');
  if (m.zSummary.length) {
    out.push('### z-scores per condition (median, inter-quartile range)', '');
    out.push(mdTable(['tasks', 'condition', 'n', 'median', 'Q1', 'Q3', 'IQR'], m.zSummary.map((s) =>
      [s.family, s.condition, String(s.n), fmt(s.median, 3), fmt(s.q1, 3), fmt(s.q3, 3), fmt(s.iqr, 3)])), '');
    out.push('#### Mean z-score per task', '');
    out.push(mdTable(['task', ...conds], m.zByMeasure.map((z) => [z.label, ...conds.map((c) => fmt(z.byCondition[c], 3))])), '');
  }
  if (m.deltas.length) {
    out.push(`### Deltas against \`${data.baseline}\``, '');
    out.push('Delta = condition mean − baseline mean; the spread is over the per-seed deltas of seeds run in both conditions.', '');
    out.push(mdTable(['task', 'condition', 'baseline', 'condition mean', 'delta', 'paired seeds', 'sd of per-seed deltas', 'per-seed range'],
      m.deltas.map((d) => {
        const dec = rowDecimals([d.baselineMean, d.conditionMean]);
        return [d.label, d.condition, fmt(d.baselineMean, dec), fmt(d.conditionMean, dec), fmtSigned(d.delta, dec), String(d.pairedSeeds),
          fmt(d.pairedSd, dec), d.pairedSeeds ? `${fmtSigned(d.pairedMin, dec)} … ${fmtSigned(d.pairedMax, dec)}` : '–'];
      })), '');
  }
  if (m.samples.length) {
    out.push('### Samples', '', `${SAMPLES_NOTE} Line breaks are shown as ⏎.`, '');
    for (const s of m.samples) {
      out.push(`**Prompt:** ${oneLine(s.prompt)}`, '');
      out.push(mdTable(['condition', 'seed', 'answer'], s.answers.map((a) => [a.condition, String(a.seed), oneLine(sampleAnswer(a))])), '');
    }
  }
  return out;
}

export const SAMPLES_NOTE = 'Each condition\'s greedy answer to the same prompt (`report.samples` in the experiment); an answer that ' +
  'reached the token limit ends with “…”.';

/** An answer as shown: its text, and “…” when it was cut at the token limit. */
export function sampleAnswer(a: { text: string; finishReason: string }): string {
  return a.text + (a.finishReason === 'length' ? ' …' : '');
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, ' ⏎ ');
}

function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(header: string[], rows: Array<Array<string | number | null | undefined>>): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** CSV files of the report, by file name. */
export function renderCsvFiles(data: ReportData): Record<string, string> {
  const results: Array<Array<string | number | null>> = [];
  const zscores: Array<Array<string | number>> = [];
  const zsummary: Array<Array<string | number>> = [];
  const deltas: Array<Array<string | number>> = [];
  const samples: Array<Array<string | number>> = [];
  for (const m of data.models) {
    for (const s of m.samples) for (const a of s.answers) samples.push([m.model, s.prompt, a.condition, a.seed, a.finishReason, a.text]);
    for (const r of m.rows) {
      for (const c of data.conditions) {
        const s = r.byCondition[c];
        if (!s) continue;
        const seeds = Object.entries(s.seeds).map(([seed, v]) => `${seed}:${v}`).join(' ');
        results.push([m.model, r.key, r.label, r.family, r.metric, c, s.n, s.mean, s.sd, s.min, s.max, seeds]);
      }
    }
    for (const z of m.zScores) zscores.push([m.model, z.key, z.condition, z.seed, z.score, z.z]);
    for (const s of m.zSummary) zsummary.push([m.model, s.family, s.condition, s.n, s.median, s.q1, s.q3, s.iqr, s.min, s.max]);
    for (const d of m.deltas) {
      deltas.push([m.model, d.key, d.label, d.condition, d.baselineMean, d.conditionMean, d.delta, d.pairedSeeds, d.pairedSd, d.pairedMin, d.pairedMax]);
    }
  }
  return {
    'results.csv': csv(['model', 'key', 'task', 'family', 'metric', 'condition', 'n', 'mean', 'sd', 'min', 'max', 'seed_scores'], results),
    'zscores.csv': csv(['model', 'key', 'condition', 'seed', 'score', 'z'], zscores),
    'zscore-summary.csv': csv(['model', 'tasks', 'condition', 'n', 'median', 'q1', 'q3', 'iqr', 'min', 'max'], zsummary),
    'deltas.csv': csv(['model', 'key', 'task', 'condition', 'baseline_mean', 'condition_mean', 'delta', 'paired_seeds', 'paired_sd', 'paired_min', 'paired_max'], deltas),
    ...(samples.length ? { 'samples.csv': csv(['model', 'prompt', 'condition', 'seed', 'finish_reason', 'answer'], samples) } : {}),
  };
}
