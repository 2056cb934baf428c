/**
 * A BPE tokenizer read from and written to HF `tokenizer.json`: added tokens, normalizer, pre-tokenizer, BPE
 * model, post-processor and decoder, with offsets in UTF-16 units of the input as HF fast tokenizers report them.
 */
import path from 'node:path';
import { ConfigError, writeFileAtomic, type EncodeOptions, type Encoding, type SpecialTokens, type Tokenizer } from '@class-it/core';
import { AddedVocabulary, type AddedToken } from './added-tokens.js';
import { BpeModel } from './bpe-model.js';
import { buildDecoder, type Decoder } from './decoders.js';
import { NormalizedString } from './normalized-string.js';
import { buildNormalizer, type Normalizer } from './normalizers.js';
import { buildPostProcessor, TemplatePostProcessor, type PostProcessor, type TokenRun } from './post-processors.js';
import { buildPreTokenizer, type PreTokenizer } from './pre-tokenizers.js';

type Json = Record<string, any>;

/** The parts of `tokenizer_config.json` we read and write. */
export interface TokenizerSettings {
  specialTokens: SpecialTokens;
  /** `model_max_length`; a huge number means "no limit" in HF. */
  modelMaxLength?: number;
  /** `tokenizer_class`; default `PreTrainedTokenizerFast` (uses `tokenizer.json` exactly, in transformers 4 and 5). */
  tokenizerClass?: string;
  /** Other `tokenizer_config.json` fields to keep when saving (e.g. `chat_template`). */
  extraConfig?: Record<string, unknown>;
}

export interface DetailedEncoding extends Encoding {
  /** Token strings (vocabulary entries). */
  tokens: string[];
}

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const SPECIAL_TOKENS_MAP_FILE = 'special_tokens_map.json';

const SPECIAL_CONFIG_KEYS = { bos: 'bos_token', eos: 'eos_token', pad: 'pad_token', unk: 'unk_token' } as const;

export class BpeTokenizer implements Tokenizer {
  readonly model: BpeModel;
  readonly addedVocabulary: AddedVocabulary;
  readonly specialTokens: SpecialTokens;
  readonly modelMaxLength: number | undefined;
  readonly tokenizerClass: string | undefined;
  readonly extraConfig: Record<string, unknown>;
  private readonly normalizer: Normalizer | null;
  private readonly preTokenizer: PreTokenizer | null;
  private readonly postProcessor: PostProcessor | null;
  private readonly decoder: Decoder | null;
  private readonly json: Json;
  private readonly maxId: number;

  /** Build from a parsed `tokenizer.json`; `file` names it in errors. */
  constructor(json: Json, settings: Partial<TokenizerSettings> = {}, file = TOKENIZER_FILE) {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ConfigError('expected a JSON object', { file });
    this.json = json;
    const model = json.model;
    if (model === null || typeof model !== 'object') throw new ConfigError('missing model object', { file, field: 'model' });
    if (model.type !== undefined && model.type !== 'BPE') {
      throw new ConfigError(`unsupported model type '${model.type}' (only BPE)`, { file, field: 'model.type' });
    }
    if (model.dropout != null && model.dropout !== 0) {
      throw new ConfigError('BPE dropout is not supported', { file, field: 'model.dropout' });
    }
    this.model = new BpeModel(
      {
        vocab: parseVocab(model.vocab, file),
        merges: parseMerges(model.merges, file),
        unkToken: model.unk_token ?? null,
        byteFallback: model.byte_fallback === true,
        fuseUnk: model.fuse_unk === true,
        continuingSubwordPrefix: model.continuing_subword_prefix ?? null,
        endOfWordSuffix: model.end_of_word_suffix ?? null,
        ignoreMerges: model.ignore_merges === true,
      },
      file,
    );
    this.normalizer = buildNormalizer(json.normalizer, file);
    this.preTokenizer = buildPreTokenizer(json.pre_tokenizer, file);
    this.postProcessor = buildPostProcessor(json.post_processor, file);
    this.decoder = buildDecoder(json.decoder, file);
    const added = parseAddedTokens(json.added_tokens, file);
    const normalizeText = this.normalizer
      ? (text: string) => {
          const s = NormalizedString.fromOriginal(text);
          this.normalizer!.normalize(s);
          return s.normalized;
        }
      : null;
    this.addedVocabulary = new AddedVocabulary(added, normalizeText);
    this.maxId = Math.max(this.model.size - 1, ...added.map((t) => t.id));
    this.specialTokens = settings.specialTokens ?? inferSpecialTokens(added);
    for (const [name, token] of Object.entries(this.specialTokens)) {
      const tokens = Array.isArray(token) ? token : [token];
      for (const t of tokens) {
        if (typeof t === 'string' && this.tokenToId(t) === undefined) {
          throw new ConfigError(`special token '${t}' is not in the vocabulary`, { file, field: name });
        }
      }
    }
    this.modelMaxLength = settings.modelMaxLength;
    this.tokenizerClass = settings.tokenizerClass;
    this.extraConfig = settings.extraConfig ?? {};
  }

