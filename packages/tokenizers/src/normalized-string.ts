/**
 * A piece of text being normalised, with the alignment of every UTF-16 code unit to a range of the original
 * input (HF tokenizers' `NormalizedString`, but in UTF-16 units instead of bytes). Alignments are absolute
 * offsets in the original input, so token offsets are read directly from them.
 */

export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

/** One (char, change) pair as in HF's `transform`: change 0 replaces one char, +1 inserts, -n also removes n. */
export type CharChange = [string, number];

export class NormalizedString {
  constructor(
    public normalized: string,
    /** Original start offset of every code unit of `normalized`. */
    public starts: number[],
    /** Original end offset of every code unit of `normalized`. */
    public ends: number[],
    /** Where this piece starts in the original; characters inserted before everything align to it. */
    public readonly originalStart: number,
  ) {}

  /** `text` found at `offset` in the original input. A surrogate pair aligns both units to the whole pair. */
  static fromOriginal(text: string, offset = 0): NormalizedString {
    const starts = new Array<number>(text.length);
    const ends = new Array<number>(text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      const isPair = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1));
      if (isPair) {
        starts[i] = starts[i + 1] = offset + i;
        ends[i] = ends[i + 1] = offset + i + 2;
        i++;
      } else {
        starts[i] = offset + i;
        ends[i] = offset + i + 1;
      }
    }
    return new NormalizedString(text, starts, ends, offset);
  }

  get length(): number {
    return this.normalized.length;
  }

  isEmpty(): boolean {
    return this.normalized.length === 0;
  }

  /** Original `[start, end)` of the normalised units `[from, to)`: first unit's start to last unit's end. */
  originalRange(from: number, to: number): [number, number] {
    if (to <= from) {
      const at = from < this.starts.length ? this.starts[from] : from > 0 ? this.ends[from - 1] : this.originalStart;
      return [at, at];
    }
    return [this.starts[from], this.ends[to - 1]];
  }

  slice(from: number, to: number): NormalizedString {
    const originalStart = to > from ? this.starts[from] : this.originalRange(from, to)[0];
    return new NormalizedString(
      this.normalized.slice(from, to),
      this.starts.slice(from, to),
      this.ends.slice(from, to),
      originalStart,
    );
  }

  /**
   * Replace units `[from, to)` following `changes` (HF `transform_range`): the first `initialRemoved` chars of the
   * range are dropped; a char with change <= 0 replaces the next char of the range (and -n removes n more); a
   * char with change > 0 is new and takes the alignment of the unit before it.
   */
  transformRange(from: number, to: number, changes: Iterable<CharChange>, initialRemoved = 0): void {
    const replaced = Array.from(this.normalized.slice(from, to));
    let next = 0;
    let offset = from;
    for (; next < initialRemoved && next < replaced.length; next++) offset += replaced[next].length;
    let text = '';
    const starts: number[] = [];
    const ends: number[] = [];
    for (const [c, change] of changes) {
      let s: number;
      let e: number;
      if (change > 0) {
        if (offset < 1) s = e = this.originalStart;
        else {
          s = this.starts[offset - 1];
          e = this.ends[offset - 1];
        }
      } else {
        s = this.starts[offset];
        e = this.ends[offset];
        offset += (replaced[next++] ?? '').length;
        for (let k = 0; k < -change; k++) offset += (replaced[next++] ?? '').length;
      }
      text += c;
      for (let u = 0; u < c.length; u++) {
        starts.push(s);
        ends.push(e);
      }
    }
    this.normalized = this.normalized.slice(0, from) + text + this.normalized.slice(to);
    this.starts.splice(from, to - from, ...starts);
    this.ends.splice(from, to - from, ...ends);
  }

  /** Replace the whole string following `changes` (HF `transform`). */
  transform(changes: Iterable<CharChange>, initialRemoved = 0): void {
    this.transformRange(0, this.normalized.length, changes, initialRemoved);
  }

  /** Insert `prefix` before the first character (HF `prepend`; nothing on an empty string): the prefix takes the
   *  alignment of the first character. */
  prepend(prefix: string): void {
    if (this.isEmpty() || prefix.length === 0) return;
    const first = String.fromCodePoint(this.normalized.codePointAt(0)!);
    const changes: CharChange[] = Array.from(prefix, (c, i): CharChange => [c, i === 0 ? 0 : 1]);
    changes.push([first, 1]);
    this.transformRange(0, first.length, changes, 0);
  }

  /** Append `suffix` after the last character (HF `append`). */
  append(suffix: string): void {
    if (this.isEmpty()) return;
    const chars = Array.from(this.normalized);
    const last = chars[chars.length - 1];
    const from = this.normalized.length - last.length;
    const changes: CharChange[] = [[last, 0], ...Array.from(suffix, (c): CharChange => [c, 1])];
    this.transformRange(from, this.normalized.length, changes, 0);
  }

  /** Replace every match of `pattern` by `content` (HF `replace`): the new chars align to the last replaced unit. */
  replace(pattern: string | RegExp, content: string): void {
    const matches = findMatches(this.normalized, pattern).filter((m) => m[2] && m[1] > m[0]);
    if (matches.length === 0) return;
    let text = '';
    const starts: number[] = [];
    const ends: number[] = [];
    let pos = 0;
    for (const [from, to] of matches) {
      text += this.normalized.slice(pos, from);
      for (let i = pos; i < from; i++) {
        starts.push(this.starts[i]);
        ends.push(this.ends[i]);
      }
      const s = this.starts[to - 1];
      const e = this.ends[to - 1];
      text += content;
      for (let u = 0; u < content.length; u++) {
        starts.push(s);
        ends.push(e);
      }
      pos = to;
    }
    text += this.normalized.slice(pos);
    for (let i = pos; i < this.normalized.length; i++) {
      starts.push(this.starts[i]);
      ends.push(this.ends[i]);
    }
    this.normalized = text;
    this.starts = starts;
    this.ends = ends;
  }

  /** Map every character to zero or more characters (the first keeps the char's alignment, the rest are new). */
  mapChars(fn: (c: string) => string): void {
    const changes: CharChange[] = [];
    let changed = false;
    for (const c of this.normalized) {
      const out = fn(c);
      if (out !== c) changed = true;
      const outChars = Array.from(out);
      if (outChars.length === 0) {
        changes.push(['', -1]);
        continue;
      }
      outChars.forEach((o, i) => changes.push([o, i > 0 ? 1 : 0]));
    }
    if (changed) this.transformWithRemovals(changes);
  }

  /** `transform` where a `['', -1]` entry removes one char. */
  private transformWithRemovals(changes: CharChange[]): void {
    // Fold removals into the previous kept char (HF represents a removal as change -1 on the preceding char).
    const folded: CharChange[] = [];
    let leadingRemoved = 0;
    for (const [c, change] of changes) {
      if (c === '' && change === -1) {
        if (folded.length === 0) leadingRemoved++;
        else folded[folded.length - 1] = [folded[folded.length - 1][0], folded[folded.length - 1][1] - 1];
      } else folded.push([c, change]);
    }
    // A removal folded into an inserted char (change > 0) would mean "insert and remove"; HF encodes the same.
    this.transform(folded, leadingRemoved);
  }

  /** Split on `pattern` with HF's split behaviours; empty pieces are dropped. */
  split(pattern: string | RegExp, behavior: SplitBehavior, invert = false): NormalizedString[] {
    let matches = findMatches(this.normalized, pattern);
    if (invert) matches = matches.map(([s, e, m]) => [s, e, !m]);
    const ranges = applyBehavior(matches, behavior);
    const pieces: NormalizedString[] = [];
    for (const [from, to] of ranges) if (to > from) pieces.push(this.slice(from, to));
    return pieces;
  }
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** `[start, end, isMatch]` segments covering `text`: matches of `pattern` and the gaps between them. */
export function findMatches(text: string, pattern: string | RegExp): Array<[number, number, boolean]> {
  if (text.length === 0) return [[0, 0, false]];
  const out: Array<[number, number, boolean]> = [];
  let prev = 0;
  const push = (start: number, end: number) => {
    if (start > prev) out.push([prev, start, false]);
    out.push([start, end, true]);
    prev = end;
  };
  if (typeof pattern === 'string') {
    if (pattern.length === 0) return [[0, text.length, false]];
    let at = text.indexOf(pattern);
    while (at !== -1) {
      push(at, at + pattern.length);
      at = text.indexOf(pattern, at + pattern.length);
    }
  } else {
    const re = pattern.global ? pattern : new RegExp(pattern.source, pattern.flags + 'g');
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      push(m.index, m.index + m[0].length);
    }
  }
  if (prev < text.length) out.push([prev, text.length, false]);
  return out;
}

