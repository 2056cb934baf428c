/** `class-it pretrain`: train a tokenizer (unless given) and a model from scratch on a BabyLM-format corpus. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { pretrain } from '../pretrain/pretrain.js';
import { ProgressBar } from '../progress.js';
import { ConfigError } from '@class-it/core';
import { pretrainDefaults, pretrainSettingsSchema, type PretrainSettings } from '../pretrain/settings.js';
import { DirectoryLock, FORCE_UNLOCK_HELP } from '../run/lock.js';
import { parseNumberFlag, seedSchema } from '../config/values.js';
import { BACKEND_HELP } from './backend-option.js';

/**
 * The flags that set pretraining settings: one per field of `pretrainSettingsSchema` (the schema of an experiment's
 * `pretrain:` section), so the defaults, ranges and meaning are the same on the command line and in YAML.
 */
const SETTING_FLAGS: Array<{ field: keyof PretrainSettings; flag: string; help: string; kind: 'number' | 'string' | 'boolean' }> = [
  { field: 'architecture', flag: '--architecture <name>', kind: 'string', help: 'architecture plugin' },
  { field: 'vocabSize', flag: '--vocab-size <n>', kind: 'number', help: 'vocabulary of the trained tokenizer (default: the preset\'s)' },
  { field: 'tokenizer', flag: '--tokenizer <dir>', kind: 'string', help: 'use this tokenizer instead of training one' },
  { field: 'addBos', flag: '--add-bos', kind: 'boolean', help: 'the trained tokenizer adds a BOS token, with distinct bos/eos/pad ids (--no-add-bos: none; default: the architecture\'s, on for llama, off for gpt)' },
  { field: 'epochs', flag: '--epochs <x>', kind: 'number', help: 'passes over the corpus (fractions allowed)' },
  { field: 'maxSteps', flag: '--max-steps <n>', kind: 'number', help: 'stop after this many optimizer steps' },
  { field: 'batchSize', flag: '--batch-size <n>', kind: 'number', help: 'sequences per micro-batch' },
  { field: 'gradAccumulation', flag: '--grad-accumulation <n>', kind: 'number', help: 'micro-batches per optimizer step' },
  { field: 'sequenceLength', flag: '--sequence-length <n>', kind: 'number', help: 'tokens per sequence (default: the context length)' },
  { field: 'learningRate', flag: '--lr <x>', kind: 'number', help: 'peak learning rate' },
  { field: 'minLearningRateRatio', flag: '--min-lr-ratio <x>', kind: 'number', help: 'cosine decay floor, as a fraction of the peak' },
  { field: 'warmupFraction', flag: '--warmup-fraction <x>', kind: 'number', help: 'warm-up, as a fraction of the optimizer steps' },
  { field: 'weightDecay', flag: '--weight-decay <x>', kind: 'number', help: 'AdamW weight decay' },
  { field: 'beta1', flag: '--beta1 <x>', kind: 'number', help: 'AdamW beta1' },
  { field: 'beta2', flag: '--beta2 <x>', kind: 'number', help: 'AdamW beta2' },
  { field: 'epsilon', flag: '--epsilon <x>', kind: 'number', help: 'AdamW epsilon' },
  { field: 'gradClip', flag: '--grad-clip <x>', kind: 'number', help: 'clip gradients by global norm (0 = off)' },
  { field: 'dropout', flag: '--dropout <x>', kind: 'number', help: 'dropout while training (default: the architecture config\'s)' },
  { field: 'evalFraction', flag: '--eval-fraction <x>', kind: 'number', help: 'fraction of sequences held out for the eval loss' },
  { field: 'checkpointEverySteps', flag: '--checkpoint-every <n>', kind: 'number', help: 'save the resumable checkpoint every n steps (default: a quarter of the steps, at most 500)' },
  { field: 'evalEverySteps', flag: '--eval-every <n>', kind: 'number', help: 'held-out loss every n steps (default: a tenth of the steps)' },
];

/** `--vocab-size` → `vocabSize`: the key commander stores a flag's value under. */
function optionKey(flag: string): string {
  return flag.split(' ')[0]!.replace(/^--/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The settings the flags give, validated with the one pretraining schema; errors name the flag. */
export function pretrainSettingsFromFlags(opts: Record<string, unknown>): PretrainSettings {
  const input: Record<string, unknown> = { corpus: opts.corpus, preset: opts.preset };
  const flagOf = new Map<string, string>([['corpus', '--corpus'], ['preset', '--preset']]);
  for (const { field, flag, kind } of SETTING_FLAGS) {
    const name = flag.split(' ')[0]!;
    flagOf.set(field, name);
    const raw = opts[optionKey(flag)];
    if (raw === undefined) continue;
    if (kind === 'string' || kind === 'boolean') {
      input[field] = raw;
      continue;
    }
    const value = Number(raw);
    if (String(raw).trim() === '' || !Number.isFinite(value)) throw new ConfigError(`${name} must be a number, got '${String(raw)}'`);
    input[field] = value;
  }
  const parsed = pretrainSettingsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = String(issue.path[0] ?? '');
  const flag = flagOf.get(field) ?? field;
  const got = input[field];
  throw new ConfigError(`${flag}: ${issue.message}${got !== undefined ? ` (got ${JSON.stringify(got)})` : ''}`);
}

function seedOf(value: string): number {
  return parseNumberFlag(value, '--seed', seedSchema)!;
}

export function registerPretrain(program: Command, ctx: CliContext): void {
  const defaults = pretrainDefaults();
  const command = program
    .command('pretrain')
    .description('pretrain a model from scratch on plain-text corpora (BabyLM format: one utterance per line); rerun to resume. ' +
      'The settings and their defaults are those of an experiment\'s `pretrain:` section')
    .requiredOption('--corpus <files...>', 'corpus files, directories or globs')
    .requiredOption('--preset <name>', 'architecture preset, e.g. gpt-tiny, gpt-10m, gpt2-100m')
    .requiredOption('--out <dir>', 'run directory (final model in <out>/final)')
    .option('--seed <n>', 'seed for data order, initialisation and dropout', '42')
    .option('--backend <name>', BACKEND_HELP, 'auto')
    .option('--force-unlock', FORCE_UNLOCK_HELP);
  for (const { field, flag, help, kind } of SETTING_FLAGS) {
    const value = defaults[field];
    command.option(flag, value === undefined ? help : `${help} (default ${typeof value === 'object' ? JSON.stringify(value) : String(value)})`);
    if (kind === 'boolean') command.option(flag.replace(/^--/, '--no-'), `the opposite of ${flag}`);
  }
  command.action(async (opts: Record<string, unknown> & { out: string; seed: string; backend: string; forceUnlock?: boolean }) => {
      const settings = pretrainSettingsFromFlags(opts);
      const seed = seedOf(opts.seed);
      using _lock = await DirectoryLock.acquire(opts.out, { command: 'class-it pretrain', forceUnlock: opts.forceUnlock });
      const registry = await ctx.getRegistry();
      let bar: ProgressBar | undefined;
      const result = await pretrain(registry, {
        ...settings,
        out: opts.out,
        seed,
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
