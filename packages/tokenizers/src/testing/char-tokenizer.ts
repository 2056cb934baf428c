/** A character-level tokenizer for tests implementing the core Tokenizer contract: each special token (longest match
 *  first) is one token, every other character is its own token; offsets are exact. */
import type { Encoding, EncodeOptions, SpecialTokens, Tokenizer } from '@class-it/core';

export class CharTokenizer implements Tokenizer {
  private readonly vocab = new Map<string, number>();
  private readonly inverse: string[] = [];
  readonly specialTokens: SpecialTokens;
  private readonly specials: string[];

  constructor(specialTokens: SpecialTokens = { bos: '<s>', eos: '</s>', additional: [] }, private readonly addBos = false) {
    this.specialTokens = specialTokens;
    this.specials = [specialTokens.bos, specialTokens.eos, specialTokens.pad, ...(specialTokens.additional ?? [])]
      .filter((t): t is string => Boolean(t)).sort((a, b) => b.length - a.length);
    for (const s of this.specials) this.add(s);
    for (let c = 32; c < 127; c++) this.add(String.fromCharCode(c));
    this.add('\n');
  }

  private add(token: string): number {
    let id = this.vocab.get(token);
    if (id === undefined) {
      id = this.inverse.length;
      this.vocab.set(token, id);
      this.inverse.push(token);
    }
    return id;
  }

  get vocabSize(): number {
    return this.inverse.length;
  }

  encode(text: string, options: EncodeOptions = {}): Encoding {
    const ids: number[] = [];
    const offsets: Array<[number, number]> = [];
    const mask: number[] = [];
    if (this.addBos && (options.addSpecialTokens ?? true) && this.specialTokens.bos) {
      ids.push(this.vocab.get(this.specialTokens.bos)!);
      offsets.push([0, 0]);
      mask.push(1);
    }
    for (let i = 0; i < text.length; ) {
      const special = this.specials.find((s) => text.startsWith(s, i));
      const piece = special ?? text[i]!;
      ids.push(this.vocab.get(piece) ?? this.add(piece));
      offsets.push([i, i + piece.length]);
      mask.push(0);
      i += piece.length;
    }
    return { ids, offsets, specialTokensMask: mask };
  }

  decode(ids: number[]): string {
    return ids.map((id) => this.inverse[id] ?? '').join('');
  }

  tokenToId(token: string): number | undefined {
    return this.specials.includes(token) || token.length === 1 ? this.vocab.get(token) : undefined;
  }

  idToToken(id: number): string | undefined {
    return this.inverse[id];
  }

  specialId(name: 'bos' | 'eos' | 'pad' | 'unk'): number | undefined {
    const t = this.specialTokens[name];
    return t ? this.vocab.get(t) : undefined;
  }

  async save(): Promise<void> {}
}
