/**
 * Rendering an instruction example to text plus the character spans whose tokens carry loss.
 *
 * The reply spans are found the way completion-only trainers do it: for each assistant turn i, the text of
 * turns < i with the generation prompt is a prefix P of the text of turns <= i (F); the reply span is
 * [len(P), len(F)) — the reply and its end-of-turn marker. A template for which these are not prefixes of the
 * full text cannot mask by turn, and is rejected with a clear message.
 */
import type { ChatMessage, InstructionExample } from '@class-it/core';
import { ConfigError, DataError } from '@class-it/core';
import { countWords } from '../ledger/words.js';
import type { ChatTemplate, TemplateTokens } from './chat-template.js';

export type LossOn = 'reply' | 'all';

export interface RenderedExample {
  text: string;
  /** [start, end) character spans that carry loss. */
  lossSpans: Array<[number, number]>;
  /** Whitespace words of the example's own text (contents, not template markup). */
  words: number;
}

export function exampleToMessages(example: InstructionExample, systemPrompt?: string): ChatMessage[] {
  const system: ChatMessage[] = systemPrompt ? [{ role: 'system', content: systemPrompt }] : [];
  if (example.kind === 'prompt-reply') return [...system, { role: 'user', content: example.prompt }, { role: 'assistant', content: example.reply }];
  if (example.kind === 'messages') return example.messages.some((m) => m.role === 'system') ? example.messages : [...system, ...example.messages];
  throw new Error('a text example has no messages');
}

export function exampleWords(example: InstructionExample): number {
  if (example.kind === 'prompt-reply') return countWords(example.prompt) + countWords(example.reply);
  if (example.kind === 'messages') return example.messages.reduce((n, m) => n + countWords(m.content), 0);
  return countWords(example.text);
}

/**
 * Where the reply starts in a dataset's own text: just after the first occurrence of `prompt` in `text` (the prompt
 * as given, else with its surrounding whitespace trimmed); undefined when the text does not contain it.
 */
export function replyStartInText(text: string, prompt: string): number | undefined {
  for (const p of [prompt, prompt.trim()]) {
    if (p === '') continue;
    const at = text.indexOf(p);
    if (at >= 0) return at + p.length;
  }
  return undefined;
}

/** The first turn of an example (a prompt/reply's prompt, a conversation's first non-system message): what `lossOn:
 *  reply` looks for inside the example's own text. */
export function firstTurn(example: InstructionExample): string | undefined {
  if (example.kind === 'prompt-reply') return example.prompt;
  if (example.kind === 'messages') return example.messages.find((m) => m.role !== 'system')?.content;
  return example.prompt;
}

/**
 * An example as its dataset's own text (`render: text`): a text example carrying its first turn as the prompt to
 * find inside the text; a text example as it is; undefined for an example without a text of its own.
 */
export function ownTextExample(example: InstructionExample): Extract<InstructionExample, { kind: 'text' }> | undefined {
  if (example.kind === 'text') return example;
  if (example.text === undefined) return undefined;
  const prompt = firstTurn(example);
  return {
    kind: 'text', text: example.text, ...(prompt !== undefined ? { prompt } : {}),
    ...(example.source !== undefined ? { source: example.source } : {}), ...(example.id !== undefined ? { id: example.id } : {}),
  };
}

export function renderExample(
  example: InstructionExample,
  template: ChatTemplate,
  tokens: TemplateTokens,
  options: { lossOn: LossOn; systemPrompt?: string },
): RenderedExample {
  const words = exampleWords(example);
  if (example.kind === 'text') {
    const bos = tokens.bos_token ?? '';
    const text = bos + example.text;
    if (options.lossOn === 'all' || example.prompt === undefined) return { text, lossSpans: [[0, text.length]], words };
    // The dataset's own text with the prompt inside it: loss on what follows the prompt.
    const start = replyStartInText(example.text, example.prompt);
    if (start === undefined) {
      throw new DataError('the prompt is not in the example\'s text, so reply-only loss cannot find the reply', { file: example.id, field: 'text' });
    }
    return { text, lossSpans: start < example.text.length ? [[bos.length + start, text.length]] : [], words };
  }
  const messages = exampleToMessages(example, options.systemPrompt);
  if (!messages.some((m) => m.role === 'assistant')) {
    throw new DataError('example has no assistant turn to learn from', { file: example.id, field: 'messages' });
  }
  const text = template.render(messages, tokens);
  if (options.lossOn === 'all') return { text, lossSpans: [[0, text.length]], words };
  const spans: Array<[number, number]> = [];
  messages.forEach((m, i) => {
    if (m.role !== 'assistant') return;
    const prefix = template.render(messages.slice(0, i), { ...tokens, addGenerationPrompt: true });
    const upTo = template.render(messages.slice(0, i + 1), tokens);
    if (!upTo.startsWith(prefix) || !text.startsWith(upTo)) {
      throw new ConfigError(`chat template '${template.name}' is not prefix-stable (the rendering of the first turns is not a prefix of ` +
        `the whole), so reply-only loss cannot find the replies; use formatting.lossOn: all or another template`, { field: 'formatting.template' });
    }
    if (upTo.length > prefix.length) spans.push([prefix.length, upTo.length]);
  });
  return { text, lossSpans: spans, words };
}
