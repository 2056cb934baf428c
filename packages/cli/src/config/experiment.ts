/**
 * The experiment file: a grid of models × conditions × seeds, what to train and what to evaluate.
 * Plugin-specific sections (dataset settings, curriculum settings, evaluator settings) are validated by the
 * plugins themselves; this schema checks the shape around them.
 */
import { z } from 'zod';
import { instructionTuningSchema } from '../instruct/schema.js';

const settings = z.record(z.string(), z.unknown()).default({});

export const pretrainSchema = z.strictObject({
  /** Corpus files, directories or globs (BabyLM format: plain text, one utterance per line). */
  corpus: z.array(z.string()).min(1),
  architecture: z.string().default('gpt'),
  preset: z.string(),
  overrides: z.record(z.string(), z.unknown()).default({}),
  vocabSize: z.number().int().min(300).default(2000),
  /** An existing tokenizer directory instead of training one. */
  tokenizer: z.string().optional(),
  maxSteps: z.number().int().positive().optional(),
  epochs: z.number().positive().default(1),
  batchSize: z.number().int().positive().default(16),
  sequenceLength: z.number().int().positive().default(128),
  learningRate: z.number().positive().default(1e-3),
});

export const modelSchema = z.strictObject({
  /** Name used in cell names and reports. */
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, dash or underscore'),
  /** An existing checkpoint directory (HF layout), or ... */
  checkpoint: z.string().optional(),
  /** ... pretrain one from scratch first (shared by every condition and seed of this model). */
  pretrain: pretrainSchema.optional(),
}).refine((m) => Boolean(m.checkpoint) !== Boolean(m.pretrain), { message: 'give exactly one of checkpoint or pretrain' });

export const conditionSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, dash or underscore'),
  /** A curriculum plugin: baseline, merged, sequential, hybrid, ... */
  curriculum: z.string(),
  settings,
});

export const zeroShotTaskSchema = z.strictObject({
  task: z.string(),
  /** Data directory, relative to `evaluation.dataDir` (or absolute). */
  data: z.string(),
  fast: z.boolean().default(true),
  settings,
  /** Also run on every `chck_*M` checkpoint of the cell (learning curves): `true` with the same data, or the data
   *  directory to use there (e.g. the fast subset, as BabyLM does for intermediate checkpoints). */
  checkpoints: z.union([z.boolean(), z.string()]).default(false),
});

export const finetuneTaskSchema = z.strictObject({
  task: z.string(),
  data: z.string(),
  settings,
});

export const evaluationSchema = z.strictObject({
  /** Root of the BabyLM evaluation data (relative to the experiment file). */
  dataDir: z.string(),
  zeroShot: z.array(zeroShotTaskSchema).default([]),
  finetune: z.array(finetuneTaskSchema).default([]),
});

export const experimentSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, dash or underscore'),
  description: z.string().optional(),
  /** One cell per seed. */
  seeds: z.array(z.number().int().nonnegative()).min(1).default([42]),
  backend: z.string().default('auto'),
  /** Where run directories go (relative to the working directory). */
  runsDir: z.string().default('runs'),
  models: z.array(modelSchema).min(1),
  /** Instruction-tuning setup shared by all conditions (datasets, formatting, trainer). */
  instruction: instructionTuningSchema.optional(),
  conditions: z.array(conditionSchema).min(1),
  evaluation: evaluationSchema,
}).superRefine((exp, ctx) => {
  const dup = (names: string[], where: string) => {
    const seen = new Set<string>();
    names.forEach((n, i) => {
      if (seen.has(n)) ctx.addIssue({ code: 'custom', path: [where, i, 'name'], message: `duplicate name '${n}'` });
      seen.add(n);
    });
  };
  dup(exp.models.map((m) => m.name), 'models');
  dup(exp.conditions.map((c) => c.name), 'conditions');
});

export type Experiment = z.infer<typeof experimentSchema>;
export type ModelSpec = z.infer<typeof modelSchema>;
export type ConditionSpec = z.infer<typeof conditionSchema>;
