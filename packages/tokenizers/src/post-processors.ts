/** HF post-processors: add special tokens (TemplateProcessing) and trim byte-level offsets (ByteLevel). */
import { ConfigError } from '@class-it/core';
import { BYTE_TO_CHAR } from './byte-level.js';

/** An encoding under construction: parallel arrays. */
export interface TokenRun {
  ids: number[];
  tokens: string[];
  offsets: Array<[number, number]>;
  specialTokensMask: number[];
}

export interface PostProcessor {
  process(run: TokenRun, addSpecialTokens: boolean): TokenRun;
  /** Special tokens this processor adds to a single sequence (for `tokenizer_config.json`). */
  addedTokens(): { before: string[]; after: string[] };
}

type Json = Record<string, any>;

const SPACE_CHAR = BYTE_TO_CHAR[0x20];

/** HF `process_offsets`: move offsets past leading/trailing (byte-level) spaces of each token. */
export function trimByteLevelOffsets(run: TokenRun, addPrefixSpace: boolean): void {
  run.tokens.forEach((token, i) => {
    const chars = Array.from(token);
    const isSpace = (c: string) => c === SPACE_CHAR || /\p{White_Space}/u.test(c);
    let leading = 0;
    while (leading < chars.length && isSpace(chars[leading])) leading++;
    let trailing = 0;
    while (trailing < chars.length && isSpace(chars[chars.length - 1 - trailing])) trailing++;
    if (leading === 0 && trailing === 0) return;
    const offsets = run.offsets[i];
    if (leading > 0) {
      const isFirst = i === 0 || offsets[0] === 0;
      if (isFirst && addPrefixSpace && leading === 1) leading = 0;
      offsets[0] = Math.min(offsets[0] + leading, offsets[1]);
    }
    if (trailing > 0 && offsets[1] >= trailing) offsets[1] = Math.max(offsets[1] - trailing, offsets[0]);
  });
}

class ByteLevelPostProcessor implements PostProcessor {
  constructor(
    readonly addPrefixSpace: boolean,
    readonly trimOffsets: boolean,
  ) {}

  process(run: TokenRun): TokenRun {
    if (this.trimOffsets) trimByteLevelOffsets(run, this.addPrefixSpace);
    return run;
  }

  addedTokens() {
    return { before: [], after: [] };
  }
}

interface TemplateSpecial {
  ids: number[];
  tokens: string[];
}

type TemplatePiece = { special: string } | { sequence: true };

export class TemplatePostProcessor implements PostProcessor {
  constructor(
    readonly single: TemplatePiece[],
    readonly specials: Map<string, TemplateSpecial>,
  ) {}

  process(run: TokenRun, addSpecialTokens: boolean): TokenRun {
    if (!addSpecialTokens) return run;
    const out: TokenRun = { ids: [], tokens: [], offsets: [], specialTokensMask: [] };
    for (const piece of this.single) {
      if ('sequence' in piece) {
        out.ids.push(...run.ids);
        out.tokens.push(...run.tokens);
        out.offsets.push(...run.offsets);
        out.specialTokensMask.push(...run.specialTokensMask);
      } else {
        const special = this.specials.get(piece.special)!;
        special.ids.forEach((id, k) => {
          out.ids.push(id);
          out.tokens.push(special.tokens[k]);
          out.offsets.push([0, 0]);
          out.specialTokensMask.push(1);
        });
      }
    }
    return out;
  }

  addedTokens() {
    const before: string[] = [];
    const after: string[] = [];
    let seenSequence = false;
    for (const piece of this.single) {
      if ('sequence' in piece) seenSequence = true;
      else (seenSequence ? after : before).push(...this.specials.get(piece.special)!.tokens);
    }
    return { before, after };
  }
}

class SequencePostProcessor implements PostProcessor {
  constructor(readonly parts: PostProcessor[]) {}

  process(run: TokenRun, addSpecialTokens: boolean): TokenRun {
    return this.parts.reduce((acc, p) => p.process(acc, addSpecialTokens), run);
  }

  addedTokens() {
    const before: string[] = [];
    const after: string[] = [];
    for (const p of this.parts) {
      const a = p.addedTokens();
      before.push(...a.before);
      after.push(...a.after);
    }
    return { before, after };
  }
}

/** `<s> $A </s>`-style processors (Roberta / Bert) as templates, with Roberta's byte-level trimming. */
function classSepProcessor(cls: [string, number], sep: [string, number], trim: { addPrefixSpace: boolean } | null): PostProcessor {
  const specials = new Map<string, TemplateSpecial>([
    [cls[0], { ids: [cls[1]], tokens: [cls[0]] }],
    [sep[0], { ids: [sep[1]], tokens: [sep[0]] }],
  ]);
  const template = new TemplatePostProcessor([{ special: cls[0] }, { sequence: true }, { special: sep[0] }], specials);
  if (!trim) return template;
  return new SequencePostProcessor([new ByteLevelPostProcessor(trim.addPrefixSpace, true), template]);
}

export function buildPostProcessor(config: Json | null | undefined, file: string, field = 'post_processor'): PostProcessor | null {
  if (config == null) return null;
  switch (config.type) {
    case 'ByteLevel':
      return new ByteLevelPostProcessor(config.add_prefix_space === true, config.trim_offsets === true);
    case 'TemplateProcessing': {
      if (!Array.isArray(config.single)) throw new ConfigError('TemplateProcessing needs a single template array', { file, field: `${field}.single` });
      const specials = new Map<string, TemplateSpecial>();
      for (const [name, value] of Object.entries((config.special_tokens ?? {}) as Record<string, Json>)) {
        if (!Array.isArray(value.ids) || !Array.isArray(value.tokens)) {
          throw new ConfigError('special token needs ids and tokens arrays', { file, field: `${field}.special_tokens.${name}` });
        }
        specials.set(name, { ids: value.ids, tokens: value.tokens });
      }
      const single: TemplatePiece[] = config.single.map((piece: Json, i: number): TemplatePiece => {
        if (piece.Sequence) return { sequence: true };
        if (piece.SpecialToken && specials.has(piece.SpecialToken.id)) return { special: piece.SpecialToken.id };
        throw new ConfigError('expected a Sequence or a SpecialToken listed in special_tokens', { file, field: `${field}.single[${i}]` });
      });
      return new TemplatePostProcessor(single, specials);
    }
    case 'RobertaProcessing':
      return classSepProcessor(config.cls, config.sep, config.trim_offsets ? { addPrefixSpace: config.add_prefix_space === true } : null);
    case 'BertProcessing':
      return classSepProcessor(config.cls, config.sep, null);
    case 'Sequence': {
      if (!Array.isArray(config.processors)) throw new ConfigError('Sequence needs a processors array', { file, field });
      return new SequencePostProcessor(
        config.processors
          .map((c: Json, i: number) => buildPostProcessor(c, file, `${field}.processors[${i}]`))
          .filter((p: PostProcessor | null): p is PostProcessor => p !== null),
      );
    }
    default:
      throw new ConfigError(`unsupported post_processor type '${config.type}'`, { file, field: `${field}.type` });
  }
}
