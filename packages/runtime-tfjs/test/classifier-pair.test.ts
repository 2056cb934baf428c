import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainByteLevelBpe } from '@class-it/tokenizers';
import { encodeExample, padBatch, padIdOf, pairTemplateOf, truncateLongestFirst } from '../src/classifier/index.js';
import { findPython, runPython } from './classifier-python.js';

const CORPUS = [
  'The cat sat on the mat. The dog sat on the log.',
  'Does "he" refer to "Joe" in this passage?',
  'Question: Who went to the market? Answer: the farmer',
  'A man is riding a red bicycle. A person is cycling along the river bank.',
  'Grade retention has been banned or strongly discouraged in most countries.',
];
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('longest_first truncation (tokenizers LongestFirst)', () => {
  it('leaves pairs that fit alone', () => {
    expect(truncateLongestFirst(range(3), range(4), 7)).toEqual([range(3), range(4)]);
  });
  it('cuts only the longer one when the shorter fits in half', () => {
    const [a, b] = truncateLongestFirst(range(3), range(20, 100), 10);
    expect([a.length, b.length]).toEqual([3, 7]);
    expect(b).toEqual(range(7, 100)); // keeps the first tokens
    const [c, d] = truncateLongestFirst(range(20), range(3), 10);
    expect([c.length, d.length]).toEqual([7, 3]);
  });
  it('caps each at maxLength first (tokenizers 0.23): two long ones split in order', () => {
    expect(truncateLongestFirst(range(25), range(15), 13).map((x) => x.length)).toEqual([6, 7]);
    expect(truncateLongestFirst(range(14), range(13), 13).map((x) => x.length)).toEqual([6, 7]);
    expect(truncateLongestFirst(range(13), range(12), 13).map((x) => x.length)).toEqual([7, 6]);
    // BOS template: budget 11 of maxLength 13
    expect(truncateLongestFirst(range(14), range(12), 11, 13).map((x) => x.length)).toEqual([6, 5]);
    expect(truncateLongestFirst(range(12), range(14), 11, 13).map((x) => x.length)).toEqual([5, 6]);
  });
  it('cuts both to half (odd token to the second) when both are long', () => {
    expect(truncateLongestFirst(range(8), range(9), 11).map((x) => x.length)).toEqual([5, 6]);
    expect(truncateLongestFirst(range(9), range(8), 11).map((x) => x.length)).toEqual([6, 5]);
    expect(truncateLongestFirst(range(30), range(40), 10).map((x) => x.length)).toEqual([5, 5]);
    expect(truncateLongestFirst(range(30), range(29), 11).map((x) => x.length)).toEqual([5, 6]);
  });
});

