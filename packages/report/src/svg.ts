/**
 * Hand-written SVG charts: small-multiple panels (bars with error bars, box plots, line charts) laid out in a grid.
 * Every chart element carries a class (`bar`, `box`, `curve`, `point`) and a `<title>` with its value, so the SVG
 * reads without scripts and tests can find what was drawn.
 */

/** Tableau-10: distinct, colour-blind-friendlier categorical colours. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
export const DASHES = ['', '6 3', '2 3', '8 3 2 3', '1 2'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const n = (x: number) => (Math.round(x * 100) / 100).toString();

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return niceTicks(lo - pad, hi + pad, count);
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.floor(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks[ticks.length - 1]! < hi) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

/** A value printed on a chart: one decimal for percent-like scores, three for small ones (correlations). */
function valueLabel(v: number): string {
  return Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(Math.abs(v) >= 1 ? 2 : 3);
}

function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${n(v / 1e9)}B`;
  if (a >= 1e6) return `${n(v / 1e6)}M`;
  if (a >= 1e3) return `${n(v / 1e3)}k`;
  return Number(v.toPrecision(4)).toString();
}

export interface Panel {
  title: string;
  /** Draws into a panel of the given size (local coordinates) and returns SVG markup. */
  render(width: number, height: number): string;
}

export interface LegendEntry {
  label: string;
  color: string;
  dash?: string;
}

const MARGIN = { top: 26, right: 12, bottom: 40, left: 52 };
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

/** A whole figure: a title, a legend and the panels in a grid. */
export function renderFigure(opts: { id: string; title: string; panels: Panel[]; legend: LegendEntry[]; columns?: number; panelWidth?: number; panelHeight?: number }): string {
  const cols = Math.max(1, Math.min(opts.columns ?? 3, opts.panels.length));
  const pw = opts.panelWidth ?? 320;
  const ph = opts.panelHeight ?? 230;
  const width = Math.max(cols * pw, Math.ceil(opts.title.length * 8.8 + 16));
  // legend entries flow left to right and wrap into rows that fit the figure's width
  const legendAt: Array<{ x: number; row: number }> = [];
  let lx = 8;
  let row = 0;
  for (const e of opts.legend) {
    const w = 36 + e.label.length * 6.6;
    if (lx > 8 && lx + w > width - 4) {
      row++;
      lx = 8;
    }
    legendAt.push({ x: lx, row });
    lx += w;
  }
  const legendHeight = opts.legend.length ? 24 + 18 * row : 0;
  const top = 30 + legendHeight;
  const rows = Math.ceil(opts.panels.length / cols);
  const height = top + Math.max(1, rows) * ph + 6;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-figure="${escapeXml(opts.id)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="11">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="8" y="19" font-size="14" font-weight="600" fill="#222">${escapeXml(opts.title)}</text>`);
  opts.legend.forEach((e, i) => {
    parts.push(`<g class="legend-entry" transform="translate(${legendAt[i]!.x},${30 + 18 * legendAt[i]!.row})"><line x1="0" y1="8" x2="18" y2="8" stroke="${e.color}" stroke-width="3"${e.dash ? ` stroke-dasharray="${e.dash}"` : ''}/>` +
      `<text x="22" y="12" fill="#333">${escapeXml(e.label)}</text></g>`);
  });
  if (opts.panels.length === 0) parts.push(`<text x="8" y="${top + 20}" fill="#666">no data</text>`);
  opts.panels.forEach((p, i) => {
    const x = (i % cols) * pw;
    const y = top + Math.floor(i / cols) * ph;
    parts.push(`<g class="panel" transform="translate(${x},${y})">` +
      `<text x="10" y="16" font-size="12" font-weight="600" fill="#222">${escapeXml(truncate(p.title, Math.floor((pw - 16) / 7)))}<title>${escapeXml(p.title)}</title></text>` +
      p.render(pw, ph) + '</g>');
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}

interface Frame {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

function frameOf(w: number, h: number, bottom = MARGIN.bottom): Frame {
  return { x0: MARGIN.left, x1: w - MARGIN.right, y0: MARGIN.top, y1: h - bottom };
}

/** Width of a label in px at the 11px chart font (a fair average for mixed lower-case text). */
const labelWidth = (s: string) => s.length * 6.2;
/** Rotated category labels: how far they are turned and how many characters fit below the plot. */
const ROTATION = 35;
const ROTATED_CHARS = 16;
/** The bottom margin that holds the category labels: rotated ones need more than a row of horizontal ones. */
function categoryBottom(labels: string[], slot: number): number {
  return labels.every((l) => labelWidth(l) <= slot - 4) ? MARGIN.bottom
    : Math.ceil(14 + Math.sin((ROTATION * Math.PI) / 180) * labelWidth('x'.repeat(Math.min(ROTATED_CHARS, Math.max(...labels.map((l) => l.length))))));
}

/**
 * The category (condition) labels under the plot: horizontal when every one fits its slot, else turned by
 * ROTATION degrees and cut at ROTATED_CHARS (the full name stays in a `<title>` and in the legend), so that
 * neighbours never run into each other.
 */
function categoryLabels(f: Frame, labels: string[], slot: number): string {
  const rotate = labels.some((l) => labelWidth(l) > slot - 4);
  return labels.map((label, i) => {
    const cx = f.x0 + slot * (i + 0.5);
    if (!rotate) return `<text class="category" x="${n(cx)}" y="${f.y1 + 14}" text-anchor="middle" fill="#333">${escapeXml(label)}</text>`;
    return `<text class="category" transform="translate(${n(cx + 3)},${f.y1 + 10}) rotate(-${ROTATION})" text-anchor="end" fill="#333">` +
      `${escapeXml(truncate(label, ROTATED_CHARS))}<title>${escapeXml(label)}</title></text>`;
  }).join('');
}

/** A dashed horizontal reference line across the plot with its label at the right end (e.g. chance level). */
function referenceLine(f: Frame, yv: number, label: string, cls: string): string {
  return `<line class="${cls}" x1="${f.x0}" x2="${f.x1}" y1="${n(yv)}" y2="${n(yv)}" stroke="#c0392b" stroke-width="1.2" stroke-dasharray="5 3"><title>${escapeXml(label)}</title></line>` +
    `<text x="${f.x1 - 2}" y="${n(yv - 3)}" text-anchor="end" font-size="10" fill="#c0392b" stroke="#ffffff" stroke-width="3" paint-order="stroke">${escapeXml(label)}</text>`;
}

function linear(d0: number, d1: number, r0: number, r1: number) {
  const span = d1 - d0 || 1;
  return (v: number) => r0 + ((v - d0) / span) * (r1 - r0);
}

function yAxis(f: Frame, ticks: number[], y: (v: number) => number, label?: string): string {
  const parts = ticks.map((t) => `<line x1="${f.x0}" x2="${f.x1}" y1="${n(y(t))}" y2="${n(y(t))}" stroke="#e5e5e5"/>` +
    `<text x="${f.x0 - 4}" y="${n(y(t) + 3.5)}" text-anchor="end" fill="#555">${tickLabel(t)}</text>`);
  parts.push(`<line x1="${f.x0}" x2="${f.x0}" y1="${f.y0}" y2="${f.y1}" stroke="#888"/>`);
  if (label) parts.push(`<text transform="translate(12,${n((f.y0 + f.y1) / 2)}) rotate(-90)" text-anchor="middle" fill="#555">${escapeXml(label)}</text>`);
  return parts.join('');
}

/** Domain [lo, hi] of tick values around the data; includes 0 when the data straddles it or `includeZero`. */
function domainTicks(values: number[], includeZero = false): number[] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (includeZero || lo < 0 !== hi < 0) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  } else {
    const pad = (hi - lo) * 0.15 || Math.abs(hi) * 0.05 || 1;
    lo = lo >= 0 && lo - pad < 0 ? 0 : lo - pad;
    hi = hi + pad;
  }
  return niceTicks(lo, hi, 4);
}