  /** Number of ids (model vocabulary plus added tokens), like `len(tokenizer)` in transformers. */
  get vocabSize(): number {
    return this.maxId + 1;
  }

  encode(text: string, options: EncodeOptions = {}): DetailedEncoding {
    const addSpecialTokens = options.addSpecialTokens ?? true;
    const run: TokenRun = { ids: [], tokens: [], offsets: [], specialTokensMask: [] };
    const normalize = this.normalizer ? (s: NormalizedString) => this.normalizer!.normalize(s) : null;
    for (const piece of this.addedVocabulary.extractAndNormalize(text, normalize)) {
      if (piece.tokenId !== null) {
        run.ids.push(piece.tokenId);
        run.tokens.push(piece.text.normalized);
        run.offsets.push(piece.text.originalRange(0, piece.text.length));
        run.specialTokensMask.push(0);
        continue;
      }
      const words = this.preTokenizer ? this.preTokenizer.preTokenize([piece.text]) : [piece.text];
      for (const word of words) {
        for (const t of this.model.tokenizeWord(word.normalized)) {
          run.ids.push(t.id);
          run.tokens.push(this.model.idToToken[t.id]);
          run.offsets.push(word.originalRange(t.start, t.end));
          run.specialTokensMask.push(0);
        }
      }
    }
    const out = this.postProcessor ? this.postProcessor.process(run, addSpecialTokens) : run;
    return { ids: out.ids, offsets: out.offsets, specialTokensMask: out.specialTokensMask, tokens: out.tokens };
  }

  decode(ids: number[], options: { skipSpecialTokens?: boolean } = {}): string {
    const tokens: string[] = [];
    for (const id of ids) {
      if (options.skipSpecialTokens && this.addedVocabulary.isSpecialId(id)) continue;
      const token = this.idToToken(id);
      if (token !== undefined) tokens.push(token);
    }
    return this.decoder ? this.decoder.decodeChain(tokens).join('') : tokens.join(' ');
  }

  tokenToId(token: string): number | undefined {
    return this.addedVocabulary.get(token)?.id ?? this.model.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.addedVocabulary.tokenOfTokenId(id) ?? this.model.idToToken[id];
  }

  specialId(name: 'bos' | 'eos' | 'pad' | 'unk'): number | undefined {
    const token = this.specialTokens[name];
    return token === undefined ? undefined : this.tokenToId(token);
  }

  /** Ids of all special added tokens (BOS/EOS/PAD/UNK and chat-role markers). */
  specialIds(): number[] {
    return this.addedVocabulary.tokens.filter((t) => t.special).map((t) => t.id);
  }

  /** A copy with `tokens` added as special tokens (ids appended after the last id); existing ones are kept. */
  withAddedSpecialTokens(tokens: string[]): BpeTokenizer {
    const json = this.toJSON();
    let next = this.vocabSize;
    const additional = [...(this.specialTokens.additional ?? [])];
    const named = [this.specialTokens.bos, this.specialTokens.eos, this.specialTokens.pad, this.specialTokens.unk];
    for (const content of tokens) {
      const existing = json.added_tokens.find((t: AddedToken) => t.content === content);
      if (existing) existing.special = true;
      else if (this.model.vocab.has(content)) json.added_tokens.push(addedTokenJson(this.model.vocab.get(content)!, content));
      else json.added_tokens.push(addedTokenJson(next++, content));
      if (!additional.includes(content) && !named.includes(content)) additional.push(content);
    }
    return new BpeTokenizer(json, { ...this.settings(), specialTokens: { ...this.specialTokens, additional } });
  }

