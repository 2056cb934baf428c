/**
 * Parity with HF `tokenizers` and `transformers`: tokenizers built and trained in Python (GPT-2 style
 * byte-level and LLaMA / SentencePiece style with byte fallback) must give the same ids, offsets and decodings
 * here on a few thousand BLiMP sentences plus whitespace/unicode edge cases; a tokenizer we train and save must
 * load in `AutoTokenizer` and encode the same.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs, existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, trainByteLevelBpe, type BpeTokenizer } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const blimpDir = path.resolve(repoRoot, '../shared/eval-data/blimp/blimp_fast');
const helper = path.join(here, 'py/tokenizer_parity.py');

function findPython(): string | null {
  for (const candidate of [path.join(repoRoot, '.venv/bin/python'), 'python3']) {
    const r = spawnSync(candidate, ['-c', 'import tokenizers, transformers'], { encoding: 'utf8' });
    if (r.status === 0) return candidate;
  }
  return null;
}

const python = findPython();
const haveBlimp = existsSync(blimpDir);
if (!python) console.warn('SKIPPED: tokenizer parity tests: no python with tokenizers + transformers (looked for .venv/bin/python, python3)');
if (!haveBlimp) console.warn(`SKIPPED: tokenizer parity tests: eval data not found at ${blimpDir}`);

export const EDGE_CASES = [
  '',
  ' ',
  'Hello world',
  ' Hello world',
  '  two leading spaces',
  'trailing spaces   ',
  'multiple   spaces  between    words',
  'tabs\tin\t\ttext',
  'new\nline and\n\n\ndouble',
  'mixed \t\n whitespace \r\n end',
  'non-breaking\u00a0space and ideographic\u3000space and NEL\u0085here',
  'café naïve Ångström façade Übermensch',
  'decomposed cafe\u0301 and A\u030angstrom',
  'emoji 😀 and 👍🏽 and family 👨‍👩‍👧 done',
  '😀😀😀',
  '中文字符和日本語のテキスト',
  'Ελληνικά και русский текст',
  "don't you'll I've she's we'd they're it'S",
  'Numbers 123 4567 89.5 3,000',
  'Punctuation!!! ?? ... -- (parens) [brackets] {braces}',
  'Karen saw Karenina and Karen.',
  '<s>starts with bos',
  'ends with eos</s>',
  'Hi <|endoftext|> there<|endoftext|>',
  '<|user|> hello <|assistant|> hi',
  'a <mask> token and  <mask>',
  'İstanbul ΣΊΣΥΦΟΣ ß ﬁ',
  '\u200bzero width',
  'x',
];

function blimpTexts(perFile: number): { train: string[]; texts: string[] } {
  const train: string[] = [];
  const texts: string[] = [];
  for (const f of readdirSync(blimpDir).filter((n) => n.endsWith('.jsonl')).sort()) {
    const lines = readFileSync(path.join(blimpDir, f), 'utf8').split('\n').filter(Boolean);
    lines.forEach((line, i) => {
      const row = JSON.parse(line) as { sentence_good: string; sentence_bad: string };
      if (i % 3 === 0) train.push(row.sentence_good, row.sentence_bad);
      if (i < perFile) texts.push(row.sentence_good, row.sentence_bad);
    });
  }
  return { train, texts };
}

function runPython(args: string[]): void {
  const r = spawnSync(python!, [helper, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python ${args[0]} failed:\n${r.stderr}`);
}

interface Expected {
  withSpecial: Array<{ ids: number[]; offsets: Array<[number, number]>; specialTokensMask: number[] }>;
  withoutSpecial: number[][];
  withoutSpecialOffsets: Array<Array<[number, number]>>;
  decoded: string[];
  decodedSkip: string[];
}

const TOKENIZERS = [
  'gpt2-trim',
  'gpt2-prefix-notrim',
  'bytelevel-bos-nfc-lower',
  'llama-normalizer',
  'llama-metaspace-first',
  'llama-metaspace-always-nosplit',
];

describe.skipIf(!python || !haveBlimp)('tokenizer parity with HF tokenizers', () => {
  let dir: string;
  let texts: string[];
  let train: string[];
  let expected: Record<string, Expected>;
  let ours: { bytelevel: BpeTokenizer; llama: BpeTokenizer; gpt2: BpeTokenizer };
  let autoResults: Record<string, { class: string; bos_token: string | null; eos_token: string | null; pad_token: string | null; unk_token: string | null; vocab_size: number; rows: Array<{ ids: number[]; offsets: Array<[number, number]> }>; decoded: string[] }>;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tok-parity-'));
    const blimp = blimpTexts(20);
    train = blimp.train;
    texts = [...EDGE_CASES, ...blimp.texts];
    await fs.writeFile(path.join(dir, 'texts.json'), JSON.stringify({ train: blimp.train, texts }));
    runPython(['make', dir, path.join(dir, 'texts.json')]);
    expected = JSON.parse(await fs.readFile(path.join(dir, 'expected.json'), 'utf8'));
    // Our own saves, loaded by transformers in one Python run (importing transformers is slow).
    ours = {
      bytelevel: trainByteLevelBpe(train, {
        vocabSize: 800,
        specialTokens: { bos: '<s>', eos: '</s>', pad: '<pad>', unk: '<unk>', additional: ['<|user|>'] },
        addBos: true,
      }).withAddedSpecialTokens(['<|assistant|>']),
      llama: await loadTokenizer(path.join(dir, 'llama-normalizer')),
      gpt2: await loadTokenizer(path.join(dir, 'gpt2-trim')),
    };
    await ours.gpt2.save(path.join(dir, 'ours-gpt2'));
    await ours.bytelevel.save(path.join(dir, 'ours-bytelevel'));
    await ours.llama.save(path.join(dir, 'ours-llama'));
    runPython(['auto', path.join(dir, 'texts.json'), path.join(dir, 'auto.json'), path.join(dir, 'ours-bytelevel'), path.join(dir, 'ours-llama'), path.join(dir, 'ours-gpt2')]);
    autoResults = JSON.parse(await fs.readFile(path.join(dir, 'auto.json'), 'utf8'));
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it.each(TOKENIZERS)('%s: ids, offsets, special mask and decodings equal HF on every text', async (name) => {
    const tok = await loadTokenizer(path.join(dir, name));
    const exp = expected[name];
    expect(texts.length).toBeGreaterThan(2000);
    let mismatches = 0;
    texts.forEach((text, i) => {
      const got = tok.encode(text);
      const plain = tok.encode(text, { addSpecialTokens: false });
      const ok =
        JSON.stringify(got.ids) === JSON.stringify(exp.withSpecial[i].ids) &&
        JSON.stringify(got.offsets) === JSON.stringify(exp.withSpecial[i].offsets) &&
        JSON.stringify(got.specialTokensMask) === JSON.stringify(exp.withSpecial[i].specialTokensMask) &&
        JSON.stringify(plain.ids) === JSON.stringify(exp.withoutSpecial[i]) &&
        JSON.stringify(plain.offsets) === JSON.stringify(exp.withoutSpecialOffsets[i]) &&
        tok.decode(got.ids) === exp.decoded[i] &&
        tok.decode(got.ids, { skipSpecialTokens: true }) === exp.decodedSkip[i];
      if (!ok && mismatches++ < 3) {
        // Show the first few differences in full.
        expect({ text, ids: got.ids, offsets: got.offsets, tokens: got.tokens, decoded: tok.decode(got.ids) }).toEqual({
          text,
          ids: exp.withSpecial[i].ids,
          offsets: exp.withSpecial[i].offsets,
          tokens: got.tokens,
          decoded: exp.decoded[i],
        });
      }
    });
    expect(mismatches).toBe(0);
  });

  it('a saved tokenizer (byte-level, trained here, with BOS and chat tokens) loads in AutoTokenizer identically', async () => {
    await checkAutoTokenizer(ours.bytelevel, path.join(dir, 'ours-bytelevel'));
  });

  it('a re-saved LLaMA-style tokenizer loads in AutoTokenizer identically', async () => {
    await checkAutoTokenizer(ours.llama, path.join(dir, 'ours-llama'));
  });

  it('a re-saved GPT-2 style tokenizer (ByteLevel offset trimming, lstrip token) loads in AutoTokenizer identically', async () => {
    await checkAutoTokenizer(ours.gpt2, path.join(dir, 'ours-gpt2'));
  });

  async function checkAutoTokenizer(tok: BpeTokenizer, out: string) {
    const auto = autoResults[out];
    expect(auto.class).toBe('TokenizersBackend');
    expect(auto.bos_token).toBe(tok.specialTokens.bos ?? null);
    expect(auto.eos_token).toBe(tok.specialTokens.eos ?? null);
    expect(auto.pad_token).toBe(tok.specialTokens.pad ?? null);
    expect(auto.unk_token).toBe(tok.specialTokens.unk ?? null);
    expect(auto.vocab_size).toBe(tok.vocabSize);
    let mismatches = 0;
    texts.forEach((text, i) => {
      const got = tok.encode(text);
      const same =
        JSON.stringify(got.ids) === JSON.stringify(auto.rows[i].ids) &&
        JSON.stringify(got.offsets) === JSON.stringify(auto.rows[i].offsets) &&
        tok.decode(got.ids, { skipSpecialTokens: true }) === auto.decoded[i];
      if (!same && mismatches++ < 3) {
        expect({ text, ids: got.ids, offsets: got.offsets, decoded: tok.decode(got.ids, { skipSpecialTokens: true }) }).toEqual({
          text,
          ...auto.rows[i],
          decoded: auto.decoded[i],
        });
      }
    });
    expect(mismatches).toBe(0);
    // Reloading our own save gives the same tokenizer.
    const again = await loadTokenizer(out);
    expect(again.specialTokens).toEqual(tok.specialTokens);
    for (const text of texts.slice(0, 200)) expect(again.encode(text)).toEqual(tok.encode(text));
  }
});
