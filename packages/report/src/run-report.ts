/** `class-it report <run dir>`: load the run's cells and hand them to the reporters (also called at the end of `run`). */
import path from 'node:path';
import { PluginRegistry } from '@class-it/core';
import { loadRunResults } from './load.js';
import { builtinReporters } from './reporter.js';

export interface WriteRunReportOptions {
  runDir: string;
  /** Defaults to `<runDir>/report`. */
  outDir?: string;
  /** Reporter plugin names; defaults to `markdown-html`. */
  reporters?: string[];
  /** Where reporter plugins are looked up; core's built-in reporters are added when it lacks them. */
  registry?: PluginRegistry;
}

export async function writeRunReport(options: WriteRunReportOptions): Promise<string[]> {
  const outDir = options.outDir ?? path.join(options.runDir, 'report');
  const registry = options.registry ?? new PluginRegistry();
  for (const builtin of builtinReporters) {
    if (!registry.has('reporter', builtin.name)) registry.register(builtin, { packageName: '@class-it/core', packageVersion: 'builtin' });
  }
  const cells = await loadRunResults(options.runDir);
  const written: string[] = [];
  for (const name of options.reporters?.length ? options.reporters : ['markdown-html']) {
    written.push(...(await registry.get('reporter', name).report(cells, outDir)));
  }
  return written;
}
