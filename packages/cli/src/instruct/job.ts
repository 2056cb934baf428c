/**
 * The instruction-tuning job: base checkpoint + the experiment's instruction data + curriculum → trained checkpoint.
 *
 *   1. the datasets were loaded and split (held-out examples) once per experiment run (`InstructionData`);
 *   2. the condition's curriculum plans the stages (seeded; one that does not train → the base is returned as is);
 *   3. load the base through the architecture that knows its `model_type`; choose the chat template (role tokens);
 *   4. format stages into token sequences with per-token loss weights (reply-only or all) and truncation, with the
 *      formatter shared by every cell of this base model (each example is tokenised once per run);
 *   5. count words (pretraining + this run) and refuse the run if it exceeds the budget, before training;
 *   6. the runtime's trainer trains stage by stage (milestone checkpoints `chck_{N}M` by absolute words seen);
 *   7. the final directory gets `words-ledger.json` and the chat template in `tokenizer_config.json`.
 * Writes `instruct.json` (plan, statistics, ledger, summary) into `outDir`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { InstructionExample } from '@class-it/core';
import type { TrainingStage } from '@class-it/core';
import type { TrainerSettings, TrainingSequence, TrainingStageData, TrainingSummary } from '@class-it/core';
import type { PluginRegistry } from '@class-it/core';
import { ConfigError } from '@class-it/core';
import { writeJsonAtomic } from '@class-it/core';
import { type FormatStats } from '@class-it/instruct';
import { formatStages } from '@class-it/instruct';
import { babyLmMilestones, parseMilestoneName } from '@class-it/core';
import { LEDGER_FILE, PhaseCounter, checkBudget, readLedger, writeLedger, writeMilestoneLedgers, type LedgerPhase, type WordLedgerFile } from '@class-it/instruct';
import { loadModel } from '../run/load-model.js';
import type { InstructionTuningConfig } from './schema.js';
import type { InstructionData } from './data.js';
import { chooseTemplate } from '@class-it/instruct';

/** A condition of the experiment: a curriculum plugin and its settings. */
export interface InstructionCondition {
  name: string;
  curriculum: string;
  settings: Record<string, unknown>;
}

