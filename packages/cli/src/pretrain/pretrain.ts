/**
 * Pretraining from scratch, using only core contracts: the runtime plugin trains the tokenizer and the model,
 * the architecture plugin creates it. Writes into `out`:
 *   tokenizer/        the tokenizer (trained once; a resumed run reuses it)
 *   checkpoints/step-<N>/ the trainer's resumable checkpoint final/  the model (loadable by the architecture)
 *   chck_{N}M/        BabyLM words-seen milestones            metrics.jsonl, pretrain.json
 * Running the same command again on the same `out` resumes where it stopped.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { PluginRegistry } from '@class-it/core';
import { addsBos, type SpecialTokens, type Tokenizer } from '@class-it/core';
import type { TrainerSettings, TrainingProgress, TrainingStageData, TrainingSummary } from '@class-it/core';
import { ConfigError } from '@class-it/core';
import { writeDirAtomic, writeJsonAtomic } from '@class-it/core';
import { capCorpusWords, loadCorpus } from './corpus.js';
import { babyLmMilestones } from '@class-it/core';
import { DEFAULT_TEMPLATE_TOKENS, DEFAULT_WORD_BUDGET, checkBudget, countWords, writeLedger, writeMilestoneLedgers, type LedgerPhase, type WordBudget } from '@class-it/instruct';
import { buildPretrainingSequences, holdOut } from './sequences.js';
import { seededShuffle } from '@class-it/core';
import { parseSettings } from '@class-it/core';
import { FALLBACK_VOCAB_SIZE, pretrainSettingsSchema, type PretrainSettings, type PretrainSettingsInput } from './settings.js';

/** How to run a pretraining, besides its settings. */
export interface PretrainRunOptions {
  /** Run directory (final model in `<out>/final`). */
  out: string;
  /** Seed for the data order, the held-out split, initialisation and dropout (default 42). */
  seed?: number;
  backend?: string;
  /** Word budget checked before training (default: BabyLM's 100M unique, 1B seen). */
  budget?: WordBudget;
  log?: (line: string) => void;
  onProgress?: (p: TrainingProgress) => void;
}

/** The settings (validated with `pretrainSettingsSchema`, defaults filled; unknown keys rejected) and the run. */
export type PretrainOptions = PretrainSettingsInput & PretrainRunOptions;

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

/**
 * Special tokens of a tokenizer trained for pretraining, plus the reserved chat roles of the default template.
 * Without BOS, GPT-2's: `<|endoftext|>` is BOS and EOS (it separates packed lines), `<|pad|>` pads. With BOS,
 * LLaMA's distinct `<s>`, `</s>`, `<pad>`: a BOS equal to the EOS would double every line boundary of the packed
 * stream, and a pad distinct from EOS never masks a real EOS.
 */
export function pretrainSpecialTokens(addBos: boolean): SpecialTokens {
  const additional = [...DEFAULT_TEMPLATE_TOKENS];
  return addBos
    ? { bos: '<s>', eos: '</s>', pad: '<pad>', additional }
    : { bos: '<|endoftext|>', eos: '<|endoftext|>', pad: '<|pad|>', additional };
}

/** Words of a corpus: all of its lines, repeated lines included (the BabyLM rule: a corpus's size is all of its words). */
export function corpusWordCounts(lines: Iterable<string>): { corpusWords: number; uniqueWords: number } {
  let words = 0;
  for (const line of lines) words += countWords(line);
  return { corpusWords: words, uniqueWords: words };
}

/** The words pretraining will use, for the budget check before training: the corpus, `epochs` passes over it. */
export function plannedPretrainingWords(counts: { corpusWords: number; uniqueWords: number }, epochs: number): LedgerPhase {
  return { name: 'pretraining', uniqueWords: counts.uniqueWords, wordsSeen: Math.ceil(counts.corpusWords * epochs) };
}

