/**
 * Pretraining from scratch, using only core contracts: the runtime plugin trains the tokenizer and the model,
 * the architecture plugin creates it. Writes into `out`:
 *   tokenizer/        the tokenizer (trained once; a resumed run reuses it)
 *   checkpoints/last/ the trainer's resumable checkpoint     final/  the model (loadable by the architecture)
 *   chck_{N}M/        BabyLM words-seen milestones            metrics.jsonl, pretrain.json
 * Running the same command again on the same `out` resumes where it stopped.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { PluginRegistry } from '@class-it/core';
import type { Tokenizer } from '@class-it/core';
import type { TrainerSettings, TrainingProgress, TrainingStageData, TrainingSummary } from '@class-it/core';
import { ConfigError } from '@class-it/core';
import { writeDirAtomic, writeJsonAtomic } from '@class-it/core';
import { readCorpusLines, resolveCorpusFiles } from './corpus.js';
import { babyLmMilestones } from '@class-it/core';
import { DEFAULT_WORD_BUDGET, PhaseCounter, checkBudget, writeLedger, type WordBudget } from '@class-it/instruct';
import { buildPretrainingSequences, holdOut } from './sequences.js';
import { seededShuffle } from '@class-it/core';

export interface PretrainOptions {
  /** Files, directories or globs (BabyLM format). */
  corpus: string[];
  out: string;
  preset: string;
  architecture?: string;
  /** Architecture config fields overriding the preset (HF names). */
  overrides?: Record<string, unknown>;
  /** Vocabulary of the trained tokenizer (default: the preset's `vocab_size`, else 2000). */
  vocabSize?: number;
  /** Use this tokenizer directory instead of training one. */
  tokenizer?: string;
  seed?: number;
  /** Passes over the corpus; a fraction stops part-way through the last one. */
  epochs?: number;
  maxSteps?: number;
  batchSize?: number;
  gradAccumulation?: number;
  /** Tokens per training sequence (default: the model's context length). */
  sequenceLength?: number;
  learningRate?: number;
  backend?: string;
  /** Fraction of sequences held out for the eval loss (default 0.02, at most 256 sequences). */
  evalFraction?: number;
  /** Word budget checked before training (default: BabyLM's 100M unique, 1B seen). */
  budget?: WordBudget;
  /** Any other trainer setting. */
  trainer?: Partial<TrainerSettings>;
  log?: (line: string) => void;
  onProgress?: (p: TrainingProgress) => void;
}

export interface PretrainResult {
  summary: TrainingSummary;
  finalDir: string;
  tokenizerDir: string;
  backend: string;
  parameterCount: number;
  corpusFiles: number;
  corpusLines: number;
  /** Words of the corpus (all lines, incl. the held-out ones). */
  corpusWords: number;
  /** Words of its distinct lines (the BabyLM training-data budget counts these). */
  uniqueWords: number;
  trainSequences: number;
  evalSequences: number;
}

/** Special tokens of a tokenizer trained for pretraining: GPT-2's `<|endoftext|>` plus reserved chat roles. */
export const PRETRAIN_SPECIAL_TOKENS = {
  bos: '<|endoftext|>',
  eos: '<|endoftext|>',
  pad: '<|pad|>',
  additional: ['<|system|>', '<|user|>', '<|assistant|>'],
};

