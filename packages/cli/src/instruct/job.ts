/**
 * The instruction-tuning job: base checkpoint + datasets + curriculum → trained checkpoint.
 *
 *   1. load every configured dataset through its plugin (bad rows fail or are skipped and counted);
 *   2. hold out `heldOut.perDataset` examples of each for the evaluation loss on replies (never trained on);
 *   3. the condition's curriculum plans the stages (seeded; baseline plans none → the base is returned as is);
 *   4. load the base through the architecture that knows its `model_type`; choose the chat template (role tokens);
 *   5. format stages into token sequences with per-token loss weights (reply-only or all) and truncation;
 *   6. count words (pretraining + this run) and refuse the run if it exceeds the budget, before training;
 *   7. the runtime's trainer trains stage by stage (milestone checkpoints `chck_{N}M` by absolute words seen);
 *   8. the final directory gets `words-ledger.json` and the chat template in `tokenizer_config.json`.
 * Writes `instruct.json` (plan, statistics, ledger, summary) into `outDir`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { InstructionExample, LoadedDataset } from '@class-it/core';
import type { TrainingStage } from '@class-it/core';
import type { TrainerSettings, TrainingSequence, TrainingStageData, TrainingSummary } from '@class-it/core';
import type { PluginRegistry } from '@class-it/core';
import { ConfigError } from '@class-it/core';
import { writeJsonAtomic } from '@class-it/core';
import { Random } from '@class-it/core';
import { parseSettings } from '@class-it/core';
import { ExampleFormatter, type FormatStats } from '@class-it/instruct';
import { formatStages } from '@class-it/instruct';
import { babyLmMilestones } from '@class-it/core';
import { PhaseCounter, checkBudget, readLedger, writeLedger, type LedgerPhase, type WordLedgerFile } from '@class-it/instruct';
import { loadModel } from '../run/load-model.js';
import { instructionTuningSchema, type InstructionTuningConfig } from './schema.js';
import { chooseTemplate } from '@class-it/instruct';

export interface InstructionTuneArgs {
  baseDir: string;
  condition: { name: string; curriculum: string; settings: Record<string, unknown> };
  /** The experiment's `instruction` section (validated here with `instructionTuningSchema`). */
  instruction: Record<string, unknown>;
  seed: number;
  outDir: string;
  /** Directory of the experiment file: relative dataset paths and the cache dir resolve against it. */
  baseDirOfExperiment: string;
  log: (line: string) => void;
  onStage?: (stage: string, step: number, total: number) => void;
  backend?: string;
}

export interface InstructionDataPlan {
  config: InstructionTuningConfig;
  datasets: Record<string, LoadedDataset>;
  heldOut: Record<string, InstructionExample[]>;
  stages: TrainingStage[];
}

export interface InstructionTuningResult {
  /** The model directory to evaluate: the trained final model, or the base itself when nothing was trained. */
  modelDir: string;
  stages: Array<{ name: string; examples: number; sequences: number; epochs: number; schedule: string }>;
  formatStats?: FormatStats;
  ledger?: WordLedgerFile;
  summary?: TrainingSummary;
}

export const INSTRUCT_RECORD = 'instruct.json';