export async function pretrain(registry: PluginRegistry, options: PretrainOptions): Promise<PretrainResult> {
  const { out: outOption, seed: seedOption, backend: backendOption, budget: budgetOption, log: logOption, onProgress, ...input } = options;
  const settings = parseSettings(pretrainSettingsSchema, input, 'pretrain settings');
  const log = logOption ?? ((line: string) => console.error(line));
  const seed = seedOption ?? 42;
  const out = path.resolve(outOption);

  const corpus = await loadCorpus(settings.corpus, { cacheDir: path.resolve(settings.cacheDir), log });
  const files = corpus.files;
  const lines = capCorpusWords(corpus.lines, settings.maxWords);
  if (lines.length < corpus.lines.length) log(`corpus capped at maxWords ${settings.maxWords}: the first ${lines.length} of ${corpus.lines.length} lines`);
  if (lines.length === 0) throw new ConfigError(`the corpus (${files.length} file(s)) has no non-empty line`, { field: 'corpus' });
  const runtime = registry.runtime();
  const architecture = registry.get('architecture', settings.architecture);
  const preset = architecture.presets[settings.preset];
  if (!preset) {
    throw new ConfigError(`architecture '${architecture.name}' has no preset '${settings.preset}' (presets: ${Object.keys(architecture.presets).join(', ')})`, { field: 'preset' });
  }
  const backend = await runtime.init(backendOption ?? 'auto');
  log(`backend: ${backend}`);

  const { corpusWords, uniqueWords } = corpusWordCounts(lines);
  log(`corpus: ${files.length} file(s), ${lines.length} lines, ${corpusWords} words`);

  const tokenizerDir = path.join(out, 'tokenizer');
  const addBos = settings.addBos ?? architecture.defaultAddBos ?? false;
  const tokenizer = await obtainTokenizer(settings, addBos, tokenizerDir, lines, preset, log, runtime);

  const { overrides } = settings;
  const model = await architecture.create({ preset: settings.preset, overrides, tokenizer, seed });
  try {
    const parameterCount = model.info.parameterCount;
    const contextLength = model.info.contextLength;
    log(`model: ${architecture.name} ${settings.preset}, ${parameterCount.toLocaleString('en-US')} parameters, context ${contextLength}`);
    const sequenceLength = settings.sequenceLength ?? contextLength;
    if (sequenceLength > contextLength) {
      throw new ConfigError(`sequence length ${sequenceLength} exceeds the model's context length ${contextLength}`, { field: 'sequenceLength' });
    }
    const all = buildPretrainingSequences(lines, tokenizer, sequenceLength);
    const { train, evaluation } = holdOut(all, settings.evalFraction, seed);

    const { epochs, batchSize, gradAccumulation } = settings;
    // BabyLM budget, checked before training: the corpus's words, and at most `epochs` passes over them.
    const budget = budgetOption ?? DEFAULT_WORD_BUDGET;
    checkBudget([plannedPretrainingWords({ corpusWords, uniqueWords }, epochs)], budget);
    const wholeEpochs = Math.ceil(epochs);
    // Every epoch in its own seeded order; the trainer keeps the order it is given.
    const stream = Array.from({ length: wholeEpochs }, (_, e) => seededShuffle(train, seed, `pretrain:epoch${e + 1}`)).flat();
    const stage: TrainingStageData = { name: 'pretrain', sequences: stream, epochs: 1, schedule: 'reset' };

    const stepsPerEpoch = Math.ceil(Math.ceil(train.length / batchSize) / gradAccumulation);
    const plannedSteps = Math.ceil(epochs * stepsPerEpoch);
    const maxSteps = Math.min(settings.maxSteps ?? Number.POSITIVE_INFINITY, plannedSteps);
    const trainerSettings: TrainerSettings = {
      learningRate: settings.learningRate,
      minLearningRateRatio: settings.minLearningRateRatio,
      warmupFraction: settings.warmupFraction,
      weightDecay: settings.weightDecay,
      beta1: settings.beta1,
      beta2: settings.beta2,
      epsilon: settings.epsilon,
      gradClip: settings.gradClip,
      sequenceLength,
      packing: false,
      checkpointEverySteps: settings.checkpointEverySteps ?? Math.min(Math.max(1, Math.ceil(maxSteps / 4)), 500),
      evalEverySteps: settings.evalEverySteps ?? Math.max(1, Math.ceil(maxSteps / 10)),
      milestoneWords: babyLmMilestones(),
      batchSize,
      gradAccumulation,
      seed,
      maxSteps,
      ...(settings.dropout !== undefined ? { dropout: settings.dropout } : {}),
    };
    log(`data: ${train.length} training and ${evaluation.length} held-out sequences of up to ${sequenceLength} tokens; ` +
      `${maxSteps} optimizer steps of ${batchSize * gradAccumulation} sequences`);

    const summary = await runtime.trainer().train(model, [stage], trainerSettings, {
      outDir: out,
      evalSequences: evaluation,
      wordsSeenBefore: 0,
      log,
      onProgress,
    });
    await writeLedger(summary.finalDir, [{ name: 'pretraining', uniqueWords, wordsSeen: summary.wordsSeen }], budget);
    // Every chck_{N}M carries its own ledger: instruction tuning from it reads its words, not the whole run's.
    await writeMilestoneLedgers(summary.milestoneDirs, [], { name: 'pretraining', uniqueWords, wordsSeen: summary.wordsSeen }, budget);
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
      preset: settings.preset,
      overrides,
      corpus: files,
      settings: trainerSettings,
      epochs,
      addBos: addsBos(tokenizer),
      ...result,
    });
    return result;
  } finally {
    model.dispose();
  }
}

