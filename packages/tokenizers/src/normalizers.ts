/** HF normalizers (the subset BPE tokenizers use), keeping alignments to the original text. */
import { ConfigError } from '@class-it/core';
import { NormalizedString } from './normalized-string.js';
import { compileOnigRegex } from './regex.js';

export interface Normalizer {
  normalize(text: NormalizedString): void;
}

type Json = Record<string, any>;

/** Build a normalizer from its `tokenizer.json` config; `field` names the config's place for errors. */
export function buildNormalizer(config: Json | null | undefined, file: string, field = 'normalizer'): Normalizer | null {
  if (config == null) return null;
  switch (config.type) {
    case 'Sequence': {
      if (!Array.isArray(config.normalizers)) throw new ConfigError('Sequence needs a normalizers array', { file, field });
      const parts = config.normalizers
        .map((c: Json, i: number) => buildNormalizer(c, file, `${field}.normalizers[${i}]`))
        .filter((n: Normalizer | null): n is Normalizer => n !== null);
      return { normalize: (s) => parts.forEach((p: Normalizer) => p.normalize(s)) };
    }
    case 'Lowercase':
      return { normalize: (s) => s.mapChars((c) => c.toLowerCase()) };
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = config.type as 'NFC' | 'NFD' | 'NFKC' | 'NFKD';
      return { normalize: (s) => unicodeNormalize(s, form) };
    }
    case 'Prepend': {
      const prefix = requireString(config.prepend, file, `${field}.prepend`);
      return { normalize: (s) => s.prepend(prefix) };
    }
    case 'Append': {
      const suffix = requireString(config.append, file, `${field}.append`);
      return { normalize: (s) => s.append(suffix) };
    }
    case 'Replace': {
      const pattern = buildPattern(config.pattern, file, `${field}.pattern`);
      const content = requireString(config.content, file, `${field}.content`);
      return { normalize: (s) => s.replace(pattern, content) };
    }
    case 'Strip': {
      const left = config.strip_left !== false;
      const right = config.strip_right !== false;
      return { normalize: (s) => stripWhitespace(s, left, right) };
    }
    default:
      throw new ConfigError(`unsupported normalizer type '${config.type}'`, { file, field: `${field}.type` });
  }
}

/** `{"String": "x"}` or `{"Regex": "..."}` as HF serialises patterns. */
export function buildPattern(config: Json | undefined, file: string, field: string): string | RegExp {
  if (config && typeof config.String === 'string') return config.String;
  if (config && typeof config.Regex === 'string') return compileOnigRegex(config.Regex);
  throw new ConfigError('expected {"String": ...} or {"Regex": ...}', { file, field });
}

export function requireString(value: unknown, file: string, field: string): string {
  if (typeof value !== 'string') throw new ConfigError(`expected a string, got ${JSON.stringify(value)}`, { file, field });
  return value;
}

function stripWhitespace(s: NormalizedString, left: boolean, right: boolean): void {
  const text = s.normalized;
  let from = 0;
  let to = text.length;
  if (left) while (from < to && /\p{White_Space}/u.test(text[from])) from++;
  if (right) while (to > from && /\p{White_Space}/u.test(text[to - 1])) to--;
  if (from === 0 && to === text.length) return;
  const kept = s.slice(from, to);
  s.normalized = kept.normalized;
  s.starts = kept.starts;
  s.ends = kept.ends;
}

/**
 * Unicode normalisation, one cluster (a character and its combining marks) at a time. In a changed cluster the
 * i-th output character takes the alignment of the i-th input character (a composed character aligns to its
 * base, as in HF); extra output characters (decomposition) align to the last input character.
 */
function unicodeNormalize(s: NormalizedString, form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD'): void {
  const text = s.normalized;
  if (text.normalize(form) === text) return;
  const clusters = text.match(/\P{M}\p{M}*|\p{M}+/gsu) ?? [];
  let out = '';
  const starts: number[] = [];
  const ends: number[] = [];
  let pos = 0;
  for (const cluster of clusters) {
    const normalized = cluster.normalize(form);
    if (normalized === cluster) {
      for (let i = 0; i < cluster.length; i++) {
        starts.push(s.starts[pos + i]);
        ends.push(s.ends[pos + i]);
      }
    } else {
      const inputStarts: number[] = [];
      let unit = pos;
      for (const c of cluster) {
        inputStarts.push(unit);
        unit += c.length;
      }
      let k = 0;
      for (const c of normalized) {
        const source = inputStarts[Math.min(k, inputStarts.length - 1)];
        for (let u = 0; u < c.length; u++) {
          starts.push(s.starts[source]);
          ends.push(s.ends[source]);
        }
        k++;
      }
    }
    out += normalized;
    pos += cluster.length;
  }
  s.normalized = out;
  s.starts = starts;
  s.ends = ends;
}
