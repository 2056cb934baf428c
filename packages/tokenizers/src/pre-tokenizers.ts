/** HF pre-tokenizers: split a normalised piece into words for the BPE model, keeping alignments. */
import { ConfigError } from '@class-it/core';
import { BYTE_TO_CHAR } from './byte-level.js';
import { NormalizedString, type SplitBehavior } from './normalized-string.js';
import { buildPattern, requireString } from './normalizers.js';

export interface PreTokenizer {
  preTokenize(pieces: NormalizedString[]): NormalizedString[];
}

type Json = Record<string, any>;

/** GPT-2's word split, with Oniguruma's `\s` (Unicode White_Space). */
export const GPT2_SPLIT_REGEX =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

const utf8 = new TextEncoder();

/** Map every character of `s` to its UTF-8 bytes as byte-level alphabet characters. */
export function toByteLevelInPlace(s: NormalizedString): void {
  const text = s.normalized;
  let out = '';
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < text.length; ) {
    const code = text.codePointAt(i)!;
    const width = code > 0xffff ? 2 : 1;
    if (code < 0x80) {
      out += BYTE_TO_CHAR[code];
      starts.push(s.starts[i]);
      ends.push(s.ends[i]);
    } else {
      const bytes = utf8.encode(text.slice(i, i + width));
      const last = i + width - 1;
      for (let b = 0; b < bytes.length; b++) {
        out += BYTE_TO_CHAR[bytes[b]];
        // First byte replaces the char (its alignment); the others are inserted after it (alignment of its last unit).
        starts.push(b === 0 ? s.starts[i] : s.starts[last]);
        ends.push(b === 0 ? s.ends[i] : s.ends[last]);
      }
    }
    i += width;
  }
  s.normalized = out;
  s.starts = starts;
  s.ends = ends;
}

export class ByteLevelPreTokenizer implements PreTokenizer {
  constructor(
    readonly addPrefixSpace: boolean,
    readonly useRegex: boolean,
  ) {}

  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    const out: NormalizedString[] = [];
    for (const piece of pieces) {
      if (this.addPrefixSpace && !piece.normalized.startsWith(' ')) piece.prepend(' ');
      const words = this.useRegex ? piece.split(GPT2_SPLIT_REGEX, 'Isolated') : piece.isEmpty() ? [] : [piece];
      for (const word of words) {
        toByteLevelInPlace(word);
        out.push(word);
      }
    }
    return out;
  }
}

export type PrependScheme = 'first' | 'always' | 'never';

export class MetaspacePreTokenizer implements PreTokenizer {
  constructor(
    readonly replacement: string,
    readonly prependScheme: PrependScheme,
    readonly split: boolean,
  ) {}

  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    const out: NormalizedString[] = [];
    for (const piece of pieces) {
      piece.replace(' ', this.replacement);
      const prepend =
        this.prependScheme === 'always' || (this.prependScheme === 'first' && piece.originalStart === 0);
      if (prepend && !piece.normalized.startsWith(this.replacement)) piece.prepend(this.replacement);
      if (this.split) out.push(...piece.split(this.replacement, 'MergedWithNext'));
      else if (!piece.isEmpty()) out.push(piece);
    }
    return out;
  }
}

class SplitPreTokenizer implements PreTokenizer {
  constructor(
    readonly pattern: string | RegExp,
    readonly behavior: SplitBehavior,
    readonly invert: boolean,
  ) {}

  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    return pieces.flatMap((p) => p.split(this.pattern, this.behavior, this.invert));
  }
}

class SequencePreTokenizer implements PreTokenizer {
  constructor(readonly parts: PreTokenizer[]) {}

  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    return this.parts.reduce((acc, p) => p.preTokenize(acc), pieces);
  }
}

const BEHAVIORS: SplitBehavior[] = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'];

export function buildPreTokenizer(config: Json | null | undefined, file: string, field = 'pre_tokenizer'): PreTokenizer | null {
  if (config == null) return null;
  switch (config.type) {
    case 'ByteLevel':
      return new ByteLevelPreTokenizer(config.add_prefix_space === true, config.use_regex !== false);
    case 'Metaspace': {
      const replacement = requireString(config.replacement ?? '▁', file, `${field}.replacement`);
      let scheme: PrependScheme;
      if (config.prepend_scheme !== undefined) {
        if (!['first', 'always', 'never'].includes(config.prepend_scheme)) {
          throw new ConfigError(`unknown prepend_scheme '${config.prepend_scheme}'`, { file, field: `${field}.prepend_scheme` });
        }
        scheme = config.prepend_scheme;
      } else scheme = config.add_prefix_space === false ? 'never' : 'always';
      return new MetaspacePreTokenizer(replacement, scheme, config.split !== false);
    }
    case 'Split': {
      const behavior = config.behavior as SplitBehavior;
      if (!BEHAVIORS.includes(behavior)) throw new ConfigError(`unknown split behavior '${behavior}'`, { file, field: `${field}.behavior` });
      return new SplitPreTokenizer(buildPattern(config.pattern, file, `${field}.pattern`), behavior, config.invert === true);
    }
    case 'WhitespaceSplit':
      return new SplitPreTokenizer(/\p{White_Space}+/gu, 'Removed', false);
    case 'Whitespace':
      return new SplitPreTokenizer(/[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]+|[^\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}\p{White_Space}]+/gu, 'Removed', true);
    case 'Digits':
      return new SplitPreTokenizer(/\p{N}/gu, config.individual_digits ? 'Isolated' : 'Contiguous', false);
    case 'Sequence': {
      if (!Array.isArray(config.pretokenizers)) throw new ConfigError('Sequence needs a pretokenizers array', { file, field });
      return new SequencePreTokenizer(
        config.pretokenizers
          .map((c: Json, i: number) => buildPreTokenizer(c, file, `${field}.pretokenizers[${i}]`))
          .filter((p: PreTokenizer | null): p is PreTokenizer => p !== null),
      );
    }
    default:
      throw new ConfigError(`unsupported pre_tokenizer type '${config.type}'`, { file, field: `${field}.type` });
  }
}
