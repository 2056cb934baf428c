import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildPretrainingSequences, globToRegExp, holdOut, readCorpusLines, resolveCorpusFiles } from '../src/pretrain/index.js';
import { seededShuffle } from '@class-it/core';
import { countWords } from '@class-it/instruct';
import type { Tokenizer } from '@class-it/core';

/** A character tokenizer: id = char code - 96 for a-z, 27 for space, 0 = EOS. */
const charTokenizer: Tokenizer = {
  vocabSize: 28,
  specialTokens: { eos: '</s>' },
  encode(text: string) {
    const ids = [...text].map((c) => (c === ' ' ? 27 : c.charCodeAt(0) - 96));
    return { ids, offsets: ids.map((_, i) => [i, i + 1] as [number, number]), specialTokensMask: ids.map(() => 0) };
  },
  decode: () => '',
  tokenToId: () => undefined,
  idToToken: () => undefined,
  specialId: (name) => (name === 'eos' ? 0 : undefined),
  save: async () => undefined,
};

describe('corpus files', () => {
  it('expands files, directories and globs, sorted and de-duplicated', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'corpus-'));
    await fs.mkdir(path.join(dir, 'sub', 'deep'), { recursive: true });
    await fs.writeFile(path.join(dir, 'a.train'), 'hello world\n\n  \nsecond line\r\n');
    await fs.writeFile(path.join(dir, 'sub', 'b.train'), 'b\n');
    await fs.writeFile(path.join(dir, 'sub', 'deep', 'c.train'), 'c\n');
    await fs.writeFile(path.join(dir, 'sub', 'notes.md'), 'x\n');
    await fs.writeFile(path.join(dir, '.hidden'), 'x\n');
    expect(await resolveCorpusFiles([dir])).toEqual([
      path.join(dir, 'a.train'), path.join(dir, 'sub', 'b.train'), path.join(dir, 'sub', 'deep', 'c.train'), path.join(dir, 'sub', 'notes.md'),
    ]);
    expect(await resolveCorpusFiles([path.join(dir, '**/*.train'), path.join(dir, 'a.train')])).toEqual([
      path.join(dir, 'a.train'), path.join(dir, 'sub', 'b.train'), path.join(dir, 'sub', 'deep', 'c.train'),
    ]);
    expect(await resolveCorpusFiles([path.join(dir, 'sub/*.train')])).toEqual([path.join(dir, 'sub', 'b.train')]);
    await expect(resolveCorpusFiles([path.join(dir, 'missing.txt')])).rejects.toThrow(/missing.txt.*does not exist/);
    await expect(resolveCorpusFiles([path.join(dir, '*.nothing')])).rejects.toThrow(/matches no file/);
    expect(await readCorpusLines([path.join(dir, 'a.train')])).toEqual(['hello world', 'second line']);
  });

  it('turns globs into anchored expressions', () => {
    expect(globToRegExp('**/*.train').test('x/y/z.train')).toBe(true);
    expect(globToRegExp('**/*.train').test('z.train')).toBe(true);
    expect(globToRegExp('*.train').test('x/z.train')).toBe(false);
    expect(globToRegExp('a?.txt').test('ab.txt')).toBe(true);
  });
});

describe('pretraining sequences', () => {
  it('concatenates lines with EOS, chunks them, and credits words to the chunk where a line ends', () => {
    const seqs = buildPretrainingSequences(['ab c', 'de', 'fgh ij k'], charTokenizer, 4);
    // stream: a b _ c </s> d e </s> f g h _ i j _ k </s>  (17 tokens)
    expect(seqs.map((s) => s.ids)).toEqual([[1, 2, 27, 3], [0, 4, 5, 0], [6, 7, 8, 27], [9, 10, 27, 11]]);
    expect(seqs.length).toBe(4); // the last chunk [0] has one token: its words move to the previous chunk
    expect(seqs.map((s) => s.words)).toEqual([0, 2 + 1, 0, 3]);
    expect(seqs.reduce((a, s) => a + s.words, 0)).toBe(countWords('ab c de fgh ij k'));
    expect(seqs.every((s) => s.lossWeights.length === s.ids.length && s.lossWeights.every((w) => w === 1))).toBe(true);
  });

  it('holds out a seeded eval split and shuffles with a seed', () => {
    const seqs = Array.from({ length: 100 }, (_, i) => ({ ids: [i, i], lossWeights: [1, 1], words: 1 }));
    const a = holdOut(seqs, 0.05, 1);
    const b = holdOut(seqs, 0.05, 1);
    expect(a.evaluation.length).toBe(5);
    expect(a.train.length).toBe(95);
    expect(a.evaluation.map((s) => s.ids[0])).toEqual(b.evaluation.map((s) => s.ids[0]));
    expect(seededShuffle([1, 2, 3, 4, 5, 6], 3)).toEqual(seededShuffle([1, 2, 3, 4, 5, 6], 3));
    expect(seededShuffle([1, 2, 3, 4, 5, 6], 3)).not.toEqual([1, 2, 3, 4, 5, 6]);
  });
});
