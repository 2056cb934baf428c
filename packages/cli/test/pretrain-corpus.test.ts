import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readParquetRows } from '@class-it/data-sources';
import { buildPretrainingSequences, globToRegExp, holdOut, pretrainSpecialTokens, readCorpusLines, resolveCorpusFiles } from '../src/pretrain/index.js';
import { trainByteLevelBpe } from '@class-it/tokenizers';
import { capCorpusWords, loadCorpus } from '../src/pretrain/corpus.js';
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

  it('starts every line as the tokenizer does: `<s> line </s>` with BOS, `line <|endoftext|>` without', () => {
    const lines = ['the cat sat', 'a dog ran on the mat'];
    for (const addBos of [true, false]) {
      const tok = trainByteLevelBpe(lines, { vocabSize: 300, specialTokens: pretrainSpecialTokens(addBos), addBos });
      const bos = tok.specialId('bos')!;
      const eos = tok.specialId('eos')!;
      const plain = lines.map((l) => tok.encode(l, { addSpecialTokens: false }).ids);
      const [seq] = buildPretrainingSequences(lines, tok, 1000);
      if (addBos) {
        expect(new Set([bos, eos, tok.specialId('pad')]).size).toBe(3);
        expect(seq!.ids).toEqual([bos, ...plain[0]!, eos, bos, ...plain[1]!, eos]);
      } else {
        expect(bos).toBe(eos);
        expect(seq!.ids).toEqual([...plain[0]!, eos, ...plain[1]!, eos]);
      }
      expect(seq!.words).toBe(countWords(lines.join(' ')));
    }
  });

  it('ends a line with one EOS when the tokenizer appends it itself', () => {
    const appendsEos: Tokenizer = {
      ...charTokenizer,
      encode(text: string, options) {
        const e = charTokenizer.encode(text);
        if (options?.addSpecialTokens === false) return e;
        return { ids: [...e.ids, 0], offsets: [...e.offsets, [0, 0]], specialTokensMask: [...e.specialTokensMask, 1] };
      },
    };
    expect(buildPretrainingSequences(['ab', 'c'], appendsEos, 100).map((s) => s.ids)).toEqual([[1, 2, 0, 3, 0]]);
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

describe('remote corpus and maxWords', () => {
  it('capCorpusWords keeps the first lines up to the cap, deterministically', () => {
    const lines = ['a b c', 'd e', 'f g h i', 'j'];
    expect(capCorpusWords(lines, 5)).toEqual(['a b c', 'd e']);
    expect(capCorpusWords(lines, 9)).toEqual(['a b c', 'd e', 'f g h i']);
    expect(capCorpusWords(lines, undefined)).toBe(lines);
  });

  it('an hf:// corpus is downloaded through the cache (text column, one line per line) and read offline afterwards', async () => {
    const parquetFile = path.join(__dirname, '..', '..', '..', 'data', 'demo', 'conversational.parquet');
    const body = readFileSync(parquetFile);
    const sha = createHash('sha256').update(body).digest('hex');
    const server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/api/datasets/org/corpus/tree/main/strict') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([
          { type: 'file', path: 'strict/train/0000.parquet', size: 134, lfs: { oid: sha, size: body.length } },
        ]));
      } else if (url.pathname === '/datasets/org/corpus/resolve/main/strict/train/0000.parquet') {
        res.writeHead(200, { 'content-length': body.length }).end(body);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const before = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'corpus-cache-'));
      const expected: string[] = [];
      for await (const row of readParquetRows(parquetFile, { columns: ['text'] })) {
        for (const l of String(row.value.text).split('\n')) if (l.trim() !== '') expected.push(l.replace(/\s+$/, ''));
      }
      const online = await loadCorpus(['hf://datasets/org/corpus/strict'], { cacheDir });
      expect(online.lines).toEqual(expected);
      expect(online.lines.length).toBeGreaterThan(0);
      server.close();
      const offline = await loadCorpus(['hf://datasets/org/corpus/strict'], { cacheDir, offline: true });
      expect(offline.lines).toEqual(expected);
    } finally {
      if (before === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = before;
      server.close();
    }
  });
});
