/**
 * Sentence-pair tokenisation as HF's `tokenizer(list_of_(A, B), padding=True, truncation=True, max_length=L)`:
 *  - A and B are encoded separately without special tokens (so B's first word gets no leading space: GPT-2
 *    simply concatenates the two id lists, no separator);
 *  - `longest_first` truncation (tokenizers' `truncate_encodings`) to L minus the special tokens added;
 *  - the tokenizer's post-processor template around each sequence. The template is read off the tokenizer by
 *    encoding a probe text: the special tokens before and after it (none for GPT-2; `<s>` before for a
 *    BOS-adding tokenizer, giving `<s> A <s> B` as LLaMA's pair template does);
 *  - padding to the longest sequence of the batch, on the right (reference) or the left.
 */
import type { Tokenizer } from '@class-it/core';

export interface PairTemplate {
  /** Special ids placed before / after each sequence of the pair. */
  before: number[];
  after: number[];
}

export function pairTemplateOf(tokenizer: Tokenizer): PairTemplate {
  const probe = tokenizer.encode('a', { addSpecialTokens: true });
  const plain = tokenizer.encode('a', { addSpecialTokens: false });
  const mask = probe.specialTokensMask;
  let lead = 0;
  while (lead < mask.length && mask[lead] === 1) lead++;
  let trail = 0;
  while (trail < mask.length - lead && mask[mask.length - 1 - trail] === 1) trail++;
  if (probe.ids.length - lead - trail !== plain.ids.length) {
    throw new Error('cannot read the special-token template of this tokenizer (its special tokens are not only before/after the text)');
  }
  return { before: probe.ids.slice(0, lead), after: probe.ids.slice(probe.ids.length - trail) };
}

/**
 * tokenizers' LongestFirst for a pair, on the lengths left after the special tokens (`budget`): with n1 <= n2,
 * the lengths become n1 and max(n1, budget - n1); if that is still too long, budget/2 each (the second gets the
 * odd one), handed back in the original order. Each list keeps its first tokens. As tokenizers 0.23 does
 * (checked against it in the tests), each sequence is first capped at the full `maxLength`, which only matters
 * when both are that long: then A gets floor(budget/2) and B the rest.
 */
export function truncateLongestFirst(a: number[], b: number[], budget: number, maxLength = budget): [number[], number[]] {
  a = a.slice(0, maxLength);
  b = b.slice(0, maxLength);
  if (a.length + b.length <= budget) return [a, b];
  let n1 = a.length;
  let n2 = b.length;
  const swap = n1 > n2;
  if (swap) [n1, n2] = [n2, n1];
  n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
  if (n1 + n2 > budget) {
    n1 = Math.floor(budget / 2);
    n2 = n1 + (budget % 2);
  }
  if (swap) [n1, n2] = [n2, n1];
  return [a.slice(0, n1), b.slice(0, n2)];
}

/** Ids of one example (a single text when `textB` is undefined), at most `maxLength` long. */
export function encodeExample(tokenizer: Tokenizer, template: PairTemplate, textA: string, textB: string | undefined, maxLength: number): number[] {
  const wrap = (ids: number[]) => [...template.before, ...ids, ...template.after];
  const specials = template.before.length + template.after.length;
  const a = tokenizer.encode(textA, { addSpecialTokens: false }).ids;
  if (textB === undefined) {
    const room = maxLength - specials;
    if (room <= 0) throw new Error(`maxLength ${maxLength} leaves no room for text after ${specials} special tokens`);
    return wrap(a.slice(0, room));
  }
  const room = maxLength - 2 * specials;
  if (room <= 0) throw new Error(`maxLength ${maxLength} leaves no room for a text pair after ${2 * specials} special tokens`);
  const b = tokenizer.encode(textB, { addSpecialTokens: false }).ids;
  const [ta, tb] = truncateLongestFirst(a, b, room, maxLength);
  return [...wrap(ta), ...wrap(tb)];
}

export interface PaddedBatch {
  batch: number;
  time: number;
  /** [batch * time] token ids, row-major. */
  ids: Int32Array;
  /** [batch * time] 1 for tokens, 0 for padding. */
  mask: Int32Array;
  /** Position pooled in each row: its first real token (`first`; index 0 with right padding, as the reference) or
   *  its last (`last`). Never a pad: with left padding, index 0 is one for every row shorter than the longest. */
  poolIndex: number[];
  /** [batch * time] each token's position within its own row (0 at its first real token; pads 0), so that with left
   *  padding a row is encoded as it would be alone, whatever its neighbours' lengths. */
  positionIds: Int32Array;
}

/** Pad to the longest sequence, or to `padTo` when given (a micro-batch padded like its whole batch). */
export function padBatch(sequences: number[][], padId: number, side: 'right' | 'left', pooling: 'first' | 'last', padTo?: number): PaddedBatch {
  const batch = sequences.length;
  const longest = Math.max(1, ...sequences.map((s) => s.length));
  if (padTo !== undefined && padTo < longest) throw new Error(`padBatch: padTo ${padTo} is shorter than the longest sequence (${longest})`);
  const time = padTo ?? longest;
  const ids = new Int32Array(batch * time).fill(padId);
  const mask = new Int32Array(batch * time);
  const positionIds = new Int32Array(batch * time);
  const poolIndex: number[] = [];
  sequences.forEach((seq, row) => {
    if (seq.length === 0) throw new Error('an example encoded to no tokens');
    const start = side === 'right' ? 0 : time - seq.length;
    for (let j = 0; j < seq.length; j++) {
      ids[row * time + start + j] = seq[j]!;
      mask[row * time + start + j] = 1;
      positionIds[row * time + start + j] = j;
    }
    poolIndex.push(pooling === 'first' ? start : start + seq.length - 1);
  });
  return { batch, time, ids, mask, poolIndex, positionIds };
}

/** The id used for padding: the tokenizer's pad token, else EOS (as the reference does for causal models), else 0. */
export function padIdOf(tokenizer: Tokenizer): number {
  return tokenizer.specialId('pad') ?? tokenizer.specialId('eos') ?? 0;
}
