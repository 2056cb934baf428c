/**
 * Train a GPT-2 style byte-level BPE tokenizer: count pre-tokenised words, then repeatedly merge the most frequent
 * adjacent pair (ties: the pair with the smallest ids, as HF's BpeTrainer), updating pair counts incrementally.
 */
import type { SpecialTokens } from '@class-it/core';
import { byteLevelAlphabet, toByteLevel } from './byte-level.js';
import { GPT2_SPLIT_REGEX } from './pre-tokenizers.js';
import { escapeRegex } from './regex.js';
import { addedTokenJson, BpeTokenizer } from './tokenizer.js';

export interface TrainByteLevelBpeOptions {
  /** Total ids including the 256 byte symbols and the special tokens. */
  vocabSize: number;
  /** BOS/EOS/PAD/UNK and additional (e.g. `<|user|>`) tokens; they get the first ids, in that order. */
  specialTokens?: SpecialTokens;
  /** Add a post-processor that puts BOS before every sequence (needs `specialTokens.bos`). */
  addBos?: boolean;
  /** A pair must occur at least this often to be merged (default 2). */
  minFrequency?: number;
  /** Prefix a space to every text before splitting, as HF's `add_prefix_space` (default false, as GPT-2). */
  addPrefixSpace?: boolean;
  /** `model_max_length` written to `tokenizer_config.json`. */
  modelMaxLength?: number;
}

const PAIR_SHIFT = 2 ** 22;

export function trainByteLevelBpe(texts: Iterable<string>, options: TrainByteLevelBpeOptions): BpeTokenizer {
  const specials = specialTokenList(options.specialTokens ?? {});
  if (options.addBos && !options.specialTokens?.bos) throw new Error('trainByteLevelBpe: addBos needs specialTokens.bos');
  const minFrequency = options.minFrequency ?? 2;
  const alphabet = byteLevelAlphabet();
  if (options.vocabSize < specials.length + alphabet.length) {
    throw new Error(`trainByteLevelBpe: vocabSize ${options.vocabSize} is smaller than ${specials.length} special tokens + 256 bytes`);
  }

  // 1. Word frequencies (raw words first, converted to the byte alphabet once per distinct word).
  const specialSplit = specials.length ? new RegExp(specials.map(escapeRegex).join('|'), 'gu') : null;
  const rawCounts = new Map<string, number>();
  for (const text of texts) {
    const parts = specialSplit ? text.split(specialSplit) : [text];
    for (let part of parts) {
      if (part.length === 0) continue;
      if (options.addPrefixSpace && !part.startsWith(' ')) part = ' ' + part;
      for (const m of part.matchAll(GPT2_SPLIT_REGEX)) rawCounts.set(m[0], (rawCounts.get(m[0]) ?? 0) + 1);
    }
  }

  const idToToken: string[] = [...specials, ...alphabet];
  const tokenToId = new Map(idToToken.map((t, i) => [t, i]));
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [raw, count] of rawCounts) {
    words.push(Array.from(toByteLevel(raw), (c) => tokenToId.get(c)!));
    counts.push(count);
  }

  // 2. Pair counts and where each pair occurs.
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  words.forEach((word, w) => {
    for (let i = 0; i + 1 < word.length; i++) {
      const key = word[i] * PAIR_SHIFT + word[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + counts[w]);
      let set = pairWords.get(key);
      if (!set) pairWords.set(key, (set = new Set()));
      set.add(w);
    }
  });
  const heap = new PairHeap();
  for (const [key, count] of pairCount) heap.push(count, key);

  // 3. Merge until the vocabulary is full or no pair is frequent enough.
  const merges: Array<[string, string]> = [];
  while (idToToken.length < options.vocabSize && heap.size > 0) {
    const [count, key] = heap.pop();
    const current = pairCount.get(key) ?? 0;
    if (current !== count) {
      if (current > 0) heap.push(current, key);
      continue;
    }
    if (count < minFrequency) break;
    const a = Math.floor(key / PAIR_SHIFT);
    const b = key - a * PAIR_SHIFT;
    const merged = idToToken[a] + idToToken[b];
    let newId = tokenToId.get(merged);
    if (newId === undefined) {
      newId = idToToken.length;
      idToToken.push(merged);
      tokenToId.set(merged, newId);
    }
    merges.push([idToToken[a], idToToken[b]]);

    const delta = new Map<number, number>();
    const addDelta = (k: number, d: number) => delta.set(k, (delta.get(k) ?? 0) + d);
    for (const w of pairWords.get(key) ?? []) {
      const word = words[w];
      const next: number[] = [];
      let changed = false;
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          next.push(newId);
          i++;
          changed = true;
        } else next.push(word[i]);
      }
      if (!changed) continue;
      const c = counts[w];
      for (let i = 0; i + 1 < word.length; i++) addDelta(word[i] * PAIR_SHIFT + word[i + 1], -c);
      for (let i = 0; i + 1 < next.length; i++) {
        const k = next[i] * PAIR_SHIFT + next[i + 1];
        addDelta(k, c);
        let set = pairWords.get(k);
        if (!set) pairWords.set(k, (set = new Set()));
        set.add(w);
      }
      words[w] = next;
    }
    pairWords.delete(key);
    for (const [k, d] of delta) {
      if (d === 0) continue;
      const updated = (pairCount.get(k) ?? 0) + d;
      if (updated <= 0) pairCount.delete(k);
      else pairCount.set(k, updated);
      if (d > 0) heap.push(updated, k);
    }
  }

  const vocab = Object.fromEntries(idToToken.map((t, i) => [t, i]));
  const bos = options.specialTokens?.bos;
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => addedTokenJson(id, content)),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: options.addPrefixSpace ?? false, trim_offsets: true, use_regex: true },
    post_processor:
      options.addBos && bos
        ? {
            type: 'TemplateProcessing',
            single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
            pair: [
              { SpecialToken: { id: bos, type_id: 0 } },
              { Sequence: { id: 'A', type_id: 0 } },
              { SpecialToken: { id: bos, type_id: 1 } },
              { Sequence: { id: 'B', type_id: 1 } },
            ],
            special_tokens: { [bos]: { id: bos, ids: [tokenToId.get(bos)!], tokens: [bos] } },
          }
        : { type: 'ByteLevel', add_prefix_space: options.addPrefixSpace ?? false, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges.map(([x, y]) => `${x} ${y}`),
    },
  };
  return new BpeTokenizer(json, { specialTokens: cleanSpecialTokens(options.specialTokens ?? {}), modelMaxLength: options.modelMaxLength });
}

function specialTokenList(special: SpecialTokens): string[] {
  const list = [special.bos, special.eos, special.pad, special.unk, ...(special.additional ?? [])];
  return [...new Set(list.filter((t): t is string => typeof t === 'string' && t.length > 0))];
}

function cleanSpecialTokens(special: SpecialTokens): SpecialTokens {
  const out: SpecialTokens = {};
  if (special.bos) out.bos = special.bos;
  if (special.eos) out.eos = special.eos;
  if (special.pad) out.pad = special.pad;
  if (special.unk) out.unk = special.unk;
  if (special.additional?.length) out.additional = [...special.additional];
  return out;
}

/** Max-heap of (count, pair key); ties pop the smallest key (smallest ids) first. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  private before(i: number, j: number): boolean {
    const c = this.counts;
    return c[i] > c[j] || (c[i] === c[j] && this.keys[i] < this.keys[j]);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): [number, number] {
    const top: [number, number] = [this.counts[0], this.keys[0]];
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      const n = this.counts.length;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < n && this.before(l, best)) best = l;
        if (r < n && this.before(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}