  /** The `tokenizer.json` content (a fresh object). */
  toJSON(): Json {
    const model: Json = {
      type: 'BPE',
      dropout: null,
      unk_token: this.model.unkToken,
      continuing_subword_prefix: this.model.continuingSubwordPrefix,
      end_of_word_suffix: this.model.endOfWordSuffix,
      fuse_unk: this.model.fuseUnk,
      byte_fallback: this.model.byteFallback,
      ignore_merges: this.model.ignoreMerges,
      vocab: Object.fromEntries(this.model.vocab),
      merges: this.model.merges.some(([a, b]) => a.includes(' ') || b.includes(' '))
        ? this.model.merges.map(([a, b]) => [a, b])
        : this.model.merges.map(([a, b]) => `${a} ${b}`),
    };
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.addedVocabulary.tokens.map((t) => ({ ...t })),
      normalizer: clone(this.json.normalizer ?? null),
      pre_tokenizer: clone(this.json.pre_tokenizer ?? null),
      post_processor: clone(this.json.post_processor ?? null),
      decoder: clone(this.json.decoder ?? null),
      model,
    };
  }

  /** The `tokenizer_config.json` content transformers needs to load the same special tokens. */
  toConfigJSON(): Json {
    const config: Json = { ...this.extraConfig };
    const added = this.postProcessor?.addedTokens() ?? { before: [], after: [] };
    config.tokenizer_class = this.tokenizerClass ?? 'PreTrainedTokenizerFast';
    for (const [name, key] of Object.entries(SPECIAL_CONFIG_KEYS)) {
      const token = this.specialTokens[name as keyof typeof SPECIAL_CONFIG_KEYS];
      config[key] = token ?? null;
    }
    config.additional_special_tokens = this.specialTokens.additional ?? [];
    // transformers 5 rebuilds the post-processor as `[bos] $A [eos]` when these keys are present, so write them only
    // when that rebuild gives back exactly our template (otherwise e.g. a ByteLevel offset trimmer would be lost).
    const { bos, eos } = this.specialTokens;
    const templateIsBosEos =
      this.postProcessor instanceof TemplatePostProcessor &&
      added.before.length <= 1 &&
      added.after.length <= 1 &&
      added.before.every((t) => t === bos) &&
      added.after.every((t) => t === eos);
    if (templateIsBosEos) {
      config.add_bos_token = added.before.length === 1;
      config.add_eos_token = added.after.length === 1;
    }
    if (this.modelMaxLength !== undefined) config.model_max_length = this.modelMaxLength;
    config.clean_up_tokenization_spaces = false;
    config.added_tokens_decoder = Object.fromEntries(
      this.addedVocabulary.tokens.map((t) => [
        String(t.id),
        { content: t.content, lstrip: t.lstrip, normalized: t.normalized, rstrip: t.rstrip, single_word: t.single_word, special: t.special },
      ]),
    );
    return config;
  }

  /** `special_tokens_map.json` as transformers writes it: the named special tokens and the additional ones. */
  toSpecialTokensMapJSON(): Json {
    const map: Json = {};
    for (const [name, key] of Object.entries(SPECIAL_CONFIG_KEYS)) {
      const token = this.specialTokens[name as keyof typeof SPECIAL_CONFIG_KEYS];
      if (token !== undefined) map[key] = token;
    }
    if (this.specialTokens.additional?.length) map.additional_special_tokens = [...this.specialTokens.additional];
    return map;
  }

  /** Write `tokenizer.json`, `tokenizer_config.json` and `special_tokens_map.json` into `dir` (each atomically). */
  async save(dir: string): Promise<void> {
    await writeFileAtomic(path.join(dir, TOKENIZER_FILE), JSON.stringify(this.toJSON(), null, 2) + '\n');
    await writeFileAtomic(path.join(dir, TOKENIZER_CONFIG_FILE), JSON.stringify(this.toConfigJSON(), null, 2) + '\n');
    await writeFileAtomic(path.join(dir, SPECIAL_TOKENS_MAP_FILE), JSON.stringify(this.toSpecialTokensMapJSON(), null, 2) + '\n');
  }

  private settings(): TokenizerSettings {
    return {
      specialTokens: this.specialTokens,
      modelMaxLength: this.modelMaxLength,
      tokenizerClass: this.tokenizerClass,
      extraConfig: this.extraConfig,
    };
  }
}

export function addedTokenJson(id: number, content: string, special = true): AddedToken {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special };
}

function clone<T>(value: T): T {
  return value === null || value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function parseVocab(vocab: unknown, file: string): Map<string, number> {
  if (vocab === null || typeof vocab !== 'object' || Array.isArray(vocab)) {
    throw new ConfigError('expected an object mapping tokens to ids', { file, field: 'model.vocab' });
  }
  const map = new Map<string, number>();
  for (const [token, id] of Object.entries(vocab as Record<string, unknown>)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new ConfigError(`id of '${token}' must be a non-negative integer, got ${JSON.stringify(id)}`, { file, field: 'model.vocab' });
    }
    map.set(token, id);
  }
  return map;
}