export interface InstructionTuneArgs {
  /** The checkpoint instruction tuning starts from (HF layout). */
  baseModelDir: string;
  condition: InstructionCondition;
  /** The experiment's instruction data: its parsed `instruction` section with every dataset loaded and split, once
   *  per experiment run (`InstructionData.load`), shared by its cells. */
  data: InstructionData;
  seed: number;
  outDir: string;
  log: (line: string) => void;
  onStage?: (stage: string, step: number, total: number) => void;
  backend?: string;
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

/** Whether the condition's curriculum trains at all with its settings (validated); no data is needed to ask. */
export function conditionTrains(registry: PluginRegistry, condition: InstructionCondition): boolean {
  return registry.get('curriculum', condition.curriculum).trains(condition.settings);
}

/** The condition's training stages over the shared training examples (seeded by the cell's seed; no model needed). */
export function planStages(registry: PluginRegistry, data: InstructionData, condition: InstructionCondition, seed: number): TrainingStage[] {
  return registry.get('curriculum', condition.curriculum).plan({ datasets: { ...data.train }, settings: condition.settings, seed });
}

/**
 * Words of the base checkpoint's pretraining: config > its words-ledger.json > ../pretrain.json > none. A
 * `chck_{N}M` milestone is read from its own ledger only: ../pretrain.json holds the whole run's words, not its.
 */
export async function pretrainingWords(baseModelDir: string, config: InstructionTuningConfig | undefined, log: (l: string) => void): Promise<LedgerPhase[]> {
  if (config?.budget.pretraining) return [{ name: 'pretraining', ...config.budget.pretraining }];
  const ledger = await readLedger(baseModelDir);
  if (ledger) return ledger.phases;
  if (parseMilestoneName(path.basename(baseModelDir)) !== undefined) {
    throw new ConfigError(`${baseModelDir} is a milestone checkpoint without its own words ledger (${LEDGER_FILE}); the run's ../pretrain.json counts ` +
      `the whole run, not this checkpoint — set instruction.budget.pretraining to its words`, { file: baseModelDir });
  }
  try {
    const info = JSON.parse(await fs.readFile(path.join(baseModelDir, '..', 'pretrain.json'), 'utf8')) as { corpusWords?: number; summary?: { wordsSeen?: number } };
    if (typeof info.corpusWords === 'number' && typeof info.summary?.wordsSeen === 'number') {
      return [{ name: 'pretraining', uniqueWords: info.corpusWords, wordsSeen: info.summary.wordsSeen }];
    }
  } catch {
    // not a checkpoint from class-it pretraining
  }
  log(`WARNING: ${baseModelDir} does not say how many words it was pretrained on (no words-ledger.json or pretrain.json); ` +
    `the ledger counts this run only — set instruction.budget.pretraining to include them`);
  return [];
}

function trainerSettings(config: InstructionTuningConfig, seed: number): TrainerSettings {
  const { optimizer, ...trainer } = config.trainer;
  // Every epoch after a stage's first is reshuffled (seeded, stage-local), as HF Trainer's sampler does.
  return { ...trainer, seed, reshuffleEpochs: true, optimizerBetweenStages: optimizer, milestoneWords: config.milestones ? babyLmMilestones() : [] };
}

/**
 * The words of a cell's instruction tuning: each example of the data (the same object however many stages and epochs
 * present it; two examples with the same text are two, the BabyLM rule) counts once as unique words, and its words
 * times its stage's epochs as words seen. `wordsOf` gives an example's words (undefined: not trained on, e.g.
 * dropped by formatting): the job counts its formatted sequences, validation the examples' own words.
 */
export function countInstructionWords(condition: string, stages: TrainingStage[], wordsOf: (example: InstructionExample) => number | undefined): LedgerPhase {
  const counter = new PhaseCounter(`instruction-tuning:${condition}`);
  for (const stage of stages) {
    for (const example of stage.examples) {
      const words = wordsOf(example);
      if (words !== undefined) counter.add('', stage.epochs, words, example);
    }
  }
  return counter.counts();
}

/** The formatting statistics added since `before` (the formatter is shared by cells, its counters are not). */
function statsSince(now: FormatStats, before: FormatStats): FormatStats {
  const out = { ...now };
  for (const key of Object.keys(out) as Array<keyof FormatStats>) out[key] -= before[key];
  return out;
}

export async function runInstructionTuning(registry: PluginRegistry, args: InstructionTuneArgs): Promise<InstructionTuningResult> {
  const { log, data } = args;
  const { config } = data;
  const stages = planStages(registry, data, args.condition, args.seed);
  const stageInfo = stages.map((s) => ({ name: s.name, examples: s.examples.length, sequences: 0, epochs: s.epochs, schedule: s.schedule }));
  if (stages.length === 0) {
    log(`curriculum ${args.condition.curriculum}: no stages, the base model is used as it is`);
    const result: InstructionTuningResult = { modelDir: args.baseModelDir, stages: [] };
    await writeJsonAtomic(path.join(args.outDir, INSTRUCT_RECORD), { condition: args.condition, seed: args.seed, ...result });
    return result;
  }
  log(`curriculum ${args.condition.curriculum}: ${stages.map((s) => `${s.name} (${s.examples.length} examples × ${s.epochs} epochs, schedule ${s.schedule})`).join(' → ')}`);

  const model = await loadModel(registry, args.baseModelDir, args.backend);
  try {
    const template = await chooseTemplate(config.formatting.template, model, args.baseModelDir, log);
    const formatter = data.formatterFor(args.baseModelDir, model.tokenizer, template);
    const bucketing = config.formatting.bucketing
      ? { batchSize: config.trainer.batchSize, windowBatches: config.formatting.bucketing.windowBatches, seed: args.seed }
      : undefined;
    const statsBefore = { ...formatter.stats };
    const stageData: TrainingStageData[] = formatStages(stages, formatter, { bucketing });
    stageData.forEach((s, i) => {
      stageInfo[i]!.sequences = s.sequences.length;
      if (s.sequences.length === 0) throw new ConfigError(`stage '${s.name}' has no sequences left after formatting (all too long or without reply tokens)`, { field: 'instruction.formatting' });
    });
    const trainStats = statsSince(formatter.stats, statsBefore);
    const evalSequences: TrainingSequence[] = Object.values(data.heldOut).flat().map((e) => formatter.format(e)).filter((s) => s !== undefined);
    log(`formatting: ${trainStats.sequences} sequences (${trainStats.truncated} truncated, ${trainStats.droppedTooLong} too long, ` +
      `${trainStats.droppedNoLoss} without reply tokens dropped), ${trainStats.lossTokens}/${trainStats.tokens} tokens with loss (${config.formatting.lossOn}); ` +
      `${evalSequences.length} held-out sequences`);

    // The words ledger, checked before any training.
    const phases = await pretrainingWords(args.baseModelDir, config, log);
    const words = countInstructionWords(args.condition.name, stages, (example) => formatter.format(example)?.words);
    const total = checkBudget([...phases, words], config.budget);
    const wordsSeenBefore = phases.reduce((n, p) => n + p.wordsSeen, 0);
    log(`words: ${words.uniqueWords} unique, ${words.wordsSeen} seen in this run; ${total.uniqueWords} unique and ${total.wordsSeen} seen in total ` +
      `(budget ${config.budget.maxUniqueWords} / ${config.budget.maxWordsSeen})`);

    // Train.
    const summary = await registry.runtime().trainer().train(model, stageData, trainerSettings(config, args.seed), {
      outDir: args.outDir,
      evalSequences,
      wordsSeenBefore,
      log,
      onProgress: (p) => args.onStage?.(p.stage, p.step, p.totalSteps),
    });

    // What the final checkpoint carries besides the weights.
    const ledger = await writeLedger(summary.finalDir, [...phases, { ...words, wordsSeen: summary.wordsSeen - wordsSeenBefore }], config.budget);
    await writeMilestoneLedgers(summary.milestoneDirs, phases, { ...words, wordsSeen: summary.wordsSeen - wordsSeenBefore }, config.budget);
    await attachChatTemplate(summary.finalDir, template.source);
    const result: InstructionTuningResult = { modelDir: summary.finalDir, stages: stageInfo, formatStats: trainStats, ledger, summary };
    await writeJsonAtomic(path.join(args.outDir, INSTRUCT_RECORD), {
      condition: args.condition, seed: args.seed, template: template.name, formatting: config.formatting,
      skippedRows: Object.fromEntries(Object.entries(data.datasets).map(([k, d]) => [k, d.skipped.length])),
      ...(Object.keys(data.textRendering).length ? { textRendering: data.textRendering } : {}), ...result,
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