function applyBehavior(matches: Array<[number, number, boolean]>, behavior: SplitBehavior): Array<[number, number]> {
  switch (behavior) {
    case 'Isolated':
      return matches.map(([s, e]) => [s, e]);
    case 'Removed':
      return matches.filter((m) => !m[2]).map(([s, e]) => [s, e]);
    case 'Contiguous': {
      const acc: Array<[number, number]> = [];
      let previousMatch = false;
      for (const [s, e, isMatch] of matches) {
        if (isMatch === previousMatch && acc.length > 0) acc[acc.length - 1][1] = e;
        else acc.push([s, e]);
        previousMatch = isMatch;
      }
      return acc;
    }
    case 'MergedWithPrevious': {
      const acc: Array<[number, number]> = [];
      let previousMatch = false;
      for (const [s, e, isMatch] of matches) {
        if (isMatch && !previousMatch && acc.length > 0) acc[acc.length - 1][1] = e;
        else acc.push([s, e]);
        previousMatch = isMatch;
      }
      return acc;
    }
    case 'MergedWithNext': {
      const acc: Array<[number, number]> = [];
      let previousMatch = false;
      for (let i = matches.length - 1; i >= 0; i--) {
        const [s, e, isMatch] = matches[i];
        if (isMatch && !previousMatch && acc.length > 0) acc[acc.length - 1][0] = s;
        else acc.push([s, e]);
        previousMatch = isMatch;
      }
      return acc.reverse();
    }
  }
}