export async function pretrain(registry: PluginRegistry, options: PretrainOptions): Promise<PretrainResult> {
  const log = options.log ?? ((line: string) => console.error(line));
  const seed = options.seed ?? 42;
  const out = path.resolve(options.out);

  const files = await resolveCorpusFiles(options.corpus);
  const lines = await readCorpusLines(files);
  if (lines.length === 0) throw new ConfigError(`the corpus (${files.length} file(s)) has no non-empty line`, { field: 'corpus' });
  const runtime = registry.runtime();
  const architecture = registry.get('architecture', options.architecture ?? 'gpt');
  const preset = architecture.presets[options.preset];
  if (!preset) {
    throw new ConfigError(`architecture '${architecture.name}' has no preset '${options.preset}' (presets: ${Object.keys(architecture.presets).join(', ')})`, { field: 'preset' });
  }
  const backend = await runtime.init(options.backend ?? 'auto');
  log(`backend: ${backend}`);

  const ledger = new PhaseCounter('pretraining');
  for (const line of lines) ledger.add(line);
  const corpusWords = ledger.counts().wordsSeen;
  const uniqueWords = ledger.counts().uniqueWords;
  log(`corpus: ${files.length} file(s), ${lines.length} lines, ${corpusWords} words (${uniqueWords} in distinct lines)`);

  const tokenizerDir = path.join(out, 'tokenizer');
  const tokenizer = await obtainTokenizer(options, tokenizerDir, lines, preset, log, runtime);

  const overrides = options.overrides ?? {};
  const model = await architecture.create({ preset: options.preset, overrides, tokenizer, seed });
  try {
    const parameterCount = model.info.parameterCount;
    const contextLength = model.info.contextLength;
    log(`model: ${architecture.name} ${options.preset}, ${parameterCount.toLocaleString('en-US')} parameters, context ${contextLength}`);
    const sequenceLength = options.sequenceLength ?? contextLength;
    if (sequenceLength > contextLength) {
      throw new ConfigError(`sequence length ${sequenceLength} exceeds the model's context length ${contextLength}`, { field: 'sequenceLength' });
    }
    const all = buildPretrainingSequences(lines, tokenizer, sequenceLength);
    const { train, evaluation } = holdOut(all, options.evalFraction ?? 0.02, seed);

    const epochs = options.epochs ?? 1;
    if (!(epochs > 0)) throw new ConfigError(`epochs must be > 0, got ${epochs}`, { field: 'epochs' });
    // BabyLM budget, checked before training: the corpus's words, and at most `epochs` passes over them.
    const budget = options.budget ?? DEFAULT_WORD_BUDGET;
    checkBudget([{ name: 'pretraining', uniqueWords, wordsSeen: Math.ceil(corpusWords * epochs) }], budget);
    const wholeEpochs = Math.ceil(epochs);
    // Every epoch in its own seeded order; the trainer keeps the order it is given.
    const stream = Array.from({ length: wholeEpochs }, (_, e) => seededShuffle(train, seed, `pretrain:epoch${e + 1}`)).flat();
    const stage: TrainingStageData = { name: 'pretrain', sequences: stream, epochs: 1, schedule: 'reset' };

    const batchSize = options.batchSize ?? options.trainer?.batchSize ?? 16;
    const gradAccumulation = options.gradAccumulation ?? options.trainer?.gradAccumulation ?? 1;
    const stepsPerEpoch = Math.ceil(Math.ceil(train.length / batchSize) / gradAccumulation);
    const plannedSteps = Math.ceil(epochs * stepsPerEpoch);
    const maxSteps = Math.min(options.maxSteps ?? Number.POSITIVE_INFINITY, plannedSteps);
    const every = Math.max(1, Math.ceil(maxSteps / 10));
    const settings: TrainerSettings = {
      learningRate: options.learningRate ?? 1e-3,
      minLearningRateRatio: 0.1,
      warmupFraction: 0.02,
      weightDecay: 0.1,
      beta1: 0.9,
      beta2: 0.95,
      epsilon: 1e-8,
      gradClip: 1,
      sequenceLength,
      packing: false,
      checkpointEverySteps: Math.min(Math.max(1, Math.ceil(maxSteps / 4)), 500),
      evalEverySteps: every,
      milestoneWords: babyLmMilestones(),
      ...options.trainer,
      batchSize,
      gradAccumulation,
      seed,
      maxSteps,
    };
    log(`data: ${train.length} training and ${evaluation.length} held-out sequences of up to ${sequenceLength} tokens; ` +
      `${maxSteps} optimizer steps of ${batchSize * gradAccumulation} sequences`);

    const summary = await runtime.trainer().train(model, [stage], settings, {
      outDir: out,
      evalSequences: evaluation,
      wordsSeenBefore: 0,
      log,
      onProgress: options.onProgress,
    });
    await writeLedger(summary.finalDir, [{ name: 'pretraining', uniqueWords, wordsSeen: summary.wordsSeen }], budget);
    const result: PretrainResult = {
      summary,
      finalDir: summary.finalDir,
      tokenizerDir,
      backend,
      parameterCount,
      corpusFiles: files.length,
      corpusLines: lines.length,
      corpusWords,
      uniqueWords,
      trainSequences: train.length,
      evalSequences: evaluation.length,
    };
    await writeJsonAtomic(path.join(out, 'pretrain.json'), {
      architecture: architecture.name,
      preset: options.preset,
      overrides,
      corpus: files,
      settings,
      epochs,
      ...result,
    });
    return result;
  } finally {
    model.dispose();
  }
}

async function obtainTokenizer(
  options: PretrainOptions,
  tokenizerDir: string,
  lines: string[],
  preset: Record<string, unknown>,
  log: (line: string) => void,
  runtime: ReturnType<PluginRegistry['runtime']>,
): Promise<Tokenizer> {
  if (options.tokenizer) {
    const tokenizer = await runtime.loadTokenizer(path.resolve(options.tokenizer));
    log(`tokenizer: ${options.tokenizer} (${tokenizer.vocabSize} tokens)`);
    return tokenizer;
  }
  if (await exists(path.join(tokenizerDir, 'tokenizer.json'))) {
    const tokenizer = await runtime.loadTokenizer(tokenizerDir);
    log(`tokenizer: reusing ${tokenizerDir} (${tokenizer.vocabSize} tokens)`);
    return tokenizer;
  }
  const vocabSize = options.vocabSize ?? (typeof preset.vocab_size === 'number' ? preset.vocab_size : 2000);
  log(`tokenizer: training a byte-level BPE with ${vocabSize} tokens`);
  const tokenizer = await runtime.trainTokenizer(lines, { vocabSize, specialTokens: PRETRAIN_SPECIAL_TOKENS });
  await writeDirAtomic(tokenizerDir, (tmp) => tokenizer.save(tmp));
  return tokenizer;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
