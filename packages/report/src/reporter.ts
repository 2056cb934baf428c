/** The built-in `markdown-html` reporter: tables (markdown, CSV, JSON), standalone SVG figures and one HTML page. */
import path from 'node:path';
import type { CellResults, Reporter } from '@class-it/core';
import { definePlugin, type PluginDefinition } from '@class-it/core';
import { writeFileAtomic, writeJsonAtomic } from '@class-it/core';
import { analyzeRun } from './analysis.js';
import { modelFigures, type Figure } from './figures.js';
import { renderHtml } from './html.js';
import { renderCsvFiles, renderMarkdown } from './tables.js';

export class MarkdownHtmlReporter implements Reporter {
  readonly name = 'markdown-html';

  /** `outDir` is usually `runs/<name>/report`; the run's name titles the report. */
  async report(cells: CellResults[], outDir: string): Promise<string[]> {
    const runName = path.basename(path.dirname(path.resolve(outDir)));
    const data = analyzeRun(cells, { title: `CLASS-IT report: ${runName}` });
    const figures = new Map<string, Figure[]>(data.models.map((m) => [m.model, modelFigures(data, m)]));
    const files: Array<[string, string]> = [
      ['report.md', renderMarkdown(data)],
      ...Object.entries(renderCsvFiles(data)),
      ['report.html', renderHtml(data, figures)],
      ...[...figures.values()].flat().map((f): [string, string] => [path.join('figures', f.file), `<?xml version="1.0" encoding="UTF-8"?>\n${f.svg}\n`]),
    ];
    const written: string[] = [];
    for (const [name, text] of files) {
      const target = path.join(outDir, name);
      await writeFileAtomic(target, text);
      written.push(target);
    }
    const json = path.join(outDir, 'report.json');
    await writeJsonAtomic(json, data);
    written.push(json);
    return written;
  }
}

export const builtinReporters: PluginDefinition[] = [
  definePlugin({
    kind: 'reporter',
    name: 'markdown-html',
    description: 'Results tables (markdown, CSV, JSON), z-scores, deltas vs baseline, SVG figures and a self-contained HTML page',
    useFactory: () => new MarkdownHtmlReporter(),
  }),
];
