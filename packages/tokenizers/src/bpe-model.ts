/**
 * The BPE model of HF tokenizers: a word becomes characters (or `<0xNN>` byte tokens, or unk), then merges are
 * applied lowest rank first (leftmost among equal ranks) with a priority queue. Results are cached per word.
 */
import { ConfigError } from '@class-it/core';
import { utf8Bytes } from './byte-level.js';

/** One token of a word: id and `[start, end)` in UTF-16 units of the word. */
export interface WordToken {
  id: number;
  start: number;
  end: number;
}

export interface BpeModelOptions {
  vocab: Map<string, number>;
  /** Merge pairs in rank order. */
  merges: Array<[string, string]>;
  unkToken?: string | null;
  byteFallback?: boolean;
  fuseUnk?: boolean;
  continuingSubwordPrefix?: string | null;
  endOfWordSuffix?: string | null;
  ignoreMerges?: boolean;
}

const PAIR_SHIFT = 2 ** 22;
const CACHE_MAX_WORD = 256;
const CACHE_CAPACITY = 200_000;

export class BpeModel {
  readonly vocab: Map<string, number>;
  readonly idToToken: string[];
  readonly merges: Array<[string, string]>;
  readonly unkToken: string | null;
  readonly byteFallback: boolean;
  readonly fuseUnk: boolean;
  readonly continuingSubwordPrefix: string | null;
  readonly endOfWordSuffix: string | null;
  readonly ignoreMerges: boolean;
  /** pair key -> rank; `mergeResult[rank]` is the merged id. */
  private readonly mergeRank = new Map<number, number>();
  private readonly mergeResult: number[] = [];
  private readonly byteTokenIds: Array<number | undefined>;
  private readonly cache = new Map<string, WordToken[]>();

  constructor(options: BpeModelOptions, file = 'tokenizer.json') {
    this.vocab = options.vocab;
    this.merges = options.merges;
    this.unkToken = options.unkToken ?? null;
    this.byteFallback = options.byteFallback ?? false;
    this.fuseUnk = options.fuseUnk ?? false;
    this.continuingSubwordPrefix = options.continuingSubwordPrefix ?? null;
    this.endOfWordSuffix = options.endOfWordSuffix ?? null;
    this.ignoreMerges = options.ignoreMerges ?? false;
    this.idToToken = [];
    for (const [token, id] of this.vocab) {
      if (!Number.isInteger(id) || id < 0) throw new ConfigError(`vocab id of '${token}' is not a non-negative integer`, { file, field: 'model.vocab' });
      this.idToToken[id] = token;
    }
    if (this.unkToken !== null && !this.vocab.has(this.unkToken)) {
      throw new ConfigError(`unk_token '${this.unkToken}' is not in the vocabulary`, { file, field: 'model.unk_token' });
    }
    const prefixLength = this.continuingSubwordPrefix?.length ?? 0;
    this.merges.forEach(([a, b], rank) => {
      const idA = this.vocab.get(a);
      const idB = this.vocab.get(b);
      const merged = a + (prefixLength > 0 && b.startsWith(this.continuingSubwordPrefix!) ? b.slice(prefixLength) : b);
      const idMerged = this.vocab.get(merged);
      if (idA === undefined || idB === undefined || idMerged === undefined) {
        const missing = idA === undefined ? a : idB === undefined ? b : merged;
        throw new ConfigError(`merge ${rank} ('${a}' '${b}') uses '${missing}', which is not in the vocabulary`, { file, field: `model.merges[${rank}]` });
      }
      const key = idA * PAIR_SHIFT + idB;
      // As in HF (a hash map built in order), a repeated pair keeps its last rank.
      this.mergeRank.set(key, rank);
      this.mergeResult[rank] = idMerged;
    });
    this.byteTokenIds = [];
    for (let b = 0; b < 256; b++) this.byteTokenIds[b] = this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  }

  get size(): number {
    return this.idToToken.length;
  }

  /** Tokens of one pre-tokenised word, with offsets in the word's UTF-16 units. */
  tokenizeWord(word: string): WordToken[] {
    if (word.length === 0) return [];
    const cached = this.cache.get(word);
    if (cached) return cached;
    let result: WordToken[];
    const direct = this.ignoreMerges ? this.vocab.get(word) : undefined;
    if (direct !== undefined) result = [{ id: direct, start: 0, end: word.length }];
    else result = this.mergeWord(word);
    if (word.length < CACHE_MAX_WORD) {
      if (this.cache.size >= CACHE_CAPACITY) this.cache.clear();
      this.cache.set(word, result);
    }
    return result;
  }

