/** `class-it pretrain`: train a tokenizer (unless given) and a model from scratch on a BabyLM-format corpus. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { pretrain } from '../pretrain/pretrain.js';
import { ProgressBar } from '../progress.js';
import { ConfigError } from '@class-it/core';

interface PretrainCliOptions {
  corpus: string[];
  preset: string;
  out: string;
  architecture: string;
  maxSteps?: string;
  seed: string;
  vocabSize?: string;
  tokenizer?: string;
  batchSize?: string;
  gradAccumulation?: string;
  sequenceLength?: string;
  lr?: string;
  epochs: string;
  backend: string;
}

function number(value: string | undefined, flag: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new ConfigError(`${flag} must be a ${integer ? 'positive integer' : 'positive number'}, got '${value}'`);
  }
  return n;
}

export function registerPretrain(program: Command, ctx: CliContext): void {
  program
    .command('pretrain')
    .description('pretrain a model from scratch on plain-text corpora (BabyLM format: one utterance per line); rerun to resume')
    .requiredOption('--corpus <files...>', 'corpus files, directories or globs')
    .requiredOption('--preset <name>', 'architecture preset, e.g. gpt-tiny, gpt-10m, gpt2-100m')
    .requiredOption('--out <dir>', 'run directory (final model in <out>/final)')
    .option('--architecture <name>', 'architecture plugin', 'gpt')
    .option('--max-steps <n>', 'stop after this many optimizer steps')
    .option('--seed <n>', 'seed for data order, initialisation and dropout', '42')
    .option('--vocab-size <n>', 'vocabulary of the trained tokenizer (default: the preset)')
    .option('--tokenizer <dir>', 'use this tokenizer instead of training one')
    .option('--batch-size <n>', 'sequences per micro-batch (default 16)')
    .option('--grad-accumulation <n>', 'micro-batches per optimizer step (default 1)')
    .option('--sequence-length <n>', 'tokens per sequence (default: the context length)')
    .option('--lr <x>', 'peak learning rate (default 1e-3)')
    .option('--epochs <x>', 'passes over the corpus (fractions allowed)', '1')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .action(async (opts: PretrainCliOptions) => {
      const registry = await ctx.getRegistry();
      let bar: ProgressBar | undefined;
      const result = await pretrain(registry, {
        corpus: opts.corpus,
        preset: opts.preset,
        out: opts.out,
        architecture: opts.architecture,
        maxSteps: number(opts.maxSteps, '--max-steps', true),
        seed: number(opts.seed, '--seed', true) ?? 42,
        vocabSize: number(opts.vocabSize, '--vocab-size', true),
        tokenizer: opts.tokenizer,
        batchSize: number(opts.batchSize, '--batch-size', true),
        gradAccumulation: number(opts.gradAccumulation, '--grad-accumulation', true),
        sequenceLength: number(opts.sequenceLength, '--sequence-length', true),
        learningRate: number(opts.lr, '--lr', false),
        epochs: number(opts.epochs, '--epochs', false),
        backend: opts.backend,
        log: (line) => console.error(line),
        onProgress: (p) => {
          bar ??= new ProgressBar({ label: 'pretrain', total: p.totalSteps, logEverySeconds: 30 });
          bar.update(p.step, `loss ${p.loss.toFixed(3)} lr ${p.learningRate.toExponential(2)}`);
        },
      });
      bar?.finish();
      const s = result.summary;
      console.log(`pretrained ${result.parameterCount.toLocaleString('en-US')} parameters on ${result.backend}: ${s.steps} steps, ` +
        `${s.wordsSeen} words seen, loss ${s.finalLoss.toFixed(4)}${s.evalLoss !== undefined ? `, eval loss ${s.evalLoss.toFixed(4)}` : ''}, ` +
        `${Math.round(s.tokensPerSecond)} tokens/s -> ${result.finalDir}`);
    });
}
