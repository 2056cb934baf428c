import type { Command } from 'commander';
import { taskAvailability, type EvaluatorKind } from '@class-it/core';
import type { CliContext } from '../context.js';

/** For `eval --help` (zero-shot) and `finetune --help`: the tasks of that kind the installed evaluators serve, and
 *  those a known package would add (a package class-it does not know is listed under both). */
export async function describeTasks(ctx: CliContext, kind: EvaluatorKind): Promise<string> {
  const evaluators = (await ctx.getManifests()).flatMap(({ packageName, manifest }) =>
    typeof manifest === 'object' && manifest.kind === 'evaluator' ? [{ packageName, tasks: manifest.tasks }] : []);
  const tasks = taskAvailability(evaluators).filter((t) => t.evaluation === undefined || t.evaluation === kind);
  const byPackage = (installed: boolean) => {
    const groups = new Map<string, string[]>();
    for (const t of tasks.filter((x) => x.installed === installed)) groups.set(t.packageName, [...(groups.get(t.packageName) ?? []), t.task]);
    return [...groups].map(([pkg, names]) => `  ${names.join(', ')}  (${pkg})`);
  };
  const installed = byPackage(true);
  const installable = byPackage(false);
  return ['', 'Tasks of the installed evaluators:', ...(installed.length ? installed : ['  none: install an evaluator package']),
    ...(installable.length ? ['', 'Tasks you can install (npm install <package>):', ...installable] : [])].join('\n');
}

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
