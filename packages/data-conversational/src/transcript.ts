/**
 * Raw speaker-tagged dialogue transcripts (BabyLM `switchboard` text: lines `A: ...` / `B: ...`) turned into
 * instruction pairs: the last `window` turns as the prompt (each `speaker: text` on its own line), the next turn
 * as the reply.
 *
 * Rules: a line `X: text` (X a speaker tag) starts a turn; consecutive lines of the same speaker are one turn; an
 * untagged line continues the current turn; a blank line ends a conversation (context never crosses it). A reply
 * is produced for every turn that has at least `minContext` turns before it in its conversation.
 */
import path from 'node:path';
import { z } from 'zod';
import { DataError, type DatasetLoadOptions, type InstructionDataset, type InstructionExample, type LoadedDataset } from '@class-it/core';
import { ExampleCollector, readText, resolveSourceFiles, sourceSettingsSchema } from '@class-it/data-sources';
import { parseSettings } from '@class-it/core';

export interface TranscriptOptions {
  /** Context turns in the prompt (the turns just before the reply). */
  window: number;
  /** Fewest context turns a pair needs. */
  minContext: number;
  /** Tag each context turn with its speaker (`A: ...`). */
  speakerTags: boolean;
}

interface Turn {
  speaker: string;
  text: string;
  line: number;
}

const TAG = /^([A-Za-z][A-Za-z0-9_]{0,15}):(?:\s+|$)(.*)$/;

/** Split a transcript into conversations of turns; `onBad` gets a DataError for lines that fit nowhere. */
export function parseTranscript(text: string, file: string, onBad: (err: DataError) => void = (e) => { throw e; }): Turn[][] {
  const conversations: Turn[][] = [];
  let current: Turn[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') {
      if (current.length) conversations.push(current);
      current = [];
      return;
    }
    const m = TAG.exec(line);
    const last = current[current.length - 1];
    if (m) {
      const [, speaker, said] = m;
      if (last && last.speaker === speaker) last.text = joinText(last.text, said!.trim());
      else current.push({ speaker: speaker!, text: said!.trim(), line: i + 1 });
    } else if (last) {
      last.text = joinText(last.text, line);
    } else {
      onBad(new DataError('a line without a speaker tag (e.g. "A: ...") at the start of a conversation', { file, line: i + 1, field: 'speaker' }));
    }
  });
  if (current.length) conversations.push(current);
  return conversations.map((c) => c.filter((t) => t.text !== '')).filter((c) => c.length > 0);
}

const joinText = (a: string, b: string) => (a && b ? `${a} ${b}` : a || b);

export function buildTranscriptPairs(text: string, file: string, options: TranscriptOptions, onBad?: (err: DataError) => void): InstructionExample[] {
  const pairs: InstructionExample[] = [];
  const source = path.basename(file);
  for (const turns of parseTranscript(text, file, onBad)) {
    for (let i = Math.max(1, options.minContext); i < turns.length; i++) {
      const context = turns.slice(Math.max(0, i - options.window), i);
      const prompt = context.map((t) => (options.speakerTags ? `${t.speaker}: ${t.text}` : t.text)).join('\n');
      pairs.push({ kind: 'prompt-reply', prompt, reply: turns[i]!.text, source, id: `${source}:${turns[i]!.line}` });
    }
  }
  return pairs;
}

const settingsSchema = sourceSettingsSchema.extend({
  window: z.number().int().positive().default(2),
  minContext: z.number().int().positive().default(1),
  speakerTags: z.boolean().default(true),
}).strict();

export class TranscriptDataset implements InstructionDataset {
  readonly name = 'dialogue-transcript';
  readonly description = 'Speaker-tagged transcripts (A:/B: lines) → (last N turns → next turn) pairs';

  async load(options: DatasetLoadOptions): Promise<LoadedDataset> {
    const settings = parseSettings(settingsSchema, options.settings, `dataset '${this.name}' settings`);
    if (settings.minContext > settings.window) {
      throw new DataError(`minContext (${settings.minContext}) cannot exceed window (${settings.window})`, { field: 'minContext' });
    }
    const files = await resolveSourceFiles(settings, { ...options, endpoint: options.hubEndpoint });
    const collector = new ExampleCollector(this.name, options.badRows, settings.limit);
    for (const file of files) {
      const text = await readText(file);
      const pairs = buildTranscriptPairs(text, file, settings, (err) => collector.tryRow(() => { throw err; }));
      collector.add(pairs);
      if (collector.full) break;
    }
    return collector.result();
  }
}
