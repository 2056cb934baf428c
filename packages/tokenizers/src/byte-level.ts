/**
 * GPT-2's byte-level alphabet: every byte maps to one printable unicode character (`bytes_to_unicode` in
 * GPT-2's encoder.py), so any UTF-8 text becomes a string over 256 symbols and back without loss.
 */

function buildByteToChar(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Array<string>(256);
  for (const b of printable) table[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCharCode(256 + n++);
  }
  return table;
}

/** `BYTE_TO_CHAR[b]` is the alphabet character of byte `b`. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Alphabet character -> byte. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** The 256 alphabet characters in GPT-2's vocabulary order (printable bytes first, then the shifted ones). */
export function byteLevelAlphabet(): string[] {
  const printable: number[] = [];
  const rest: number[] = [];
  for (let b = 0; b < 256; b++) {
    if (BYTE_TO_CHAR[b].charCodeAt(0) === b) printable.push(b);
    else rest.push(b);
  }
  return [...printable, ...rest].map((b) => BYTE_TO_CHAR[b]);
}

const encoder = new TextEncoder();
const lossyDecoder = new TextDecoder('utf-8', { fatal: false });

export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decode UTF-8 replacing invalid sequences with U+FFFD (Rust's `String::from_utf8_lossy`). */
export function decodeUtf8Lossy(bytes: Uint8Array): string {
  return lossyDecoder.decode(bytes);
}

/** Text -> byte-level alphabet string. */
export function toByteLevel(text: string): string {
  let out = '';
  for (const b of encoder.encode(text)) out += BYTE_TO_CHAR[b];
  return out;
}
