/**
 * The `instruction` section of an experiment file: which datasets, how examples become token sequences, the
 * trainer settings, the held-out split and the word budget. The curriculum and its settings come from the
 * experiment's condition. Everything has a default except `datasets`.
 *
 *   instruction:
 *     datasets:
 *       conversational: { plugin: switchboard, settings: { path: data/demo/conversational.jsonl } }
 *       qa:             { plugin: simple_wiki, settings: { hub: hf://datasets/colinglab/CLASS_IT/simple_wiki } }
 *     formatting: { template: auto, lossOn: reply, truncation: left }   # render: text trains on each row's own `text`
 *     trainer: { learningRate: 1e-4, batchSize: 8, sequenceLength: 256 }
 *     budget: { maxUniqueWords: 100000000, maxWordsSeen: 1000000000 }
 */
import { z } from 'zod';
import { formattingSchema } from '@class-it/instruct';
import { seedSchema } from '../config/values.js';
import { optimizerFields, type OptimizerDefaults } from '../config/optimizer.js';

const name = z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, dash or underscore');

export const datasetEntrySchema = z.strictObject({
  /** A dataset plugin: switchboard, simple_wiki, chat-jsonl, sharegpt, dialogue-transcript, alpaca, squad, ... */
  plugin: z.string().min(1),
  /** The plugin's settings (source: path | url | hub, plus its own fields). */
  settings: z.record(z.string(), z.unknown()).default({}),
  /** Overrides the section-wide bad-row policy for this dataset. */
  badRows: z.enum(['fail', 'skip']).optional(),
  /** Overrides `formatting.render` for this dataset: `text` trains on the dataset's own `text` column, `template` on
   *  the chat template's rendering. */
  render: z.enum(['template', 'text']).optional(),
  /** The size of a remote dataset as published, for planning before it is downloaded (`run --dry-run` offline): its
   *  examples and an upper bound of its BabyLM words. Once the data is there, validation checks it against them
   *  (another number of examples, or more words, is an error), so a plan made from them cannot be wrong unnoticed. */
  expected: z.strictObject({ examples: z.number().int().positive(), words: z.number().int().positive() }).optional(),
});

/** Instruction tuning's optimizer defaults (HF Trainer's AdamW betas, a short warm-up, light weight decay). */
export const INSTRUCTION_OPTIMIZER_DEFAULTS: OptimizerDefaults = {
  learningRate: 1e-4, minLearningRateRatio: 0.1, warmupFraction: 0.03, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, gradClip: 1,
};

export const instructionTrainerSchema = z.strictObject({
  ...optimizerFields(INSTRUCTION_OPTIMIZER_DEFAULTS),
  batchSize: z.number().int().positive().default(8),
  gradAccumulation: z.number().int().positive().default(1),
  sequenceLength: z.number().int().min(2).default(256),
  packing: z.boolean().default(false),
  maxSteps: z.number().int().positive().optional(),
  dropout: z.number().min(0).max(1).optional(),
  /** The AdamW state at the start of each stage after the first (sequential / hybrid curricula): `keep` its moments
   *  (default: one optimizer over the whole run, as one HF Trainer run over concatenated stages), or `reset` them
   *  to zero (as a separate fine-tuning run per stage). The learning-rate schedule is the curriculum's `schedule`. */
  optimizer: z.enum(['keep', 'reset']).default('keep'),
  checkpointEverySteps: z.number().int().positive().default(200),
  evalEverySteps: z.number().int().positive().default(100),
});

export const budgetSchema = z.strictObject({
  maxUniqueWords: z.number().int().positive().default(100_000_000),
  maxWordsSeen: z.number().int().positive().default(1_000_000_000),
  /** Words of the base model's pretraining, when its checkpoint does not say (no words-ledger.json/pretrain.json). */
  pretraining: z.strictObject({ uniqueWords: z.number().int().nonnegative(), wordsSeen: z.number().int().nonnegative() }).optional(),
});

export const instructionTuningSchema = z.strictObject({
  datasets: z.record(name, datasetEntrySchema).refine((d) => Object.keys(d).length > 0, { message: 'configure at least one dataset' }),
  formatting: formattingSchema.prefault({}),
  trainer: instructionTrainerSchema.prefault({}),
  /** Examples per dataset held out for the evaluation loss on replies (never trained on); the split uses its own seed. */
  heldOut: z.strictObject({ perDataset: z.number().int().nonnegative().default(32), seed: seedSchema.default(0) }).prefault({}),
  budget: budgetSchema.prefault({}),
  /** Save `chck_{N}M` checkpoints at the BabyLM words-seen milestones. */
  milestones: z.boolean().default(true),
  /** Download cache (relative to the experiment file). */
  cacheDir: z.string().default('.cache/class-it'),
  /** Base URL of the Hugging Face Hub (default: HF_ENDPOINT or https://huggingface.co), e.g. a mirror. */
  hubEndpoint: z.string().url().optional(),
  /** Never touch the network: use the download cache only. */
  offline: z.boolean().default(false),
  badRows: z.enum(['fail', 'skip']).default('fail'),
});

export type InstructionTuningConfig = z.infer<typeof instructionTuningSchema>;
export type InstructionTrainerConfig = z.infer<typeof instructionTrainerSchema>;