/** Steps 1-3: load, hold out and plan (no model needed). */
export async function planInstructionData(registry: PluginRegistry, args: Pick<InstructionTuneArgs, 'condition' | 'instruction' | 'seed' | 'baseDirOfExperiment' | 'log'>): Promise<InstructionDataPlan> {
  const config = parseSettings(instructionTuningSchema, args.instruction, 'instruction');
  const curriculum = registry.get('curriculum', args.condition.curriculum);
  const datasets: Record<string, LoadedDataset> = {};
  const heldOut: Record<string, InstructionExample[]> = {};
  const train: Record<string, InstructionExample[]> = {};
  for (const [name, entry] of Object.entries(config.datasets)) {
    if (!registry.has('dataset', entry.plugin)) {
      throw new ConfigError(`unknown dataset plugin '${entry.plugin}' (installed: ${registry.list('dataset').map((p) => p.name).join(', ') || 'none'})`, { field: `instruction.datasets.${name}.plugin` });
    }
    const loaded = await registry.get('dataset', entry.plugin).load({
      settings: entry.settings,
      baseDir: args.baseDirOfExperiment,
      cacheDir: path.resolve(args.baseDirOfExperiment, config.cacheDir),
      offline: config.offline,
      badRows: entry.badRows ?? config.badRows,
      hubEndpoint: config.hubEndpoint,
    });
    datasets[name] = loaded;
    const n = loaded.examples.length;
    if (n === 0) throw new ConfigError(`dataset '${name}' (${entry.plugin}) has no examples`, { field: `instruction.datasets.${name}` });
    const hold = Math.min(config.heldOut.perDataset, Math.floor(n / 5));
    const order = Random.derive(config.heldOut.seed, `held-out:${name}`).shuffle(loaded.examples.map((_, i) => i));
    const held = new Set(order.slice(0, hold));
    heldOut[name] = loaded.examples.filter((_, i) => held.has(i));
    train[name] = loaded.examples.filter((_, i) => !held.has(i));
    args.log(`dataset ${name} (${entry.plugin}): ${n} examples, ${hold} held out` +
      (loaded.skipped.length ? `, ${loaded.skipped.length} bad rows skipped (first: ${loaded.skipped[0]!.where}: ${loaded.skipped[0]!.reason})` : ''));
  }
  const stages = curriculum.plan({ datasets: train, settings: args.condition.settings, seed: args.seed });
  return { config, datasets, heldOut, stages };
}

/** Words of the base checkpoint's pretraining: config > words-ledger.json > ../pretrain.json > none. */
export async function pretrainingWords(baseDir: string, config: InstructionTuningConfig, log: (l: string) => void): Promise<LedgerPhase[]> {
  if (config.budget.pretraining) return [{ name: 'pretraining', ...config.budget.pretraining }];
  const ledger = await readLedger(baseDir);
  if (ledger) return ledger.phases;
  try {
    const info = JSON.parse(await fs.readFile(path.join(baseDir, '..', 'pretrain.json'), 'utf8')) as { corpusWords?: number; summary?: { wordsSeen?: number } };
    if (typeof info.corpusWords === 'number' && typeof info.summary?.wordsSeen === 'number') {
      return [{ name: 'pretraining', uniqueWords: info.corpusWords, wordsSeen: info.summary.wordsSeen }];
    }
  } catch {
    // not a checkpoint from class-it pretraining
  }
  log(`WARNING: ${baseDir} does not say how many words it was pretrained on (no words-ledger.json or pretrain.json); ` +
    `the ledger counts this run only — set instruction.budget.pretraining to include them`);
  return [];
}

function trainerSettings(config: InstructionTuningConfig, seed: number): TrainerSettings {
  return { ...config.trainer, seed, milestoneWords: config.milestones ? babyLmMilestones() : [] };
}

function exampleKey(e: InstructionExample): string {
  return e.kind === 'prompt-reply' ? `p\u0000${e.prompt}\u0000${e.reply}` : e.kind === 'text' ? `t\u0000${e.text}` : `m\u0000${JSON.stringify(e.messages)}`;
}