export interface Bar {
  label: string;
  color: string;
  value: number;
  /** Half-length of the error bar (sd over seeds); NaN draws none. */
  error: number;
  note?: string;
}

export interface BarOptions {
  yLabel?: string;
  /** The score of guessing (e.g. 50 for two-way minimal pairs), drawn as a dashed line. */
  chance?: number;
}

/**
 * Bars (one per condition) with ±sd error bars and the value above each bar. The y axis always starts at zero
 * (a bar's length is its value: no cut axis makes a 0.8-point gap look large), and a task's chance level is drawn.
 */
export function barPanel(title: string, bars: Bar[], options: BarOptions = {}): Panel {
  return {
    title,
    render(w, h) {
      const slot0 = (w - MARGIN.left - MARGIN.right) / Math.max(1, bars.length);
      const f = frameOf(w, h, categoryBottom(bars.map((b) => b.label), slot0));
      const ticks = domainTicks([...bars.flatMap((b) => [b.value, b.value - (b.error || 0), b.value + (b.error || 0)]), ...(options.chance !== undefined ? [options.chance] : [])], true);
      const y = linear(ticks[0]!, ticks[ticks.length - 1]!, f.y1, f.y0);
      const base = y(0);
      const slot = (f.x1 - f.x0) / Math.max(1, bars.length);
      const parts = [yAxis(f, ticks, y, options.yLabel)];
      bars.forEach((b, i) => {
        const cx = f.x0 + slot * (i + 0.5);
        const bw = Math.min(48, slot * 0.7);
        if (Number.isFinite(b.value)) {
          const top = Math.min(y(b.value), base);
          const height = Math.max(1, Math.abs(base - y(b.value)));
          parts.push(`<rect class="bar" data-label="${escapeXml(b.label)}" data-value="${b.value}" x="${n(cx - bw / 2)}" y="${n(top)}" width="${n(bw)}" height="${n(height)}" fill="${b.color}">` +
            `<title>${escapeXml(`${b.label}: ${b.value.toFixed(3)}${Number.isFinite(b.error) ? ` ± ${b.error.toFixed(3)}` : ''}${b.note ? ` (${b.note})` : ''}`)}</title></rect>`);
          if (Number.isFinite(b.error) && b.error > 0) {
            const ya = y(b.value - b.error);
            const yb = y(b.value + b.error);
            parts.push(`<path class="errorbar" d="M${n(cx)},${n(ya)}V${n(yb)}M${n(cx - 5)},${n(ya)}H${n(cx + 5)}M${n(cx - 5)},${n(yb)}H${n(cx + 5)}" stroke="#222" stroke-width="1.2" fill="none"/>`);
          }
          if (slot >= 26) {
            // beyond the end of the bar and its error bar: above a positive bar, below a negative one
            const reach = b.value + Math.sign(b.value || 1) * (Number.isFinite(b.error) ? b.error : 0);
            parts.push(`<text class="value" x="${n(cx)}" y="${n(b.value >= 0 ? y(reach) - 3 : y(reach) + 10)}" text-anchor="middle" font-size="9" fill="#333">${valueLabel(b.value)}</text>`);
          }
        }
      });
      parts.push(categoryLabels(f, bars.map((b) => b.label), slot));
      parts.push(`<line x1="${f.x0}" x2="${f.x1}" y1="${n(base)}" y2="${n(base)}" stroke="#888"/>`);
      if (options.chance !== undefined) parts.push(referenceLine(f, y(options.chance), `chance ${valueLabel(options.chance)}`, 'chance'));
      return parts.join('');
    },
  };
}

