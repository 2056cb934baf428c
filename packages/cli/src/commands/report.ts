/** `class-it report <run dir> [--out DIR] [--reporter NAME...]` */
import path from 'node:path';
import type { Command } from 'commander';
import type { PluginRegistry } from '@class-it/core';
import { writeRunReport } from '@class-it/report';

export function registerReport(program: Command, getRegistry: () => Promise<PluginRegistry>): Command {
  return program
    .command('report')
    .description('write the comparison report of a run: tables (markdown, CSV, JSON), z-scores, deltas, SVG figures, HTML')
    .argument('<runDir>', 'run directory (runs/<name>) with cells/<model>__<condition>__seed<seed>/')
    .option('-o, --out <dir>', 'output directory (default: <runDir>/report)')
    .option('-r, --reporter <names...>', 'reporter plugins to use', ['markdown-html'])
    .action(async (runDir: string, opts: { out?: string; reporter: string[] }) => {
      const written = await writeRunReport({ runDir, outDir: opts.out, reporters: opts.reporter, registry: await getRegistry() });
      const html = written.find((f) => f.endsWith('report.html'));
      process.stdout.write(`wrote ${written.length} files to ${path.dirname(html ?? written[0] ?? runDir)}\n`);
      if (html) process.stdout.write(`open ${html}\n`);
    });
}
