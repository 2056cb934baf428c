/**
 * The one words rule: a word is a maximal run of non-whitespace characters, as BabyLM counts its corpora
 * (`len(text.split())` in Python). Every words-seen and unique-words count in class-it goes through here.
 */
export function countWords(text: string): number {
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = isWhitespace(text.charCodeAt(i));
    if (!space && !inWord) count++;
    inWord = !space;
  }
  return count;
}

/** Python's str.split() whitespace: ASCII whitespace, the 0x1c-0x1f separators, and Unicode spaces. */
function isWhitespace(c: number): boolean {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c === 0x85 || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}
