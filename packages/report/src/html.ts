/** The self-contained HTML report: inline CSS, inline SVG figures, no scripts, no external fonts or files. */
import type { ModelReport, ReportData } from './analysis.js';
import type { Figure } from './figures.js';
import { escapeXml as esc } from './svg.js';
import { SAMPLES_NOTE, TASKS_NOTE, TASK_COLUMNS, decimalsOf, notAveragedNote, sharedNote, taskRow, fmt, fmtSigned, meanSd, rowDecimals, sampleAnswer } from './tables.js';

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1320px; color: #222; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { margin-top: 36px; border-bottom: 2px solid #ddd; padding-bottom: 4px; }
h3 { margin-top: 26px; } p.meta, p.note { color: #555; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0 16px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; } th { background: #f4f4f4; }
tr.macro td { font-weight: 600; background: #fafafa; } td.pos { color: #1a7f37; } td.neg { color: #b42318; }
figure { margin: 12px 0 24px; overflow-x: auto; } figcaption { font-size: 13px; color: #555; margin-top: 4px; }
nav ul { columns: 2; font-size: 14px; } code { background: #f4f4f4; padding: 1px 4px; border-radius: 3px; }
p.prompt { margin: 14px 0 4px; white-space: pre-wrap; } td.answer { text-align: left; white-space: pre-wrap; min-width: 320px; max-width: 880px; }
`;

export function renderHtml(data: ReportData, figures: Map<string, Figure[]>): string {
  const body: string[] = [];
  body.push(`<h1>${esc(data.title)}</h1>`);
  body.push(`<p class="meta">Generated ${esc(data.generatedAt)} · cells: ${data.cells.done} done, ${data.cells.failed.length} failed · ` +
    `conditions: ${data.conditions.map(esc).join(', ') || 'none'}</p>`);
  body.push('<p class="note">Scores are on the scale the BabyLM pipeline prints (accuracy ×100, Spearman ρ raw). Cells show mean ± sample sd over seeds. ' +
    'z-scores standardise each cell over all cells of the same task and model (population sd); per condition they are summarised by median and ' +
    'inter-quartile range (IQR). Deltas are condition mean − baseline mean; their spread is over per-seed (paired) deltas.</p>');
  body.push('<nav><ul>' + data.models.map((m) => `<li><a href="#model-${esc(anchor(m.model))}">${esc(m.model)}</a></li>`).join('') +
    (data.cells.failed.length ? '<li><a href="#failed">failed cells</a></li>' : '') +
    (data.tasks.length ? '<li><a href="#tasks">skipped and failed evaluations</a></li>' : '') + '</ul></nav>');
  for (const m of data.models) body.push(modelSection(data, m, figures.get(m.model) ?? []));
  if (data.cells.failed.length) {
    body.push('<h2 id="failed">Failed cells</h2>');
    body.push(table(['model', 'condition', 'seed', 'error'], data.cells.failed.map((f) => [esc(f.model), esc(f.condition), String(f.seed), esc(f.error.split('\n')[0]!)])));
  }
  if (data.tasks.length) {
    body.push('<h2 id="tasks">Skipped and failed evaluations</h2>', `<p class="note">${esc(TASKS_NOTE)}</p>`);
    body.push(table(TASK_COLUMNS, data.tasks.map((t) => taskRow(t).map(esc))));
  }
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${esc(data.title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n${body.join('\n')}\n</body>\n</html>\n`;
}

function anchor(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '-');
}

function table(header: string[], rows: string[][], rowClasses: string[] = [], cellClasses: string[][] = []): string {
  return '<table><thead><tr>' + header.map((h) => `<th>${h}</th>`).join('') + '</tr></thead><tbody>' +
    rows.map((r, i) => `<tr${rowClasses[i] ? ` class="${rowClasses[i]}"` : ''}>` +
      r.map((c, j) => `<td${cellClasses[i]?.[j] ? ` class="${cellClasses[i]![j]}"` : ''}>${c}</td>`).join('') + '</tr>').join('') +
    '</tbody></table>';
}

function figureHtml(f: Figure | undefined): string {
  return f ? `<figure data-file="figures/${esc(f.file)}">${f.svg}<figcaption>${esc(f.title)} (also <code>figures/${esc(f.file)}</code>)</figcaption></figure>` : '';
}

function modelSection(data: ReportData, m: ModelReport, figures: Figure[]): string {
  const fig = (prefix: string) => figures.find((f) => f.file.startsWith(prefix));
  const conds = data.conditions.filter((c) => m.rows.some((r) => r.byCondition[c]));
  const out: string[] = [`<h2 id="model-${esc(anchor(m.model))}">Model <code>${esc(m.model)}</code></h2>`, `<p class="meta">Seeds: ${m.seeds.join(', ')}</p>`];

  out.push('<h3>Results per task and condition</h3>');
  out.push(table(['task', 'metric', ...conds.map(esc)], m.rows.map((r) => {
    const d = decimalsOf(r);
    return [esc(r.label), esc(r.metric), ...conds.map((c) => esc(meanSd(r.byCondition[c] ?? null, d)))];
  }), m.rows.map((r) => (r.family === 'macro' ? 'macro' : ''))));
  const macros = m.rows.filter((r) => r.components);
  if (macros.length) out.push('<p class="note">' + macros.map((r) => `<b>${esc(r.label)}</b>: mean of ${r.components!.map(esc).join(', ')}`).join('<br>') + '</p>');
  const note = notAveragedNote(m);
  if (note) out.push(`<p class="note">${esc(note)}</p>`);
  const shared = sharedNote(m);
  if (shared) out.push(`<p class="note shared">${esc(shared)}</p>`);
  out.push(figureHtml(fig('bars-')));

  if (m.zSummary.length) {
    out.push('<h3>z-scores across conditions</h3>');
    out.push(table(['tasks', 'condition', 'n', 'median', 'Q1', 'Q3', 'IQR'], m.zSummary.map((s) =>
      [esc(s.family), esc(s.condition), String(s.n), fmt(s.median, 3), fmt(s.q1, 3), fmt(s.q3, 3), fmt(s.iqr, 3)])));
    out.push(figureHtml(fig('zscores-')));
    out.push('<h3>Mean z-score per task</h3>');
    out.push(table(['task', ...conds.map(esc)], m.zByMeasure.map((z) => [esc(z.label), ...conds.map((c) => fmt(z.byCondition[c], 3))])));
  }

  if (m.deltas.length) {
    out.push(`<h3>Deltas against <code>${esc(data.baseline ?? '')}</code></h3>`);
    const cls: string[][] = [];
    out.push(table(['task', 'condition', 'baseline', 'condition mean', 'delta', 'paired seeds', 'sd of per-seed deltas', 'per-seed range'],
      m.deltas.map((d) => {
        const dec = rowDecimals([d.baselineMean, d.conditionMean]);
        cls.push(['', '', '', '', d.delta > 0 ? 'pos' : d.delta < 0 ? 'neg' : '']);
        return [esc(d.label), esc(d.condition), fmt(d.baselineMean, dec), fmt(d.conditionMean, dec), fmtSigned(d.delta, dec), String(d.pairedSeeds),
          fmt(d.pairedSd, dec), d.pairedSeeds ? `${fmtSigned(d.pairedMin, dec)} … ${fmtSigned(d.pairedMax, dec)}` : '–'];
      }), [], cls));
  }

  const lc = fig('learning-curves-');
  if (lc) out.push('<h3>Learning curves</h3>', figureHtml(lc));
  const loss = fig('loss-');
  if (loss) out.push('<h3>Training loss</h3>', figureHtml(loss));
  if (m.samples.length) {
    out.push('<h3>Samples</h3>', `<p class="note">${esc(SAMPLES_NOTE).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`);
    for (const s of m.samples) {
      out.push(`<p class="prompt"><b>Prompt:</b> ${esc(s.prompt)}</p>`);
      out.push(table(['condition', 'seed', 'answer'], s.answers.map((a) => [esc(a.condition), String(a.seed), esc(sampleAnswer(a))]),
        [], s.answers.map(() => ['', '', 'answer'])));
    }
  }
  return out.join('\n');
}