  private mergeWord(word: string): WordToken[] {
    const ids: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    let unk: WordToken | null = null;
    const unkId = this.unkToken !== null ? this.vocab.get(this.unkToken)! : undefined;
    const flushUnk = () => {
      if (unk) {
        ids.push(unk.id);
        starts.push(unk.start);
        ends.push(unk.end);
        unk = null;
      }
    };
    for (let i = 0; i < word.length; ) {
      const width = word.codePointAt(i)! > 0xffff ? 2 : 1;
      const end = i + width;
      let s = word.slice(i, end);
      if (i > 0 && this.continuingSubwordPrefix) s = this.continuingSubwordPrefix + s;
      if (end >= word.length && this.endOfWordSuffix) s = s + this.endOfWordSuffix;
      const id = this.vocab.get(s);
      if (id !== undefined) {
        flushUnk();
        ids.push(id);
        starts.push(i);
        ends.push(end);
      } else {
        let handled = false;
        if (this.byteFallback) {
          const bytes = utf8Bytes(s);
          const byteIds: number[] = [];
          for (const b of bytes) {
            const byteId = this.byteTokenIds[b];
            if (byteId === undefined) break;
            byteIds.push(byteId);
          }
          if (byteIds.length === bytes.length) {
            flushUnk();
            for (const byteId of byteIds) {
              ids.push(byteId);
              starts.push(i);
              ends.push(end);
            }
            handled = true;
          }
        }
        if (!handled && unkId !== undefined) {
          const pending = unk as WordToken | null;
          if (pending && this.fuseUnk) pending.end = end;
          else {
            flushUnk();
            unk = { id: unkId, start: i, end };
          }
        }
      }
      i = end;
    }
    flushUnk();
    return this.applyMerges(ids, starts, ends);
  }

  /** HF `Word::merge_all`: a heap of (rank, position) candidate merges, lazily invalidated. */
  private applyMerges(ids: number[], starts: number[], ends: number[]): WordToken[] {
    const n = ids.length;
    if (n > 1) {
      const prev = new Int32Array(n);
      const next = new Int32Array(n);
      const alive = new Uint8Array(n).fill(1);
      for (let i = 0; i < n; i++) {
        prev[i] = i - 1;
        next[i] = i + 1 < n ? i + 1 : -1;
      }
      const heap = new MinHeap();
      const POS = 2 ** 24;
      const push = (pos: number, rank: number) => heap.push(rank * POS + pos);
      for (let i = 0; i + 1 < n; i++) {
        const rank = this.mergeRank.get(ids[i] * PAIR_SHIFT + ids[i + 1]);
        if (rank !== undefined) push(i, rank);
      }
      while (heap.size > 0) {
        const top = heap.pop();
        const rank = Math.floor(top / POS);
        const pos = top - rank * POS;
        if (!alive[pos] || next[pos] === -1) continue;
        const right = next[pos];
        const currentRank = this.mergeRank.get(ids[pos] * PAIR_SHIFT + ids[right]);
        if (currentRank === undefined || this.mergeResult[currentRank] !== this.mergeResult[rank]) continue;
        ids[pos] = this.mergeResult[rank];
        ends[pos] = ends[right];
        alive[right] = 0;
        next[pos] = next[right];
        if (next[right] !== -1) prev[next[right]] = pos;
        if (prev[pos] >= 0) {
          const r = this.mergeRank.get(ids[prev[pos]] * PAIR_SHIFT + ids[pos]);
          if (r !== undefined) push(prev[pos], r);
        }
        if (next[pos] !== -1) {
          const r = this.mergeRank.get(ids[pos] * PAIR_SHIFT + ids[next[pos]]);
          if (r !== undefined) push(pos, r);
        }
      }
      const out: WordToken[] = [];
      for (let i = 0; i < n; i++) if (alive[i]) out.push({ id: ids[i], start: starts[i], end: ends[i] });
      return out;
    }
    return ids.map((id, i) => ({ id, start: starts[i], end: ends[i] }));
  }
}

/** Binary min-heap of numbers. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const a = this.items;
    a.push(value);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= value) break;
      a[i] = a[parent];
      i = parent;
    }
    a[i] = value;
  }

  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      const n = a.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const child = r < n && a[r] < a[l] ? r : l;
        if (a[child] >= last) break;
        a[i] = a[child];
        i = child;
      }
      a[i] = last;
    }
    return top;
  }
}
