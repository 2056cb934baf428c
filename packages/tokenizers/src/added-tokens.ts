/**
 * Added tokens (HF `AddedVocabulary`): tokens matched in the text before the model sees it. Tokens with
 * `normalized: false` are found in the raw text; the others in the normalised text.
 */
import { NormalizedString } from './normalized-string.js';
import { escapeRegex } from './regex.js';

export interface AddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** A piece of the input: either an added token (with its id) or text still to tokenise. */
export interface InputPiece {
  text: NormalizedString;
  tokenId: number | null;
}

const WORD_CHAR = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
const SPACE = /\p{White_Space}/u;

class TokenMatcher {
  private readonly regex: RegExp | null;
  private readonly byPattern: Map<string, AddedToken>;

  constructor(entries: Array<[pattern: string, token: AddedToken]>) {
    this.byPattern = new Map(entries.filter(([p]) => p.length > 0));
    const patterns = [...this.byPattern.keys()].sort((a, b) => b.length - a.length);
    // Alternatives longest first: JS picks the first alternative that matches, so this is leftmost-longest.
    this.regex = patterns.length ? new RegExp(patterns.map(escapeRegex).join('|'), 'gu') : null;
  }

  /** HF `find_matches`: `[start, end, token | null]` segments covering `text`. */
  find(text: string): Array<[number, number, AddedToken | null]> {
    if (!this.regex || text.length === 0) return [[0, text.length, null]];
    const out: Array<[number, number, AddedToken | null]> = [];
    let startOffset = 0;
    this.regex.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = this.regex.exec(text)) !== null) {
      let start = m.index;
      let stop = start + m[0].length;
      const token = this.byPattern.get(m[0])!;
      if (token.single_word) {
        const startSpace = start === 0 || !WORD_CHAR.test(lastChar(text.slice(0, start)));
        const stopSpace = stop === text.length || !WORD_CHAR.test(firstChar(text.slice(stop)));
        if (!startSpace || !stopSpace) continue;
      }
      if (token.lstrip) {
        let s = start;
        while (s > 0 && SPACE.test(text[s - 1])) s--;
        start = Math.max(s, startOffset);
      }
      if (token.rstrip) {
        while (stop < text.length && SPACE.test(text[stop])) stop++;
        this.regex.lastIndex = stop;
      }
      if (startOffset < start) out.push([startOffset, start, null]);
      out.push([start, stop, token]);
      startOffset = stop;
    }
    if (startOffset !== text.length) out.push([startOffset, text.length, null]);
    return out;
  }
}

function lastChar(text: string): string {
  const chars = Array.from(text.slice(-2));
  return chars[chars.length - 1] ?? '';
}

function firstChar(text: string): string {
  return String.fromCodePoint(text.codePointAt(0) ?? 32);
}

export class AddedVocabulary {
  readonly tokens: AddedToken[];
  private readonly byContent = new Map<string, AddedToken>();
  private readonly byId = new Map<number, AddedToken>();
  private readonly rawMatcher: TokenMatcher;
  private readonly normalizedMatcher: TokenMatcher;

  /** Token string of each id: the normalised content for `normalized` tokens, as HF's `id_to_token` gives. */
  private readonly tokenOfId = new Map<number, string>();

  constructor(tokens: AddedToken[], normalize: ((text: string) => string) | null) {
    this.tokens = tokens;
    for (const t of tokens) {
      this.byContent.set(t.content, t);
      this.byId.set(t.id, t);
      this.tokenOfId.set(t.id, t.normalized && normalize ? normalize(t.content) : t.content);
    }
    this.rawMatcher = new TokenMatcher(tokens.filter((t) => !t.normalized).map((t) => [t.content, t]));
    this.normalizedMatcher = new TokenMatcher(
      tokens.filter((t) => t.normalized).map((t) => [normalize ? normalize(t.content) : t.content, t]),
    );
  }

  get(content: string): AddedToken | undefined {
    return this.byContent.get(content);
  }

  byTokenId(id: number): AddedToken | undefined {
    return this.byId.get(id);
  }

  tokenOfTokenId(id: number): string | undefined {
    return this.tokenOfId.get(id);
  }

  isSpecialId(id: number): boolean {
    return this.byId.get(id)?.special === true;
  }

  /** HF `extract_and_normalize`: split out raw-text tokens, normalise the rest, split out normalised tokens. */
  extractAndNormalize(text: string, normalize: ((s: NormalizedString) => void) | null): InputPiece[] {
    const out: InputPiece[] = [];
    const whole = NormalizedString.fromOriginal(text, 0);
    for (const raw of split(whole, this.rawMatcher)) {
      if (raw.tokenId !== null) {
        out.push(raw);
        continue;
      }
      normalize?.(raw.text);
      for (const piece of split(raw.text, this.normalizedMatcher)) out.push(piece);
    }
    return out;
  }
}

function split(text: NormalizedString, matcher: TokenMatcher): InputPiece[] {
  const pieces: InputPiece[] = [];
  for (const [start, end, token] of matcher.find(text.normalized)) {
    if (end <= start) continue;
    pieces.push({ text: text.slice(start, end), tokenId: token ? token.id : null });
  }
  return pieces;
}
