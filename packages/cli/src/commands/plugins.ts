import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerPlugins(program: Command, ctx: CliContext): void {
  program
    .command('plugins')
    .description('list the installed plugins (name, kind, version, package) and any that failed to load')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const registry = await ctx.getRegistry();
      const plugins = registry.list();
      if (opts.json) {
        console.log(JSON.stringify({ plugins, problems: registry.problems }, null, 2));
      } else {
        const rows = [['NAME', 'KIND', 'VERSION', 'PACKAGE'], ...plugins.map((p) => [p.name, p.kind, p.packageVersion, p.packageName])];
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
        for (const p of registry.problems) console.error(`problem: ${p.packageName} (${p.packageDir}): ${p.problem}`);
      }
      if (registry.problems.length > 0) process.exitCode = 2;
    });
}
