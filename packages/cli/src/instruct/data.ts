/**
 * The instruction data of one experiment run, prepared once and shared by every cell that trains:
 *
 *   - each configured dataset is loaded through its plugin and split ONCE per run: `heldOut.perDataset` examples
 *     (at most a fifth) are held out for the reply loss, chosen with `heldOut.seed`, never with the cell's seed,
 *     so every condition and seed trains on the same examples and is measured on the same held-out ones;
 *   - each example is rendered with the chat template and tokenised ONCE per base model: the cells of one base
 *     model share one `ExampleFormatter` (it caches by example), kept here until a cell of another base model
 *     (another tokenizer or template) asks for one.
 *
 *   - a dataset rendered from its own text (`render: text`, per dataset or for the section) is turned into text
 *     examples here, before the split: an example without a text of its own is an error; with `lossOn: reply`, one
 *     whose text does not contain its prompt is left out of training (there is no reply to find), counted in
 *     `textRendering` and warned about; none found at all is an error (use `lossOn: all`).
 *
 * Memory: the run holds the loaded examples (text) and, for the current base model, every example's token ids
 * and loss weights (two JS number arrays per example; about 16 bytes per token, so ~200 MB for the ~12M tokens
 * of the 8.7M-word CLASS-IT data). A cell held the same while it trained before; it is now kept between cells
 * (during their evaluations too) instead of being rebuilt per cell, which spends up to a few minutes per cell
 * on a large dataset. Only one base model's tokenisations are kept at a time.
 */
import path from 'node:path';
import type { InstructionExample, LoadedDataset, PluginRegistry, Tokenizer } from '@class-it/core';
import { ClassItError, ConfigError, Random } from '@class-it/core';
import { SourceUnavailableError } from '@class-it/data-sources';
import { ExampleFormatter, ownTextExample, replyStartInText, type ChatTemplate } from '@class-it/instruct';
import type { InstructionTuningConfig } from './schema.js';

/** A dataset plugin could not load a configured dataset; `cause` is the plugin's own error (its settings' field, a data file). */
export class DatasetLoadError extends ClassItError {
  constructor(readonly dataset: string, readonly plugin: string, cause: unknown) {
    super(`dataset '${dataset}' (${plugin}): ${cause instanceof Error ? cause.message : String(cause)}`, { field: `instruction.datasets.${dataset}` }, { cause });
    this.name = 'DatasetLoadError';
  }
}

/** Whether `err` (or an error it wraps) says remote data is neither cached nor reachable. */
function isUnavailable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof SourceUnavailableError) return true;
  return false;
}

/** What rendering a dataset from its own text did (`render: text`). */
export interface TextRendering {
  /** Examples the plugin loaded, and those whose text does not contain their prompt (`lossOn: reply`: left out). */
  examples: number;
  promptNotFound: number;
  /** The first example left out (its id), when any was. */
  firstNotFound?: string;
}

/** A dataset's examples as its own texts (`render: text`); see the module's comment for what is refused or left out. */
function fromOwnText(name: string, examples: InstructionExample[], config: InstructionTuningConfig, renderField: string, log: (line: string) => void): { examples: InstructionExample[]; rendering: TextRendering } {
  const out: InstructionExample[] = [];
  const without: string[] = [];
  const notFound: string[] = [];
  examples.forEach((example, i) => {
    const own = ownTextExample(example);
    const id = example.id ?? `example ${i + 1}`;
    if (!own) without.push(id);
    else if (config.formatting.lossOn === 'reply' && own.prompt !== undefined && replyStartInText(own.text, own.prompt) === undefined) notFound.push(id);
    else out.push(own);
  });
  if (without.length > 0) {
    throw new ConfigError(`dataset '${name}' is rendered from its own text (render: text), but ${without.length} of its ${examples.length} examples ` +
      `have no text (first: ${without[0]}): its plugin gives one only for rows with a \`text\` column`, { field: renderField });
  }
  if (notFound.length === examples.length) {
    throw new ConfigError(`dataset '${name}' (render: text, lossOn: reply): no example's text contains its prompt, so no reply can be found; ` +
      'use formatting.lossOn: all to train on the whole text', { field: renderField });
  }
  if (notFound.length > 0) {
    log(`WARNING: dataset ${name} (render: text, lossOn: reply): the text of ${notFound.length} of ${examples.length} examples does not contain ` +
      `its prompt (first: ${notFound[0]}); they are left out of training`);
  }
  return { examples: out, rendering: { examples: examples.length, promptNotFound: notFound.length, ...(notFound.length ? { firstNotFound: notFound[0] } : {}) } };
}

export class InstructionData {
  private formatting?: { key: string; formatter: ExampleFormatter };