function parseMerges(merges: unknown, file: string): Array<[string, string]> {
  if (merges === undefined) return [];
  if (!Array.isArray(merges)) throw new ConfigError('expected an array', { file, field: 'model.merges' });
  return merges.map((m, i): [string, string] => {
    if (typeof m === 'string') {
      const space = m.indexOf(' ');
      if (space <= 0 || m.indexOf(' ', space + 1) !== -1) {
        throw new ConfigError(`merge '${m}' is not two tokens separated by one space`, { file, field: `model.merges[${i}]` });
      }
      return [m.slice(0, space), m.slice(space + 1)];
    }
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
    throw new ConfigError(`merge ${JSON.stringify(m)} is neither "a b" nor ["a", "b"]`, { file, field: `model.merges[${i}]` });
  });
}

function parseAddedTokens(tokens: unknown, file: string): AddedToken[] {
  if (tokens === undefined || tokens === null) return [];
  if (!Array.isArray(tokens)) throw new ConfigError('expected an array', { file, field: 'added_tokens' });
  return tokens.map((t: Json, i): AddedToken => {
    const field = `added_tokens[${i}]`;
    if (t === null || typeof t !== 'object') throw new ConfigError('expected an object', { file, field });
    if (typeof t.content !== 'string' || t.content.length === 0) throw new ConfigError('content must be a non-empty string', { file, field: `${field}.content` });
    if (!Number.isInteger(t.id) || t.id < 0) throw new ConfigError('id must be a non-negative integer', { file, field: `${field}.id` });
    return {
      id: t.id,
      content: t.content,
      single_word: t.single_word === true,
      lstrip: t.lstrip === true,
      rstrip: t.rstrip === true,
      normalized: t.normalized ?? !t.special,
      special: t.special === true,
    };
  });
}

/** Without a `tokenizer_config.json`: recognise the usual names of BOS/EOS/PAD/UNK among special added tokens. */
export function inferSpecialTokens(added: AddedToken[]): SpecialTokens {
  const special = added.filter((t) => t.special).map((t) => t.content);
  const pick = (...names: string[]) => names.find((n) => special.includes(n));
  const endOfText = pick('<|endoftext|>');
  const result: SpecialTokens = {};
  const bos = pick('<s>', '<|begin_of_text|>', '<bos>', '<|bos|>') ?? endOfText;
  const eos = pick('</s>', '<|end_of_text|>', '<eos>', '<|eos|>') ?? endOfText;
  const pad = pick('<pad>', '<|pad|>', '[PAD]');
  const unk = pick('<unk>', '<|unk|>', '[UNK]') ?? endOfText;
  if (bos) result.bos = bos;
  if (eos) result.eos = eos;
  if (pad) result.pad = pad;
  if (unk) result.unk = unk;
  const named = new Set([bos, eos, pad, unk]);
  const additional = special.filter((s) => !named.has(s));
  if (additional.length) result.additional = additional;
  return result;
}

/** Special tokens from a parsed `tokenizer_config.json` (strings or `{content}` objects). */
export function specialTokensFromConfig(config: Json, file: string): SpecialTokens {
  const read = (key: string): string | undefined => {
    const v = config[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'object' && typeof v.content === 'string') return v.content;
    throw new ConfigError('expected a string or {"content": ...}', { file, field: key });
  };
  const result: SpecialTokens = {};
  for (const [name, key] of Object.entries(SPECIAL_CONFIG_KEYS)) {
    const token = read(key);
    if (token !== undefined) result[name as keyof typeof SPECIAL_CONFIG_KEYS] = token;
  }
  const extra = config.additional_special_tokens ?? config.extra_special_tokens;
  if (extra !== undefined && extra !== null) {
    const list = Array.isArray(extra) ? extra : typeof extra === 'object' ? Object.values(extra) : null;
    if (!list) throw new ConfigError('expected an array', { file, field: 'additional_special_tokens' });
    const additional = list.map((v: unknown, i: number) => {
      if (typeof v === 'string') return v;
      if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
      throw new ConfigError('expected a string or {"content": ...}', { file, field: `additional_special_tokens[${i}]` });
    });
    if (additional.length > 0) result.additional = additional;
  }
  return result;
}