async function obtainTokenizer(
  settings: PretrainSettings,
  addBos: boolean,
  tokenizerDir: string,
  lines: string[],
  preset: Record<string, unknown>,
  log: (line: string) => void,
  runtime: ReturnType<PluginRegistry['runtime']>,
): Promise<Tokenizer> {
  const bosNote = (t: Tokenizer) => (addsBos(t) ? `BOS ${t.specialTokens.bos} before every sequence` : 'no BOS');
  if (settings.tokenizer) {
    const tokenizer = await runtime.loadTokenizer(path.resolve(settings.tokenizer));
    // A given tokenizer decides; an explicit `addBos` must agree with it (a default does not apply).
    if (settings.addBos !== undefined && addsBos(tokenizer) !== settings.addBos) {
      throw new ConfigError(`addBos is ${settings.addBos}, but the tokenizer ${settings.tokenizer} ${addsBos(tokenizer) ? 'adds' : 'adds no'} BOS; ` +
        'drop addBos to use the tokenizer as it is', { field: 'addBos' });
    }
    log(`tokenizer: ${settings.tokenizer} (${tokenizer.vocabSize} tokens, ${bosNote(tokenizer)})`);
    return tokenizer;
  }
  if (await exists(path.join(tokenizerDir, 'tokenizer.json'))) {
    const tokenizer = await runtime.loadTokenizer(tokenizerDir);
    if (addsBos(tokenizer) !== addBos) {
      throw new ConfigError(`the run's tokenizer ${tokenizerDir} ${addsBos(tokenizer) ? 'adds' : 'adds no'} BOS but this run says addBos ${addBos}` +
        `${settings.addBos === undefined ? ' (the architecture\'s default)' : ''}: set addBos: ${addsBos(tokenizer)} to resume it, or use another out directory`, { field: 'addBos' });
    }
    log(`tokenizer: reusing ${tokenizerDir} (${tokenizer.vocabSize} tokens, ${bosNote(tokenizer)})`);
    return tokenizer;
  }
  const vocabSize = settings.vocabSize ?? (typeof preset.vocab_size === 'number' ? preset.vocab_size : FALLBACK_VOCAB_SIZE);
  const specialTokens = pretrainSpecialTokens(addBos);
  log(`tokenizer: training a byte-level BPE with ${vocabSize} tokens, ${addBos ? `BOS ${specialTokens.bos} before every sequence` : 'no BOS'}`);
  const tokenizer = await runtime.trainTokenizer(lines, { vocabSize, specialTokens, addBos });
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
