/**
 * Pretraining settings: ONE schema, and so one set of defaults, for the `pretrain:` section of an experiment file
 * and the flags of `class-it pretrain` (both are parsed with it), so the same values give the same tokenizer and
 * the same training either way.
 *
 * Fields without a default are derived when absent: `vocabSize` from the preset's `vocab_size` (else 2000),
 * `addBos` from the architecture (LLaMA yes, GPT no: its plugin's `defaultAddBos`), `sequenceLength` from the
 * model's context length, `maxSteps` from `epochs`, and the checkpoint / evaluation intervals from the number of
 * optimizer steps (see `pretrain.ts`).
 */
import { z } from 'zod';
import { optimizerFields, type OptimizerDefaults } from '../config/optimizer.js';
import { vocabSizeSchema } from '../config/values.js';

/** Pretraining's optimizer defaults (GPT-style AdamW: beta2 0.95, weight decay 0.1, 2 % warm-up). */
export const PRETRAIN_OPTIMIZER_DEFAULTS: OptimizerDefaults = {
  learningRate: 1e-3, minLearningRateRatio: 0.1, warmupFraction: 0.02, weightDecay: 0.1, beta1: 0.9, beta2: 0.95, epsilon: 1e-8, gradClip: 1,
};

/** Vocabulary of a trained tokenizer when neither the settings nor the preset give one. */
export const FALLBACK_VOCAB_SIZE = 2000;

export const pretrainSettingsSchema = z.strictObject({
  /** Corpus files, directories or globs (BabyLM format: plain text, one utterance per line), or remote corpora
   *  `hf://datasets/<owner>/<name>/<config>` (the `text` column of its `train` parquet files, downloaded when
   *  pretraining starts; the form is checked offline). */
  corpus: z.array(z.string().min(1)).min(1),
  /** Use only the corpus's first lines, up to this many BabyLM words (deterministic: file order, no sampling), so
   *  that corpus + instruction data fit the word budget. Required for a remote corpus in an experiment (its size is
   *  then known before it is downloaded). */
  maxWords: z.number().int().positive().optional(),
  /** Download cache of remote corpora (relative to the working directory, or to the experiment file). */
  cacheDir: z.string().min(1).default('.cache/class-it'),
  /** Architecture plugin. */
  architecture: z.string().min(1).default('gpt'),
  /** The architecture's preset, e.g. gpt-tiny, gpt-10m, llama-140m. */
  preset: z.string().min(1),
  /** Architecture config fields overriding the preset (HF names). */
  overrides: z.record(z.string(), z.unknown()).default({}),
  /** Vocabulary of the trained tokenizer (default: the preset's `vocab_size`, else 2000). */
  vocabSize: vocabSizeSchema.optional(),
  /** The trained tokenizer puts BOS before every sequence (LLaMA style: distinct `<s>`, `</s>`, `<pad>`); without it,
   *  GPT-2 style (`<|endoftext|>` is BOS and EOS, `<|pad|>` pads). Default: the architecture's (llama true, gpt
   *  false). With `tokenizer`, it must agree with what that tokenizer does. See `pretrainSpecialTokens`. */
  addBos: z.boolean().optional(),
  /** An existing tokenizer directory instead of training one. */
  tokenizer: z.string().min(1).optional(),
  /** Passes over the corpus; a fraction stops part-way through the last one. */
  epochs: z.number().positive().default(1),
  /** Stop after this many optimizer steps (at most the steps `epochs` gives). */
  maxSteps: z.number().int().positive().optional(),
  /** Sequences per micro-batch. */
  batchSize: z.number().int().positive().default(16),
  /** Micro-batches per optimizer step. */
  gradAccumulation: z.number().int().positive().default(1),
  /** Tokens per training sequence (default: the model's context length). */
  sequenceLength: z.number().int().min(2).optional(),
  ...optimizerFields(PRETRAIN_OPTIMIZER_DEFAULTS),
  /** Dropout during training (default: the architecture config's). */
  dropout: z.number().min(0).max(1).optional(),
  /** Fraction of sequences held out for the eval loss (at most 256 sequences; 0 = none). */
  evalFraction: z.number().min(0).max(1).default(0.02),
  /** Save the resumable checkpoint every N steps (default: a quarter of the steps, at most 500). */
  checkpointEverySteps: z.number().int().positive().optional(),
  /** Measure the held-out loss every N steps (default: a tenth of the steps). */
  evalEverySteps: z.number().int().positive().optional(),
});

/** Parsed settings, every default filled in. */
export type PretrainSettings = z.output<typeof pretrainSettingsSchema>;
/** What a caller may give (defaults optional). */
export type PretrainSettingsInput = z.input<typeof pretrainSettingsSchema>;

/** The defaults, for help texts: every field the schema fills when it is absent. */
export function pretrainDefaults(): Partial<PretrainSettings> {
  const { corpus: _corpus, preset: _preset, ...defaults } = pretrainSettingsSchema.parse({ corpus: ['-'], preset: '-' });
  return defaults;
}
