/**
 * `class-it train <experiment.yaml>`: instruction-tune one cell of an experiment (a model's base checkpoint ×
 * a condition × a seed) with the experiment's `instruction` section, into the same directory `class-it run`
 * uses (so `run` later finds the work done). A rerun resumes.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { PluginRegistry } from '@class-it/core';
import { loadConfigFile } from '../config/load.js';
import { experimentSchema } from '../config/experiment.js';
import { RunDir } from '../run/run-dir.js';
import { ensureEngine } from '../run/load-model.js';
import { runInstructionTuning } from '../instruct/job.js';
import { ProgressBar } from '../progress.js';
import { ConfigError } from '@class-it/core';

interface TrainCliOptions {
  model?: string;
  condition?: string;
  seed?: string;
  base?: string;
  out?: string;
  offline?: boolean;
  backend?: string;
}

function pick<T extends { name: string }>(items: T[], wanted: string | undefined, what: string, file: string): T {
  if (wanted === undefined) {
    if (items.length === 1) return items[0]!;
    throw new ConfigError(`the experiment has ${items.length} ${what}s (${items.map((i) => i.name).join(', ')}): choose one with --${what}`, { file });
  }
  const found = items.find((i) => i.name === wanted);
  if (!found) throw new ConfigError(`no ${what} named '${wanted}' (have: ${items.map((i) => i.name).join(', ')})`, { file });
  return found;
}

export function registerTrain(program: Command, getRegistry: () => Promise<PluginRegistry>): void {
  program
    .command('train')
    .description('instruction-tune a base checkpoint with the experiment\'s datasets and a condition\'s curriculum; rerun to resume')
    .argument('<experiment>', 'experiment file (YAML or JSON) with an `instruction` section')
    .option('--model <name>', 'model of the experiment (needed when it has several)')
    .option('--condition <name>', 'condition (curriculum) of the experiment (needed when it has several)')
    .option('--seed <n>', 'seed (default: the experiment\'s first)')
    .option('--base <dir>', 'base checkpoint directory (default: the model\'s checkpoint, or its pretrained final/)')
    .option('--out <dir>', 'output directory (default: the cell\'s train/ directory in the run directory)')
    .option('--offline', 'use the download cache only (no network)')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu (default: the experiment\'s)')
    .action(async (file: string, opts: TrainCliOptions) => {
      const { value: exp, baseDir } = await loadConfigFile(file, experimentSchema);
      const model = pick(exp.models, opts.model, 'model', file);
      const condition = pick(exp.conditions, opts.condition, 'condition', file);
      const seed = opts.seed === undefined ? exp.seeds[0]! : Number(opts.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new ConfigError(`--seed must be a non-negative integer, got '${opts.seed}'`);
      const runDir = new RunDir(path.resolve(exp.runsDir, exp.name));
      const base = opts.base ? path.resolve(opts.base)
        : model.checkpoint ? path.resolve(baseDir, model.checkpoint)
        : path.join(runDir.pretrainDir(model.name), 'final');
      const outDir = opts.out ? path.resolve(opts.out) : runDir.trainDir({ model: model.name, condition: condition.name, seed });
      const registry = await getRegistry();
      const backend = await ensureEngine(registry, opts.backend ?? exp.backend);
      if (!exp.instruction) throw new ConfigError('the experiment has no `instruction` section (datasets, formatting, trainer)', { file, field: 'instruction' });
      const instruction: Record<string, unknown> = opts.offline ? { ...exp.instruction, offline: true } : exp.instruction;
      let bar: ProgressBar | undefined;
      let stage = '';
      const result = await runInstructionTuning(registry, {
        baseDir: base, condition, instruction, seed, outDir, baseDirOfExperiment: baseDir, backend,
        log: (line) => console.error(line),
        onStage: (name, step, total) => {
          if (name !== stage || !bar) {
            bar?.finish();
            stage = name;
            bar = new ProgressBar({ label: `train ${name}`, total, logEverySeconds: 30 });
          }
          bar.update(step);
        },
      });
      bar?.finish();
      const s = result.summary;
      console.log(s
        ? `instruction-tuned (${condition.curriculum}, seed ${seed}) on ${s.backend}: ${s.steps} steps, ${s.wordsSeen} words seen in total, ` +
          `loss ${s.finalLoss.toFixed(4)}${s.evalLoss !== undefined ? `, held-out reply loss ${s.evalLoss.toFixed(4)}` : ''} -> ${result.modelDir}`
        : `no instruction tuning (${condition.curriculum}): the model is ${result.modelDir}`);
    });
}