export interface Box {
  label: string;
  color: string;
  q1: number;
  median: number;
  q3: number;
  whiskerLow: number;
  whiskerHigh: number;
  points: number[];
}

/** Box plots (box = inter-quartile range, line = median, whiskers = 1.5 IQR) with the points jittered on top. */
export function boxPanel(title: string, boxes: Box[], yLabel?: string): Panel {
  return {
    title,
    render(w, h) {
      const f = frameOf(w, h, categoryBottom(boxes.map((b) => b.label), (w - MARGIN.left - MARGIN.right) / Math.max(1, boxes.length)));
      const ticks = domainTicks(boxes.flatMap((b) => [b.whiskerLow, b.whiskerHigh, ...b.points]), true);
      const y = linear(ticks[0]!, ticks[ticks.length - 1]!, f.y1, f.y0);
      const slot = (f.x1 - f.x0) / Math.max(1, boxes.length);
      const parts = [yAxis(f, ticks, y, yLabel), `<line x1="${f.x0}" x2="${f.x1}" y1="${n(y(0))}" y2="${n(y(0))}" stroke="#999" stroke-dasharray="4 3"/>`];
      boxes.forEach((b, i) => {
        const cx = f.x0 + slot * (i + 0.5);
        const bw = Math.min(56, slot * 0.6);
        parts.push(`<path class="whisker" d="M${n(cx)},${n(y(b.whiskerLow))}V${n(y(b.q1))}M${n(cx)},${n(y(b.q3))}V${n(y(b.whiskerHigh))}` +
          `M${n(cx - bw / 4)},${n(y(b.whiskerLow))}H${n(cx + bw / 4)}M${n(cx - bw / 4)},${n(y(b.whiskerHigh))}H${n(cx + bw / 4)}" stroke="#444" fill="none"/>`);
        parts.push(`<rect class="box" data-label="${escapeXml(b.label)}" data-median="${b.median}" x="${n(cx - bw / 2)}" y="${n(y(b.q3))}" width="${n(bw)}" height="${n(Math.max(1, y(b.q1) - y(b.q3)))}" fill="${b.color}" fill-opacity="0.55" stroke="${b.color}" stroke-width="1.5">` +
          `<title>${escapeXml(`${b.label}: median ${b.median.toFixed(3)}, IQR [${b.q1.toFixed(3)}, ${b.q3.toFixed(3)}], n=${b.points.length}`)}</title></rect>`);
        parts.push(`<line class="median" x1="${n(cx - bw / 2)}" x2="${n(cx + bw / 2)}" y1="${n(y(b.median))}" y2="${n(y(b.median))}" stroke="#111" stroke-width="2"/>`);
        b.points.forEach((p, j) => {
          const jitter = ((((j * 2654435761) >>> 0) % 1000) / 1000 - 0.5) * bw * 0.6;
          parts.push(`<circle class="point" cx="${n(cx + jitter)}" cy="${n(y(p))}" r="2.2" fill="#222" fill-opacity="0.6"/>`);
        });
      });
      parts.push(categoryLabels(f, boxes.map((b) => b.label), slot));
      return parts.join('');
    },
  };
}

