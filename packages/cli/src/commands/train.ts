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
import { conditionTrains, runInstructionTuning } from '../instruct/job.js';
import { InstructionData } from '../instruct/data.js';
import { ProgressBar } from '../progress.js';
import { ConfigError } from '@class-it/core';
import { BACKEND_HELP } from './backend-option.js';
import { DirectoryLock, FORCE_UNLOCK_HELP } from '../run/lock.js';
import { parseNumberFlag, seedSchema } from '../config/values.js';
import { experimentModelSource, pretrainingDir, pretrainingOf } from '../run/grid-steps.js';
import { resolveModelDir } from '../run/load-model.js';

interface TrainCliOptions {
  model?: string;
  condition?: string;
  seed?: string;
  base?: string;
  out?: string;
  offline?: boolean;
  backend?: string;
  forceUnlock?: boolean;
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
    .option('--base <dir>', 'base checkpoint directory or Hub model hf://<owner>/<name>[@revision] (default: the model\'s checkpoint, or its pretrained final/)')
    .option('--out <dir>', 'output directory (default: the cell\'s train/ directory in the run directory)')
    .option('--offline', 'use the download cache only (no network)')
    .option('--force-unlock', FORCE_UNLOCK_HELP)
    .option('--backend <name>', `${BACKEND_HELP} (default: the experiment's)`)
    .action(async (file: string, opts: TrainCliOptions) => {
      const { value: exp, baseDir: experimentDir } = await loadConfigFile(file, experimentSchema);
      const model = pick(exp.models, opts.model, 'model', file);
      const condition = pick(exp.conditions, opts.condition, 'condition', file);
      const seed = parseNumberFlag(opts.seed, '--seed', seedSchema) ?? exp.seeds[0]!;
      const runDir = new RunDir(path.resolve(exp.runsDir, exp.name));
      if (model.evaluateOnly !== undefined && condition.name !== model.evaluateOnly) {
        throw new ConfigError(`model '${model.name}' is evaluateOnly: its one condition is '${model.evaluateOnly}'`, { file, field: '--condition' });
      }
      const source = { ...experimentModelSource(exp, experimentDir, (line: string) => console.error(line)), ...(opts.offline ? { offline: true } : {}) };
      const baseModelDir = opts.base ? await resolveModelDir(opts.base, { ...source, baseDir: process.cwd() })
        : model.checkpoint ? await resolveModelDir(model.checkpoint, source)
        : path.join(pretrainingDir(runDir, pretrainingOf(exp, model, seed)!), 'final');
      const outDir = opts.out ? path.resolve(opts.out) : runDir.trainDir({ model: model.name, condition: condition.name, seed });
      const registry = await getRegistry();
      if (!conditionTrains(registry, condition)) {
        console.log(`no instruction tuning (${condition.curriculum}): the model is ${baseModelDir}`);
        return;
      }
      if (!exp.instruction) throw new ConfigError('the experiment has no `instruction` section (datasets, formatting, trainer)', { file, field: 'instruction' });
      using _lock = await DirectoryLock.acquire(outDir, { command: 'class-it train', forceUnlock: opts.forceUnlock });
      const backend = await ensureEngine(registry, opts.backend ?? exp.backend);
      const config = opts.offline ? { ...exp.instruction, offline: true } : exp.instruction;
      const log = (line: string) => console.error(line);
      const data = await InstructionData.load(registry, config, experimentDir, log);
      let bar: ProgressBar | undefined;
      let stage = '';
      const result = await runInstructionTuning(registry, {
        baseModelDir, condition, data, seed, outDir, backend, log,
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
