/**
 * Tokenizer contract. A tokenizer turns text into ids with character offsets, as HF fast tokenizers do
 * with `return_offsets_mapping=True`: the BabyLM scoring rules choose which tokens to score from those offsets.
 */

/** Names of special tokens a tokenizer may define (HF `tokenizer_config.json` names). */
export interface SpecialTokens {
  bos?: string;
  eos?: string;
  pad?: string;
  unk?: string;
  /** Extra special tokens, e.g. chat-role markers such as `<|user|>`. */
  additional?: string[];
}

/** One encoded text. `offsets[i]` is `[start, end)` in UTF-16 code units of the input; special tokens added by
 *  the post-processor have `[0, 0]`, exactly like HF fast tokenizers. */
export interface Encoding {
  ids: number[];
  offsets: Array<[number, number]>;
  /** 1 where the token was added by the post-processor (BOS/EOS), else 0. */
  specialTokensMask: number[];
}

export interface EncodeOptions {
  /** Add the post-processor's special tokens (BOS/EOS). Default true, as in HF. */
  addSpecialTokens?: boolean;
}

export interface Tokenizer {
  readonly vocabSize: number;
  readonly specialTokens: SpecialTokens;
  encode(text: string, options?: EncodeOptions): Encoding;
  decode(ids: number[], options?: { skipSpecialTokens?: boolean }): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Id of a named special token, if the tokenizer has it. */
  specialId(name: 'bos' | 'eos' | 'pad' | 'unk'): number | undefined;
  /** Write `tokenizer.json` and `tokenizer_config.json` into `dir`. */
  save(dir: string): Promise<void>;
}

/** Whether `encode` (with special tokens) puts the tokenizer's BOS first, as its post-processor says (LLaMA: yes,
 *  GPT-2: no). Scoring needs no such test (the BabyLM rule reads offsets); training sequences follow it. */
export function addsBos(tokenizer: Tokenizer): boolean {
  const bos = tokenizer.specialId('bos');
  if (bos === undefined) return false;
  const encoding = tokenizer.encode('a', { addSpecialTokens: true });
  return encoding.ids[0] === bos && encoding.specialTokensMask[0] === 1;
}

/** Tokens of `wanted` that do not encode to exactly one token. */
export function missingSingleTokens(tokenizer: Tokenizer, wanted: string[]): string[] {
  return wanted.filter((t) => {
    const id = tokenizer.tokenToId(t);
    const enc = tokenizer.encode(t, { addSpecialTokens: false });
    return id === undefined || enc.ids.length !== 1 || enc.ids[0] !== id;
  });
}
