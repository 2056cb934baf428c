/**
 * The experiment file: a grid of models × conditions × seeds, what to train and what to evaluate.
 * Plugin-specific sections (dataset settings, curriculum settings, evaluator settings) are validated by the
 * plugins themselves; this schema checks the shape around them.
 */
import { z } from 'zod';
import { instructionTuningSchema } from '../instruct/schema.js';
import { seedSchema } from './values.js';
import { pretrainSettingsSchema } from '../pretrain/settings.js';

const settings = z.record(z.string(), z.unknown()).default({});

export const modelSchema = z.strictObject({
  /** Name used in cell names and reports. */
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, dash or underscore'),
  /** An existing checkpoint directory (HF layout), or a Hub model `hf://<owner>/<name>[@revision]` (downloaded into the
   *  instruction section's cacheDir, default .cache/class-it beside this file), or ... */
  checkpoint: z.string().optional(),
  /** ... pretrain one from scratch first (shared by every condition and seed of this model unless `pretrainPerSeed`). The same settings,
   *  with the same defaults, as the flags of `class-it pretrain`. */
  pretrain: pretrainSettingsSchema.optional(),
  /** With `pretrain`: pretrain one base model per seed of the experiment (seeded by it, in `models/<name>/pretrain-seed<n>/`),
   *  so that seeds vary the whole model, not only instruction tuning. Default (absent): one pretraining per model, seeded
   *  by the experiment's first seed and shared by every condition and seed. */
  pretrainPerSeed: z.boolean().optional(),
  /** Only evaluate this model as it is, never instruction-tune it (e.g. a released model, `checkpoint: hf://...`, as an
   *  anchor of the grid): ONE cell, under the condition named here (one whose curriculum trains nothing, such as
   *  `baseline`: checked at validation) with the experiment's first seed. A fixed checkpoint is the same model in every
   *  seed, so further cells would only evaluate it again (identical zero-shot scores). */
  evaluateOnly: z.string().min(1).optional(),
}).refine((m) => Boolean(m.checkpoint) !== Boolean(m.pretrain), { message: 'give exactly one of checkpoint or pretrain' })
  .refine((m) => !m.pretrainPerSeed || Boolean(m.pretrain), { message: 'pretrainPerSeed needs pretrain (a checkpoint is one model for every seed)', path: ['pretrainPerSeed'] })
  .refine((m) => m.evaluateOnly === undefined || Boolean(m.checkpoint), { message: 'evaluateOnly needs checkpoint (the model evaluated as it is)', path: ['evaluateOnly'] });

export const conditionSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, dash or underscore'),
  /** A curriculum plugin: baseline, merged, sequential, hybrid, ... */
  curriculum: z.string(),
  settings,
});

/** A task whose data may be absent (not redistributed, e.g. entity tracking): recorded as skipped, with the reason,
 *  instead of failing validation. Absent means required. */
const optionalTask = z.boolean().optional();

export const zeroShotTaskSchema = z.strictObject({
  task: z.string(),
  /** Data directory, relative to `evaluation.dataDir` (or absolute). */
  data: z.string(),
  fast: z.boolean().default(true),
  settings,
  optional: optionalTask,
  /** Also run on every `chck_*M` checkpoint of the cell (learning curves): `true` with the same data, or the data
   *  directory to use there (e.g. the fast subset, as BabyLM does for intermediate checkpoints). */
  checkpoints: z.union([z.boolean(), z.string()]).default(false),
});

export const finetuneTaskSchema = z.strictObject({
  task: z.string(),
  data: z.string(),
  settings,
  optional: optionalTask,
});

export const evaluationSchema = z.strictObject({
  /** Root of the BabyLM evaluation data (relative to the experiment file). */
  dataDir: z.string(),
  zeroShot: z.array(zeroShotTaskSchema).default([]),
  finetune: z.array(finetuneTaskSchema).default([]),
});

/** A prompt whose greedy answer the report shows for every condition: a user message (through the model's chat
 *  template), `{ prompt }` (raw text, no template) or `{ messages }` (a conversation). */
export const sampleSchema = z.union([
  z.string().min(1),
  z.strictObject({ prompt: z.string().min(1) }),
  z.strictObject({ messages: z.array(z.strictObject({ role: z.string(), content: z.string() })).min(1) }),
]);

export const reportSchema = z.strictObject({
  samples: z.array(sampleSchema).default([]),
  /** New tokens per answer at most. */
  maxNewTokens: z.number().int().min(1).max(1024).default(64),
});

export const experimentSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, dash or underscore'),
  description: z.string().optional(),
  /** One cell per seed. */
  seeds: z.array(seedSchema).min(1).default([42]),
  backend: z.string().default('auto'),
  /** Where run directories go (relative to the working directory). */
  runsDir: z.string().default('runs'),
  models: z.array(modelSchema).min(1),
  /** Instruction-tuning setup shared by all conditions (datasets, formatting, trainer). */
  instruction: instructionTuningSchema.optional(),
  conditions: z.array(conditionSchema).min(1),
  evaluation: evaluationSchema,
  /** What the report shows besides scores: `samples`, prompts each cell answers (greedy). */
  report: reportSchema.optional(),
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
  exp.models.forEach((m, i) => {
    if (m.evaluateOnly !== undefined && !exp.conditions.some((c) => c.name === m.evaluateOnly)) {
      ctx.addIssue({ code: 'custom', path: ['models', i, 'evaluateOnly'], message: `no condition named '${m.evaluateOnly}' (conditions: ${exp.conditions.map((c) => c.name).join(', ')})` });
    }
  });
});

export type Experiment = z.infer<typeof experimentSchema>;
export type ModelSpec = z.infer<typeof modelSchema>;
export type ConditionSpec = z.infer<typeof conditionSchema>;
export type ReportSpec = z.infer<typeof reportSchema>;
export type SampleSpec = z.infer<typeof sampleSchema>;
