/**
 * One conversation with a model, as `class-it chat` holds it: the messages so far, rendered through the chat
 * template for every reply (older turns dropped when the context window is full), the reply streamed through
 * `write` as it is generated, and the slash commands /reset, /temperature [x], /help, /exit.
 */
import { deriveSeed, type ChatMessage, type GenerationSettings } from '@class-it/core';
import { chatPromptIds, turnStopStrings } from '@class-it/instruct';
import type { Generator } from './load-generator.js';

export const CHAT_HELP = [
  '/reset            forget the conversation (the system message stays)',
  '/temperature [x]  show or set the temperature (0: greedy)',
  '/help             this list',
  '/exit             leave (also Ctrl-D); Ctrl-C stops a reply',
].join('\n');

export interface ChatOptions {
  system?: string;
  maxNewTokens: number;
  /** undefined: the checkpoint's defaults. */
  temperature?: number;
  seed: number;
}

export class ChatSession {
  private messages: ChatMessage[] = [];
  private temperature: number | undefined;
  private turns = 0;
  private controller: AbortController | undefined;
  private readonly stops: string[];

  constructor(private readonly generator: Generator, private readonly options: ChatOptions, private readonly write: (text: string) => void) {
    this.temperature = options.temperature;
    this.stops = turnStopStrings(generator.template, generator.model.tokenizer);
    this.reset();
  }

  /** Handle one line typed by the user; `false` when the session should end. */
  async input(line: string): Promise<boolean> {
    const text = line.trim();
    if (text.startsWith('/')) return this.command(text);
    if (text === '') return true;
    await this.reply(text);
    return true;
  }

  /** Stop the reply being generated (Ctrl-C); false when none is. */
  interrupt(): boolean {
    if (!this.controller) return false;
    this.controller.abort();
    return true;
  }

  private reset(): void {
    this.messages = this.options.system ? [{ role: 'system', content: this.options.system }] : [];
  }

  private command(text: string): boolean {
    const [name, arg] = text.split(/\s+/, 2);
    switch (name) {
      case '/exit':
      case '/quit':
        return false;
      case '/reset':
        this.reset();
        this.write('(conversation cleared)\n');
        return true;
      case '/temperature': {
        if (arg !== undefined) {
          const value = Number(arg);
          if (!(value >= 0 && Number.isFinite(value))) {
            this.write(`(temperature must be a number >= 0, got '${arg}')\n`);
            return true;
          }
          this.temperature = value;
        }
        const shown = this.temperature ?? (this.generator.model.generationDefaults.doSample ? this.generator.model.generationDefaults.temperature : 0);
        this.write(`(temperature ${shown}${shown === 0 ? ': greedy' : ''})\n`);
        return true;
      }
      case '/help':
        this.write(CHAT_HELP + '\n');
        return true;
      default:
        this.write(`(unknown command ${name}; /help lists them)\n`);
        return true;
    }
  }

  private async reply(text: string): Promise<void> {
    const { model } = this.generator;
    this.messages.push({ role: 'user', content: text });
    const ids = this.fitPrompt();
    if (!ids) {
      this.messages.pop();
      this.write(`(this message is too long for the context window of ${model.info.contextLength} tokens)\n`);
      return;
    }
    const settings: GenerationSettings = {
      maxNewTokens: this.options.maxNewTokens,
      stop: this.stops,
      seed: deriveSeed(this.options.seed, `chat turn ${this.turns++}`),
      ...(this.temperature !== undefined ? { temperature: this.temperature, doSample: this.temperature > 0 } : {}),
    };
    this.controller = new AbortController();
    try {
      const [out] = await model.generate([{ ids }], { ...settings, signal: this.controller.signal, onToken: (t) => this.write(t.text) });
      this.write(out!.finishReason === 'abort' ? ' (stopped)\n' : '\n');
      this.messages.push({ role: 'assistant', content: out!.text });
    } finally {
      this.controller = undefined;
    }
  }

  /** The prompt ids of the conversation, dropping the oldest turns (not the system message) until the prompt and
   *  the reply fit the context window; undefined when even the last message alone does not fit. */
  private fitPrompt(): number[] | undefined {
    const { model, template } = this.generator;
    const window = model.info.contextLength;
    const room = Math.min(this.options.maxNewTokens, Math.floor(window / 2));
    for (;;) {
      const ids = chatPromptIds(template, this.messages, model.tokenizer);
      if (ids.length + room <= window) return ids;
      const first = this.messages.findIndex((m) => m.role !== 'system');
      if (first < 0 || first === this.messages.length - 1) return ids.length < window ? ids : undefined;
      this.messages.splice(first, 1);
    }
  }
}