export interface Series {
  label: string;
  color: string;
  dash?: string;
  points: Array<{ x: number; y: number; sd?: number }>;
  /** Draw a marker at every point (learning curves) or only the line (loss curves). */
  markers?: boolean;
}

/** Lines over x (log x, unless `logX: false`, when the range is positive and spans more than a factor 20), optional ±sd bands. */
export function linePanel(title: string, series: Series[], opts: { xLabel: string; yLabel?: string; vlines?: Array<{ x: number; label: string }>; logX?: 'auto' | false }): Panel {
  return {
    title,
    render(w, h) {
      const f = frameOf(w, h);
      const xs = series.flatMap((s) => s.points.map((p) => p.x)).filter(Number.isFinite);
      const ys = series.flatMap((s) => s.points.flatMap((p) => (p.sd && Number.isFinite(p.sd) ? [p.y - p.sd, p.y + p.sd] : [p.y])));
      const xmin = xs.length ? Math.min(...xs) : 0;
      const xmax = xs.length ? Math.max(...xs) : 1;
      const logX = opts.logX !== false && xmin > 0 && xmax / xmin > 20;
      const xt = logX ? (v: number) => Math.log10(v) : (v: number) => v;
      const xTicks = logX ? logTicks(xmin, xmax) : niceTicks(xmin, xmax, 4);
      const xd0 = logX ? xt(xmin) : xTicks[0]!;
      const xd1 = logX ? xt(xmax) : xTicks[xTicks.length - 1]!;
      const xs0 = linear(xd0, xd1 === xd0 ? xd0 + 1 : xd1, f.x0, f.x1);
      const x = (v: number) => xs0(xt(v));
      const yTicks = domainTicks(ys);
      const y = linear(yTicks[0]!, yTicks[yTicks.length - 1]!, f.y1, f.y0);
      const parts = [yAxis(f, yTicks, y, opts.yLabel)];
      for (const t of xTicks) {
        if (xt(t) < xd0 - 1e-9 || xt(t) > xd1 + 1e-9) continue;
        parts.push(`<line x1="${n(x(t))}" x2="${n(x(t))}" y1="${f.y1}" y2="${f.y1 + 4}" stroke="#888"/><text x="${n(x(t))}" y="${f.y1 + 15}" text-anchor="middle" fill="#555">${tickLabel(t)}</text>`);
      }
      parts.push(`<line x1="${f.x0}" x2="${f.x1}" y1="${f.y1}" y2="${f.y1}" stroke="#888"/>`);
      parts.push(`<text x="${n((f.x0 + f.x1) / 2)}" y="${h - 6}" text-anchor="middle" fill="#555">${escapeXml(opts.xLabel + (logX ? ' (log scale)' : ''))}</text>`);
      for (const v of opts.vlines ?? []) {
        parts.push(`<line class="stage-start" x1="${n(x(v.x))}" x2="${n(x(v.x))}" y1="${f.y0}" y2="${f.y1}" stroke="#aaa" stroke-dasharray="3 3"><title>${escapeXml(v.label)}</title></line>`);
      }
      for (const s of series) {
        const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
        if (pts.length === 0) continue;
        const band = pts.filter((p) => p.sd !== undefined && Number.isFinite(p.sd) && p.sd > 0);
        if (band.length === pts.length && pts.length > 1) {
          const upper = pts.map((p) => `${n(x(p.x))},${n(y(p.y + p.sd!))}`);
          const lower = pts.map((p) => `${n(x(p.x))},${n(y(p.y - p.sd!))}`).reverse();
          parts.push(`<polygon class="band" points="${[...upper, ...lower].join(' ')}" fill="${s.color}" fill-opacity="0.15" stroke="none"/>`);
        }
        parts.push(`<polyline class="curve" data-label="${escapeXml(s.label)}" data-points="${pts.length}" points="${pts.map((p) => `${n(x(p.x))},${n(y(p.y))}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.8"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}><title>${escapeXml(s.label)}</title></polyline>`);
        if (s.markers || pts.length === 1) {
          for (const p of pts) {
            parts.push(`<circle class="point" cx="${n(x(p.x))}" cy="${n(y(p.y))}" r="2.8" fill="${s.color}"><title>${escapeXml(`${s.label} @ ${tickLabel(p.x)}: ${p.y.toFixed(3)}`)}</title></circle>`);
          }
        }
      }
      return parts.join('');
    },
  };
}

function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 3]) {
      const t = m * 10 ** e;
      if (t >= lo * 0.999 && t <= hi * 1.001) ticks.push(t);
    }
  }
  return ticks.length >= 2 ? ticks : [lo, hi];
}
