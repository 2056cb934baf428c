/**
 * The HTML report and its SVG figures rendered in headless Chromium: screenshots are decoded and the chart areas
 * checked for the condition colours (bars, boxes, curves really drawn), and the DOM checked for the SVG elements.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeRunReport } from '../src/index.js';
import { PALETTE } from '../src/svg.js';
import { countColor, countNonWhite, decodePng, type Image } from './report-png.js';
import { writeSyntheticRun } from '../src/testing/index.js';

const run = promisify(execFile);

async function findChromium(): Promise<string | null> {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      await run('sh', ['-c', `command -v ${name}`]);
      return name;
    } catch { /* not installed */ }
  }
  return null;
}

const chromium = await findChromium();
if (!chromium) console.warn('SKIPPED: report HTML rendering tests: no chromium/chromium-browser on PATH (Debian: apt-get install -y chromium)');

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--force-device-scale-factor=1', '--no-first-run', '--disable-dev-shm-usage'];

async function screenshot(file: string, width: number, height: number): Promise<Image> {
  const png = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-shot-')), 'shot.png');
  await run(chromium!, [...FLAGS, `--screenshot=${png}`, `--window-size=${width},${height}`, pathToFileURL(file).href], { timeout: 60_000 });
  return decodePng(await fs.readFile(png));
}

function svgSize(svg: string): { width: number; height: number } {
  const m = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg)!;
  return { width: Number(m[1]), height: Number(m[2]) };
}

const [BASELINE, MERGED, SEQUENTIAL] = PALETTE as [string, string, string];

describe.skipIf(!chromium)('report HTML in headless Chromium', () => {
  let reportDir: string;
  beforeAll(async () => {
    const runDir = await writeSyntheticRun();
    await writeRunReport({ runDir });
    reportDir = path.join(runDir, 'report');
  });

  it('the standalone SVG figures render: bars, curves and loss lines in the condition colours', async () => {
    // One page showing the three figure files as images, stacked at known offsets (one browser start).
    const names = ['bars-tiny.svg', 'learning-curves-tiny.svg', 'loss-tiny.svg'];
    const sizes = await Promise.all(names.map(async (n) => svgSize(await fs.readFile(path.join(reportDir, 'figures', n), 'utf8'))));
    const tops = sizes.map((_, i) => sizes.slice(0, i).reduce((sum, s) => sum + s.height + 10, 0));
    const page = path.join(reportDir, 'figures-test.html');
    await fs.writeFile(page, '<!DOCTYPE html><html><body style="margin:0;background:#fff">' +
      names.map((n, i) => `<img src="figures/${n}" style="position:absolute;left:0;top:${tops[i]}px" width="${sizes[i]!.width}" height="${sizes[i]!.height}">`).join('') +
      '</body></html>');
    const width = Math.max(...sizes.map((s) => s.width));
    const img = await screenshot(page, width, tops[2]! + sizes[2]!.height);

    // Bars, panel 0 (blimp): panels start below the title and legend (y = 54), the plot is inset by the margins.
    const bars = { x0: 52, y0: 54 + 26, x1: 260 - 12, y1: 54 + 210 - 40 };
    for (const color of [BASELINE, MERGED, SEQUENTIAL]) expect(countColor(img, color, bars), `bar ${color}`).toBeGreaterThan(300);
    // The sequential bar (68) is taller than the baseline one (61): more of its colour in the panel.
    expect(countColor(img, SEQUENTIAL, bars)).toBeGreaterThan(countColor(img, BASELINE, bars));
    // 10 panels in a 4-column grid: the 12th slot (bottom right) stays blank.
    expect(countNonWhite(img, { x0: 3 * 260 + 5, y0: 54 + 2 * 210 + 5, x1: 4 * 260 - 5, y1: 54 + 3 * 210 - 5 })).toBe(0);

    // Learning curves (one panel, three conditions) and loss (first panel: baseline, two seeds).
    const plotAt = (top: number) => ({ x0: 53, y0: top + 54 + 26, x1: 320 - 12, y1: top + 54 + 230 - 41 });
    for (const color of [BASELINE, MERGED, SEQUENTIAL]) expect(countColor(img, color, plotAt(tops[1]!)), `curve ${color}`).toBeGreaterThan(80);
    expect(countColor(img, BASELINE, plotAt(tops[2]!)), 'loss').toBeGreaterThan(150);
    expect(countColor(img, MERGED, plotAt(tops[2]!)), 'no merged loss in the baseline panel').toBe(0);
  });

  it('the whole page renders its tables and all four charts', async () => {
    const html = path.join(reportDir, 'report.html');
    const { stdout: dom } = await run(chromium!, [...FLAGS, '--dump-dom', pathToFileURL(html).href], { timeout: 60_000, maxBuffer: 64 << 20 });
    expect(dom.match(/<svg [^>]*class="chart"/g)).toHaveLength(4);
    expect(dom.match(/<rect class="bar"/g)).toHaveLength(30);
    expect(dom.match(/<rect class="box"/g)).toHaveLength(9);
    expect(dom).toContain('<td>61.00 ± 1.41</td>');

    const img = await screenshot(html, 1400, 6000);
    const everywhere = { x0: 0, y0: 0, x1: img.width, y1: img.height };
    // Bars, box plots and curves in the three condition colours (box fills are translucent; bars and lines are not).
    for (const color of [BASELINE, MERGED, SEQUENTIAL]) expect(countColor(img, color, everywhere)).toBeGreaterThan(5000);
    // The page is long (tables and four figures) and no quarter of it is blank.
    let bottom = img.height - 1;
    while (bottom > 0 && countNonWhite(img, { x0: 0, y0: bottom, x1: img.width, y1: bottom + 1 }) === 0) bottom--;
    expect(bottom).toBeGreaterThan(2500);
    for (let q = 0; q < 4; q++) {
      expect(countNonWhite(img, { x0: 0, y0: (q * bottom) / 4, x1: img.width, y1: ((q + 1) * bottom) / 4 })).toBeGreaterThan(2000);
    }
  });
});