  private constructor(
    /** The experiment's parsed `instruction` section. */
    readonly config: InstructionTuningConfig,
    /** Every dataset as its plugin loaded it (with the rows it skipped). */
    readonly datasets: Readonly<Record<string, LoadedDataset>>,
    /** The examples that may be trained on, per dataset, in load order. */
    readonly train: Readonly<Record<string, InstructionExample[]>>,
    /** The held-out examples per dataset (reply loss only, never trained on). */
    readonly heldOut: Readonly<Record<string, InstructionExample[]>>,
    /** Datasets stood in for by their declared size (not downloaded): plan only, never train on these. */
    readonly declared: ReadonlySet<string> = new Set(),
    /** Datasets rendered from their own text (`render: text`), with what that left out. */
    readonly textRendering: Readonly<Record<string, TextRendering>> = {},
  ) {}

  /**
   * Load and split every dataset of `config`; relative paths and the download cache resolve against `experimentDir`.
   * With `declaredWhenUnavailable` (planning only), a remote dataset that is neither cached nor reachable and that
   * declares its size (`expected`) is stood in for by that many empty examples, listed in `declared`: enough to plan
   * passes and steps, never to train.
   */
  static async load(registry: PluginRegistry, config: InstructionTuningConfig, experimentDir: string, log: (line: string) => void,
    options: { declaredWhenUnavailable?: boolean } = {}): Promise<InstructionData> {
    const datasets: Record<string, LoadedDataset> = {};
    const heldOut: Record<string, InstructionExample[]> = {};
    const train: Record<string, InstructionExample[]> = {};
    const declared = new Set<string>();
    const textRendering: Record<string, TextRendering> = {};
    for (const [name, entry] of Object.entries(config.datasets)) {
      if (!registry.has('dataset', entry.plugin)) {
        throw new ConfigError(`unknown dataset plugin '${entry.plugin}' (installed: ${registry.list('dataset').map((p) => p.name).join(', ') || 'none'})`, { field: `instruction.datasets.${name}.plugin` });
      }
      let loaded: LoadedDataset;
      try {
        loaded = await registry.get('dataset', entry.plugin).load({
          settings: entry.settings,
          baseDir: experimentDir,
          cacheDir: path.resolve(experimentDir, config.cacheDir),
          offline: config.offline,
          badRows: entry.badRows ?? config.badRows,
          hubEndpoint: config.hubEndpoint,
        });
      } catch (err) {
        if (!(options.declaredWhenUnavailable && entry.expected && isUnavailable(err))) throw new DatasetLoadError(name, entry.plugin, err);
        log(`dataset ${name} (${entry.plugin}): not downloaded (${(err as Error).message}); planned with its declared size, ${entry.expected.examples} examples`);
        declared.add(name);
        loaded = { name, examples: Array.from({ length: entry.expected.examples }, (): InstructionExample => ({ kind: 'text', text: '' })), skipped: [] };
      }
      if ((entry.render ?? config.formatting.render) === 'text' && !declared.has(name)) {
        const field = entry.render ? `instruction.datasets.${name}.render` : 'instruction.formatting.render';
        const own = fromOwnText(name, loaded.examples, config, field, log);
        loaded = { ...loaded, examples: own.examples };
        textRendering[name] = own.rendering;
      }
      datasets[name] = loaded;
      const n = loaded.examples.length;
      if (n === 0) throw new ConfigError(`dataset '${name}' (${entry.plugin}) has no examples`, { field: `instruction.datasets.${name}` });
      const hold = Math.min(config.heldOut.perDataset, Math.floor(n / 5));
      const order = Random.derive(config.heldOut.seed, `held-out:${name}`).shuffle(loaded.examples.map((_, i) => i));
      const held = new Set(order.slice(0, hold));
      heldOut[name] = loaded.examples.filter((_, i) => held.has(i));
      train[name] = loaded.examples.filter((_, i) => !held.has(i));
      log(`dataset ${name} (${entry.plugin}): ${n} examples, ${hold} held out` +
        (loaded.skipped.length ? `, ${loaded.skipped.length} bad rows skipped (first: ${loaded.skipped[0]!.where}: ${loaded.skipped[0]!.reason})` : ''));
    }
    return new InstructionData(config, datasets, train, heldOut, declared, textRendering);
  }

  /**
   * The formatter of a base model's tokenizer and chat template, configured by `formatting` and the trainer's
   * sequence length. Cells of the same base model get the same one, so an example is tokenised once per run.
   */
  formatterFor(baseModelDir: string, tokenizer: Tokenizer, template: ChatTemplate): ExampleFormatter {
    const key = `${path.resolve(baseModelDir)}\u0000${tokenizer.vocabSize}\u0000${template.source}`;
    if (this.formatting?.key !== key) {
      const { formatting, trainer } = this.config;
      const formatter = new ExampleFormatter(tokenizer, template, {
        lossOn: formatting.lossOn,
        truncation: formatting.truncation,
        maxLength: Math.min(formatting.maxLength ?? trainer.sequenceLength, trainer.sequenceLength),
        systemPrompt: formatting.systemPrompt,
      });
      this.formatting = { key, formatter };
    }
    return this.formatting.formatter;
  }
}
