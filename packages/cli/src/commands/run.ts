/** `class-it run <experiment.yaml>`: the whole grid (pretrain → instruction-tune → evaluate), then the report. */
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { loadConfigFile } from '../config/load.js';
import { experimentSchema, type Experiment } from '../config/experiment.js';
import { runExperiment, gridCells } from '../run/runner.js';
import { defaultSteps } from '../run/steps.js';
import { writeRunReport } from '@class-it/report';
import type { PluginRegistry } from '@class-it/core';
import { ProgressBar } from '../progress.js';
import { ConfigError } from '@class-it/core';

/** Check, before any work starts, that every plugin the experiment names is installed. */
export function checkPluginsExist(exp: Experiment, registry: PluginRegistry, file: string): void {
  exp.conditions.forEach((c, i) => {
    if (!registry.has('curriculum', c.curriculum)) {
      throw new ConfigError(`unknown curriculum '${c.curriculum}' (installed: ${registry.list('curriculum').map((p) => p.name).join(', ')})`, { file, field: `conditions[${i}].curriculum` });
    }
  });
  exp.models.forEach((m, i) => {
    if (m.pretrain && !registry.has('architecture', m.pretrain.architecture)) {
      throw new ConfigError(`unknown architecture '${m.pretrain.architecture}' (installed: ${registry.list('architecture').map((p) => p.name).join(', ') || 'none'})`, { file, field: `models[${i}].pretrain.architecture` });
    }
  });
  const tasks = [...exp.evaluation.zeroShot.map((t, i) => ({ t, where: `evaluation.zeroShot[${i}].task` })), ...exp.evaluation.finetune.map((t, i) => ({ t, where: `evaluation.finetune[${i}].task` }))];
  for (const { t, where } of tasks) {
    try {
      registry.evaluatorFor(t.task);
    } catch (err) {
      throw new ConfigError((err as Error).message, { file, field: where });
    }
  }
}

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run an experiment grid (models × conditions × seeds): pretrain/instruction-tune, evaluate, report; resumes where it stopped')
    .argument('<experiment>', 'experiment file (YAML or JSON)')
    .option('--restart', 'move an existing run directory aside and start over')
    .option('--no-report', 'skip the report at the end')
    .action(async (file: string, opts: { restart?: boolean; report: boolean }) => {
      const { value: exp, baseDir } = await loadConfigFile(file, experimentSchema);
      const registry = await ctx.getRegistry();
      checkPluginsExist(exp, registry, file);
      const bar = new ProgressBar({ label: exp.name, total: gridCells(exp).length, logEverySeconds: 0 });
      const summary = await runExperiment(exp, registry, {
        steps: defaultSteps,
        baseDir,
        restart: opts.restart,
        log: (line) => { if (!process.stderr.isTTY) console.error(line); },
        onProgress: (p) => bar.update(p.cell - 1, `${p.name}: ${p.phase}`),
      });
      bar.update(gridCells(exp).length, 'done');
      bar.finish();
      console.log(`run ${exp.name}: ${summary.computed.length} computed, ${summary.skipped.length} already done, ${summary.failed.length} failed -> ${summary.runDir}`);
      for (const c of summary.cells.filter((c) => c.status === 'failed')) console.error(`  FAILED ${c.model}/${c.condition}/seed ${c.seed}: ${c.error}`);
      if (opts.report) {
        const written = await writeRunReport({ runDir: summary.runDir, registry });
        const html = written.find((f) => f.endsWith('.html'));
        console.log(`report: ${path.relative(process.cwd(), path.dirname(html ?? written[0] ?? summary.runDir))}${html ? ` (open ${path.relative(process.cwd(), html)})` : ''}`);
      }
      if (summary.failed.length > 0) process.exitCode = 1;
    });
}