export async function runInstructionTuning(registry: PluginRegistry, args: InstructionTuneArgs): Promise<InstructionTuningResult> {
  const { log } = args;
  const plan = await planInstructionData(registry, args);
  const { config, stages } = plan;
  const stageInfo = stages.map((s) => ({ name: s.name, examples: s.examples.length, sequences: 0, epochs: s.epochs, schedule: s.schedule }));
  if (stages.length === 0) {
    log(`curriculum ${args.condition.curriculum}: no stages, the base model is used as it is`);
    const result: InstructionTuningResult = { modelDir: args.baseDir, stages: [] };
    await writeJsonAtomic(path.join(args.outDir, INSTRUCT_RECORD), { condition: args.condition, seed: args.seed, ...result });
    return result;
  }
  log(`curriculum ${args.condition.curriculum}: ${stages.map((s) => `${s.name} (${s.examples.length} examples × ${s.epochs} epochs, schedule ${s.schedule})`).join(' → ')}`);

  const model = await loadModel(registry, args.baseDir, args.backend);
  try {
    const template = await chooseTemplate(config.formatting.template, model, args.baseDir, log);
    const formatter = new ExampleFormatter(model.tokenizer, template, {
      lossOn: config.formatting.lossOn,
      truncation: config.formatting.truncation,
      maxLength: Math.min(config.formatting.maxLength ?? config.trainer.sequenceLength, config.trainer.sequenceLength),
      systemPrompt: config.formatting.systemPrompt,
    });
    const bucketing = config.formatting.bucketing
      ? { batchSize: config.trainer.batchSize, windowBatches: config.formatting.bucketing.windowBatches, seed: args.seed }
      : undefined;
    const stageData: TrainingStageData[] = formatStages(stages, formatter, { bucketing });
    stageData.forEach((s, i) => {
      stageInfo[i]!.sequences = s.sequences.length;
      if (s.sequences.length === 0) throw new ConfigError(`stage '${s.name}' has no sequences left after formatting (all too long or without reply tokens)`, { field: 'instruction.formatting' });
    });
    const trainStats = { ...formatter.stats };
    const evalSequences: TrainingSequence[] = Object.values(plan.heldOut).flat().map((e) => formatter.format(e)).filter((s) => s !== undefined);
    log(`formatting: ${trainStats.sequences} sequences (${trainStats.truncated} truncated, ${trainStats.droppedTooLong} too long, ` +
      `${trainStats.droppedNoLoss} without reply tokens dropped), ${trainStats.lossTokens}/${trainStats.tokens} tokens with loss (${config.formatting.lossOn}); ` +
      `${evalSequences.length} held-out sequences`);

    // 6. The words ledger, checked before any training.
    const phases = await pretrainingWords(args.baseDir, config, log);
    const counter = new PhaseCounter(`instruction-tuning:${args.condition.name}`);
    stages.forEach((stage, i) => {
      for (const example of stage.examples) {
        const seq = formatter.format(example);
        if (seq) counter.add(exampleKey(example), stageData[i]!.epochs, seq.words);
      }
    });
    const allPhases = [...phases, counter.counts()];
    const total = checkBudget(allPhases, config.budget);
    const wordsSeenBefore = phases.reduce((n, p) => n + p.wordsSeen, 0);
    log(`words: ${counter.counts().uniqueWords} unique, ${counter.counts().wordsSeen} seen in this run; ${total.uniqueWords} unique and ${total.wordsSeen} seen in total ` +
      `(budget ${config.budget.maxUniqueWords} / ${config.budget.maxWordsSeen})`);

    // 7. Train.
    const summary = await registry.runtime().trainer().train(model, stageData, trainerSettings(config, args.seed), {
      outDir: args.outDir,
      evalSequences,
      wordsSeenBefore,
      log,
      onProgress: (p) => args.onStage?.(p.stage, p.step, p.totalSteps),
    });

    // 8. What the final checkpoint carries besides the weights.
    const ledger = await writeLedger(summary.finalDir, [...phases, { ...counter.counts(), wordsSeen: summary.wordsSeen - wordsSeenBefore }], config.budget);
    await attachChatTemplate(summary.finalDir, template.source);
    const result: InstructionTuningResult = { modelDir: summary.finalDir, stages: stageInfo, formatStats: trainStats, ledger, summary };
    await writeJsonAtomic(path.join(args.outDir, INSTRUCT_RECORD), {
      condition: args.condition, seed: args.seed, template: template.name, formatting: config.formatting,
      skippedRows: Object.fromEntries(Object.entries(plan.datasets).map(([k, d]) => [k, d.skipped.length])), ...result,
    });
    return result;
  } finally {
    model.dispose();
  }
}

/** The runner's step: returns the model directory to evaluate. */
export async function instructionTune(registry: PluginRegistry, args: InstructionTuneArgs): Promise<string> {
  return (await runInstructionTuning(registry, args)).modelDir;
}

/** Put the chat template into the checkpoint's tokenizer_config.json (HF reads it from there). */
export async function attachChatTemplate(dir: string, template: string): Promise<void> {
  const file = path.join(dir, 'tokenizer_config.json');
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return;
  }
  await writeJsonAtomic(file, { ...cfg, chat_template: template });
}
