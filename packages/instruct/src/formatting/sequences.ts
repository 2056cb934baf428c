/**
 * From rendered examples to `TrainingSequence`s: tokenise (no special tokens added: the template places them),
 * weigh each token by whether its characters overlap a loss span (the first token is never predicted, so its
 * weight is 0), then apply the truncation policy.
 */
import type { InstructionExample } from '@class-it/core';
import type { Tokenizer } from '@class-it/core';
import type { TrainingSequence } from '@class-it/core';
import { ConfigError } from '@class-it/core';
import type { ChatTemplate } from './chat-template.js';
import { renderExample, type LossOn, type RenderedExample } from './render.js';

export type TruncationPolicy = 'left' | 'right' | 'drop';

export interface FormattingOptions {
  lossOn: LossOn;
  truncation: TruncationPolicy;
  /** Tokens per sequence at most. */
  maxLength: number;
  systemPrompt?: string;
}

export interface FormatStats {
  examples: number;
  sequences: number;
  truncated: number;
  droppedTooLong: number;
  /** Dropped because no token with loss was left (e.g. a reply cut off by right truncation). */
  droppedNoLoss: number;
  tokens: number;
  lossTokens: number;
}

export function emptyStats(): FormatStats {
  return { examples: 0, sequences: 0, truncated: 0, droppedTooLong: 0, droppedNoLoss: 0, tokens: 0, lossTokens: 0 };
}

/** Per-token loss weights from character spans. */
export function lossWeightsFromSpans(offsets: Array<[number, number]>, spans: Array<[number, number]>): number[] {
  return offsets.map(([start, end], i) => {
    if (i === 0) return 0;
    const inSpan = spans.some(([s, e]) => (end > start ? end > s && start < e : start >= s && start < e));
    return inSpan ? 1 : 0;
  });
}

export type FormatOutcome =
  | { sequence: TrainingSequence; truncated: boolean }
  | { dropped: 'too-long' | 'no-loss' };

export function tokenizeRendered(rendered: RenderedExample, tokenizer: Tokenizer, options: FormattingOptions): FormatOutcome {
  const encoding = tokenizer.encode(rendered.text, { addSpecialTokens: false });
  let ids = encoding.ids;
  let weights = lossWeightsFromSpans(encoding.offsets, rendered.lossSpans);
  let keptChars = rendered.text.length;
  let truncated = false;
  if (ids.length > options.maxLength) {
    if (options.truncation === 'drop') return { dropped: 'too-long' };
    truncated = true;
    if (options.truncation === 'left') {
      const from = ids.length - options.maxLength;
      ids = ids.slice(from);
      weights = weights.slice(from);
      weights[0] = 0;
      keptChars = rendered.text.length - encoding.offsets[from]![0];
    } else {
      ids = ids.slice(0, options.maxLength);
      weights = weights.slice(0, options.maxLength);
      keptChars = encoding.offsets[options.maxLength - 1]![1];
    }
  }
  if (!weights.some((w) => w > 0)) return { dropped: 'no-loss' };
  const words = truncated && rendered.text.length > 0 ? Math.round((rendered.words * keptChars) / rendered.text.length) : rendered.words;
  return { sequence: { ids, lossWeights: weights, words }, truncated };
}

/** Formats examples once each (the same example object in several places is tokenised once). */
export class ExampleFormatter {
  private readonly cache = new Map<InstructionExample, FormatOutcome>();
  readonly stats: FormatStats = emptyStats();

  constructor(
    readonly tokenizer: Tokenizer,
    readonly template: ChatTemplate,
    readonly options: FormattingOptions,
  ) {
    if (!Number.isInteger(options.maxLength) || options.maxLength < 2) {
      throw new ConfigError(`maxLength must be an integer >= 2, got ${options.maxLength}`, { field: 'formatting.maxLength' });
    }
  }

  format(example: InstructionExample): TrainingSequence | undefined {
    let outcome = this.cache.get(example);
    if (!outcome) {
      const rendered = renderExample(example, this.template, this.templateTokens(), this.options);
      outcome = tokenizeRendered(rendered, this.tokenizer, this.options);
      this.cache.set(example, outcome);
    }
    this.stats.examples++;
    if ('dropped' in outcome) {
      if (outcome.dropped === 'too-long') this.stats.droppedTooLong++;
      else this.stats.droppedNoLoss++;
      return undefined;
    }
    this.stats.sequences++;
    if (outcome.truncated) this.stats.truncated++;
    this.stats.tokens += outcome.sequence.ids.length;
    this.stats.lossTokens += outcome.sequence.lossWeights.reduce((a, b) => a + b, 0);
    return outcome.sequence;
  }

  templateTokens() {
    const { bos, eos } = this.tokenizer.specialTokens;
    return { bos_token: bos ?? '', eos_token: eos ?? '' };
  }
}
