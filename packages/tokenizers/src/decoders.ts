/** HF decoders: turn a list of token strings back into text. */
import { ConfigError } from '@class-it/core';
import { CHAR_TO_BYTE, decodeUtf8Lossy } from './byte-level.js';
import { buildPattern, requireString } from './normalizers.js';

/** HF `decode_chain`: tokens in, tokens out; the final text is the concatenation. */
export interface Decoder {
  decodeChain(tokens: string[]): string[];
}

type Json = Record<string, any>;

const utf8 = new TextEncoder();

class ByteLevelDecoder implements Decoder {
  decodeChain(tokens: string[]): string[] {
    const bytes: number[] = [];
    for (const token of tokens) {
      const mapped: number[] = [];
      let ok = true;
      for (const c of token) {
        const b = CHAR_TO_BYTE.get(c);
        if (b === undefined) {
          ok = false;
          break;
        }
        mapped.push(b);
      }
      if (ok) bytes.push(...mapped);
      else bytes.push(...utf8.encode(token));
    }
    return [decodeUtf8Lossy(Uint8Array.from(bytes))];
  }
}

class ReplaceDecoder implements Decoder {
  constructor(
    readonly pattern: string | RegExp,
    readonly content: string,
  ) {}

  decodeChain(tokens: string[]): string[] {
    return tokens.map((t) =>
      typeof this.pattern === 'string' ? t.split(this.pattern).join(this.content) : t.replace(this.pattern, this.content),
    );
  }
}

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

class ByteFallbackDecoder implements Decoder {
  decodeChain(tokens: string[]): string[] {
    const out: string[] = [];
    let pending: number[] = [];
    const flush = () => {
      if (pending.length === 0) return;
      try {
        out.push(new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(pending)));
      } catch {
        for (let i = 0; i < pending.length; i++) out.push('\ufffd');
      }
      pending = [];
    };
    for (const token of tokens) {
      const m = token.length === 6 ? BYTE_TOKEN.exec(token) : null;
      if (m) pending.push(parseInt(m[1], 16));
      else {
        flush();
        out.push(token);
      }
    }
    flush();
    return out;
  }
}

class FuseDecoder implements Decoder {
  decodeChain(tokens: string[]): string[] {
    return [tokens.join('')];
  }
}

class StripDecoder implements Decoder {
  constructor(
    readonly content: string,
    readonly start: number,
    readonly stop: number,
  ) {}

  decodeChain(tokens: string[]): string[] {
    return tokens.map((token) => {
      const chars = Array.from(token);
      let from = 0;
      while (from < this.start && from < chars.length && chars[from] === this.content) from++;
      let to = chars.length;
      while (chars.length - to < this.stop && to > from && chars[to - 1] === this.content) to--;
      return chars.slice(from, to).join('');
    });
  }
}

class MetaspaceDecoder implements Decoder {
  constructor(
    readonly replacement: string,
    readonly stripFirst: boolean,
  ) {}

  decodeChain(tokens: string[]): string[] {
    // As HF: in the first token every replacement character is dropped (not only a leading one).
    return tokens.map((token, i) => token.split(this.replacement).join(i === 0 && this.stripFirst ? '' : ' '));
  }
}

class SequenceDecoder implements Decoder {
  constructor(readonly parts: Decoder[]) {}

  decodeChain(tokens: string[]): string[] {
    return this.parts.reduce((acc, d) => d.decodeChain(acc), tokens);
  }
}

export function buildDecoder(config: Json | null | undefined, file: string, field = 'decoder'): Decoder | null {
  if (config == null) return null;
  switch (config.type) {
    case 'ByteLevel':
      return new ByteLevelDecoder();
    case 'Replace':
      return new ReplaceDecoder(buildPattern(config.pattern, file, `${field}.pattern`), requireString(config.content, file, `${field}.content`));
    case 'ByteFallback':
      return new ByteFallbackDecoder();
    case 'Fuse':
      return new FuseDecoder();
    case 'Strip':
      return new StripDecoder(requireString(config.content, file, `${field}.content`), config.start ?? 0, config.stop ?? 0);
    case 'Metaspace': {
      const scheme = config.prepend_scheme ?? (config.add_prefix_space === false ? 'never' : 'always');
      return new MetaspaceDecoder(config.replacement ?? '▁', scheme !== 'never');
    }
    case 'Sequence': {
      if (!Array.isArray(config.decoders)) throw new ConfigError('Sequence needs a decoders array', { file, field });
      return new SequenceDecoder(
        config.decoders
          .map((c: Json, i: number) => buildDecoder(c, file, `${field}.decoders[${i}]`))
          .filter((d: Decoder | null): d is Decoder => d !== null),
      );
    }
    default:
      throw new ConfigError(`unsupported decoder type '${config.type}'`, { file, field: `${field}.type` });
  }
}
