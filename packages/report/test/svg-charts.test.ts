/** Charts a reader can trust: bars from zero, the chance level drawn, condition labels that never run together. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRunReport } from '../src/index.js';
import { chanceLevel } from '../src/figures.js';
import { barPanel, boxPanel, PALETTE, renderFigure } from '../src/svg.js';
import { writeSyntheticRun } from '../src/testing/index.js';

const attr = (el: string, name: string) => Number(new RegExp(`\\b${name}="([-\\d.]+)"`).exec(el)![1]);
const bars = (svg: string) => [...svg.matchAll(/<rect class="bar"[^>]*>/g)].map((m) => m[0]);

describe('bar charts', () => {
  const close = [61, 61.8, 62.6].map((value, i) => ({ label: ['baseline', 'merged', 'sequential'][i]!, color: PALETTE[i]!, value, error: 0.4 }));

  it('start the y axis at zero: bar lengths are proportional to the values', () => {
    const svg = barPanel('blimp', close).render(260, 210);
    const heights = bars(svg).map((b) => attr(b, 'height'));
    // a cut axis would make 61 vs 62.6 look like 1 : 3; from zero they are 61 : 62.6
    expect(heights[0]! / heights[2]!).toBeCloseTo(61 / 62.6, 2);
    expect(svg).toMatch(/text-anchor="end" fill="#555">0<\/text>/);
    expect([...svg.matchAll(/<text class="value"[^>]*>([^<]+)</g)].map((m) => m[1])).toEqual(['61.0', '61.8', '62.6']);
  });

  it('draw the chance level when the task has one', () => {
    const withChance = barPanel('blimp', close, { chance: 50 }).render(260, 210);
    expect(withChance).toMatch(/<line class="chance"[^>]*><title>chance 50\.0<\/title>/);
    const y = attr(withChance.match(/<line class="chance"[^>]*>/)![0], 'y1');
    const bar = bars(withChance)[0]!;
    // the line crosses the bars at half of the 100-high scale... below their tops, above the baseline
    expect(y).toBeGreaterThan(attr(bar, 'y'));
    expect(y).toBeLessThan(attr(bar, 'y') + attr(bar, 'height'));
    expect(barPanel('wug', close).render(260, 210)).not.toMatch(/class="chance"/);
    expect(chanceLevel('blimp', 'accuracy')).toBe(50);
    expect(chanceLevel('mnli', 'accuracy')).toBeCloseTo(33.33, 2);
    expect(chanceLevel('mrpc', 'f1')).toBeUndefined();
    expect(chanceLevel('wug_adj', 'spearman')).toBeUndefined();
  });

  it('turn long condition labels instead of letting them run together, keeping the full name', () => {
    const long = ['hybrid-merged-sequential-a', 'hybrid-merged-sequential-b', 'baseline'].map((label, i) => ({ label, color: PALETTE[i]!, value: 1, error: Number.NaN }));
    const svg = barPanel('t', long).render(260, 210);
    const labels = [...svg.matchAll(/<text class="category"[^>]*>[^<]*(<title>[^<]*<\/title>)?/g)].map((m) => m[0]);
    expect(labels).toHaveLength(3);
    for (const l of labels) expect(l).toMatch(/rotate\(-35\)/);
    expect(labels[0]).toMatch(/>hybrid-merged-s…<title>hybrid-merged-sequential-a<\/title>/);
    // short labels that fit their slots stay horizontal
    const short = barPanel('t', close.map((b, i) => ({ ...b, label: ['base', 'merged', 'seq'][i]! }))).render(260, 210);
    expect(short).not.toMatch(/rotate\(-35\)/);
    expect(short.match(/<text class="category"/g)).toHaveLength(3);
    expect(boxPanel('z', long.map((b) => ({ ...b, q1: 0, median: 0, q3: 0, whiskerLow: 0, whiskerHigh: 0, points: [] }))).render(340, 260)).toMatch(/rotate\(-35\)/);
  });

  it('wrap a long legend inside the figure', () => {
    const legend = ['baseline', 'merged', 'sequential-conversational-first', 'sequential-qa-first', 'hybrid-80-20-then-20-80']
      .map((label, i) => ({ label, color: PALETTE[i]! }));
    const svg = renderFigure({ id: 'f', title: 'bars', panels: [barPanel('a', close)], legend, panelWidth: 260 });
    const width = attr(svg.match(/<svg [^>]*>/)![0], 'width');
    const entries = [...svg.matchAll(/class="legend-entry" transform="translate\(([\d.]+),([\d.]+)\)"><line[^>]*\/><text[^>]*>([^<]*)</g)];
    expect(new Set(entries.map((e) => e[2])).size).toBeGreaterThan(1);
    for (const e of entries) expect(Number(e[1]) + 22 + e[3]!.length * 6.2, e[3]).toBeLessThanOrEqual(width);
  });
});

describe('the report figures', () => {
  it('draw chance lines in the accuracy tasks that have one', async () => {
    const runDir = await writeSyntheticRun();
    await writeRunReport({ runDir });
    const svg = await fs.readFile(path.join(runDir, 'report', 'figures', 'bars-tiny.svg'), 'utf8');
    const panels = svg.split('<g class="panel"').slice(1);
    const withChance = panels.filter((p) => p.includes('class="chance"')).map((p) => /<title>([^<]+)<\/title>/.exec(p)![1]);
    expect(withChance).toEqual(['blimp', 'rte']);
  });
});