describe('pair encoding and padding', () => {
  const gpt2Like = trainByteLevelBpe(CORPUS, { vocabSize: 300, specialTokens: { eos: '<|endoftext|>' } });
  const bosLike = trainByteLevelBpe(CORPUS, { vocabSize: 300, specialTokens: { bos: '<s>', eos: '</s>', pad: '<pad>' }, addBos: true });

  it('GPT-2 style: A then B, no separator; BOS style: <s> A <s> B', () => {
    expect(pairTemplateOf(gpt2Like)).toEqual({ before: [], after: [] });
    const a = gpt2Like.encode('The cat', { addSpecialTokens: false }).ids;
    const b = gpt2Like.encode('sat on the mat.', { addSpecialTokens: false }).ids;
    expect(encodeExample(gpt2Like, pairTemplateOf(gpt2Like), 'The cat', 'sat on the mat.', 512)).toEqual([...a, ...b]);
    const bos = bosLike.specialId('bos')!;
    expect(pairTemplateOf(bosLike)).toEqual({ before: [bos], after: [] });
    const ids = encodeExample(bosLike, pairTemplateOf(bosLike), 'The cat', 'sat', 512);
    expect(ids[0]).toBe(bos);
    expect(ids.filter((x) => x === bos)).toHaveLength(2);
    expect(padIdOf(gpt2Like)).toBe(gpt2Like.specialId('eos'));
    expect(padIdOf(bosLike)).toBe(bosLike.specialId('pad'));
  });

  it('pads right or left and pools the first or the last real token', () => {
    const right = padBatch([[5, 6, 7], [8]], 0, 'right', 'last');
    expect(Array.from(right.ids)).toEqual([5, 6, 7, 8, 0, 0]);
    expect(Array.from(right.mask)).toEqual([1, 1, 1, 1, 0, 0]);
    expect(right.poolIndex).toEqual([2, 0]);
    const left = padBatch([[5, 6, 7], [8]], 0, 'left', 'last');
    expect(Array.from(left.ids)).toEqual([5, 6, 7, 0, 0, 8]);
    expect(Array.from(left.mask)).toEqual([1, 1, 1, 0, 0, 1]);
    expect(left.poolIndex).toEqual([2, 2]);
    expect(Array.from(left.positionIds)).toEqual([0, 1, 2, 0, 0, 0]);
    // `first` pools the first real token: index 0 with right padding (the reference's encoding[:, 0]), never a pad.
    expect(padBatch([[5, 6, 7], [8]], 0, 'right', 'first').poolIndex).toEqual([0, 0]);
    expect(padBatch([[5, 6, 7], [8]], 0, 'left', 'first').poolIndex).toEqual([0, 2]);
  });

  const python = findPython(['tokenizers']);
  if (!python) console.warn('SKIPPED: pair-encoding parity with HF tokenizers: no python with `tokenizers`');
  it.skipIf(!python)('equals HF tokenizers encode(A, B) with longest_first truncation', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pair-parity-'));
    const pairs: Array<[string, string]> = [
      ['The cat sat on the mat.', 'The dog sat on the log.'],
      ['Does "he" refer to "Joe" in this passage?', 'Joe sat on the mat while the dog went to the market with the farmer.'],
      ['Question: Who went to the market? Answer: the farmer', 'A man is riding a red bicycle. A person is cycling along the river bank.'],
      ['Grade retention has been banned or strongly discouraged in most countries, and more.', 'no'],
    ];
    const script = `
import json, sys
from tokenizers import Tokenizer
cfg = json.load(sys.stdin)
out = {}
for name, file in cfg["files"].items():
    tok = Tokenizer.from_file(file)
    res = []
    for L in cfg["lengths"]:
        tok.enable_truncation(max_length=L, strategy="longest_first")
        res.append([tok.encode(a, b).ids for a, b in cfg["pairs"]])
    out[name] = res
print(json.dumps(out))
`;
    await gpt2Like.save(path.join(dir, 'gpt2'));
    await bosLike.save(path.join(dir, 'bos'));
    const lengths = [512, 24, 17, 13, 11, 7, 5];
    const ref = runPython<Record<string, number[][][]>>(python!, script, {
      files: { gpt2: path.join(dir, 'gpt2/tokenizer.json'), bos: path.join(dir, 'bos/tokenizer.json') }, lengths, pairs,
    });
    // Where both texts are longer than half the budget, tokenizers 0.23 splits the budget in an order that
    // depends on the tokenization (not only the lengths) and that we do not reproduce; only the one-token order
    // of that split can differ. Everywhere else the ids must be identical.
    let compared = 0;
    for (const [name, tok] of [['gpt2', gpt2Like], ['bos', bosLike]] as const) {
      const specials = name === 'bos' ? 2 : 0;
      lengths.forEach((L, li) => pairs.forEach(([a, b], pi) => {
        const na = tok.encode(a, { addSpecialTokens: false }).ids.length;
        const nb = tok.encode(b, { addSpecialTokens: false }).ids.length;
        const budget = L - specials;
        const ours = encodeExample(tok, pairTemplateOf(tok), a, b, L);
        expect(ours.length, `${name} L=${L} pair ${pi}`).toBe(ref[name]![li]![pi]!.length);
        if (na + nb > budget && Math.min(na, nb) > Math.floor(budget / 2)) return;
        compared++;
        expect(ours, `${name} L=${L} pair ${pi}`).toEqual(ref[name]![li]![pi]);
      }));
    }
    expect(compared).toBeGreaterThanOrEqual(20);
  });
});
