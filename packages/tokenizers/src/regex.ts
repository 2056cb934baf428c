/**
 * HF tokenizers compile patterns with Oniguruma. This turns the common ones into JS (`u` flag) regexes:
 * `\s`/`\S` become Unicode White_Space (Oniguruma's meaning, which differs from JS's `\s` on U+0085/U+FEFF),
 * and `(?i:...)` groups, which Node 20 lacks, become explicit case alternatives.
 */
export function compileOnigRegex(source: string): RegExp {
  let out = '';
  let caseInsensitiveDepth = 0;
  const groupStack: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const n = source[i + 1];
      if (n === 's') out += '\\p{White_Space}';
      else if (n === 'S') out += '\\P{White_Space}';
      else out += c + (n ?? '');
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      continue;
    }
    if (c === '(' && source.startsWith('(?i:', i)) {
      groupStack.push(true);
      caseInsensitiveDepth++;
      out += '(?:';
      i += 3;
      continue;
    }
    if (c === '(') {
      groupStack.push(false);
      out += c;
      continue;
    }
    if (c === ')') {
      if (groupStack.pop()) caseInsensitiveDepth--;
      out += c;
      continue;
    }
    if (caseInsensitiveDepth > 0 && c.toLowerCase() !== c.toUpperCase()) {
      out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
      continue;
    }
    out += c;
  }
  return new RegExp(out, 'gu');
}

/** Escape a literal string for use inside a RegExp. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
