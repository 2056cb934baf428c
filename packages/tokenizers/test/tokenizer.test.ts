/** Byte-level BPE tokenizer: training, encoding, offsets, special tokens, saving/loading and bad files. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@class-it/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpeTokenizer, byteLevelAlphabet, loadTokenizer, toByteLevel, trainByteLevelBpe } from '../src/index.js';
import { GPT2_SPLIT_REGEX } from '../src/pre-tokenizers.js';

const CORPUS = [
  'The cat sat on the mat.',
  'The dog sat on the log.',
  'A cat and a dog met on the mat near the log.',
  "She didn't think they'd come, but they're here.",
  'Numbers like 12345 and 3.14 appear too.',
  'Unicode: café, naïve, Ångström, 中文, emoji 😀👍🏽.',
  'Tabs\tand\nnewlines  and   spaces.',
];
const corpus = Array.from({ length: 40 }, (_, i) => CORPUS[i % CORPUS.length] + (i % 3 === 0 ? ' again' : ''));
const SPECIALS = { bos: '<s>', eos: '</s>', pad: '<pad>', unk: '<unk>', additional: ['<|user|>', '<|assistant|>'] };

/** Reference trainer: recount every pair after each merge; most frequent first, ties to the smallest ids. */
function naiveMerges(texts: string[], count: number, firstByteId: number): Array<[string, string]> {
  const alphabet = byteLevelAlphabet();
  const ids = new Map(alphabet.map((c, i) => [c, firstByteId + i]));
  const tokens = [...alphabet];
  const words: number[][] = [];
  for (const text of texts) for (const m of text.matchAll(GPT2_SPLIT_REGEX)) words.push(Array.from(toByteLevel(m[0]), (c) => ids.get(c)!));
  const merges: Array<[string, string]> = [];
  const tokenOf = (id: number) => tokens[id - firstByteId];
  while (merges.length < count) {
    const counts = new Map<string, number>();
    for (const w of words) for (let i = 0; i + 1 < w.length; i++) counts.set(`${w[i]},${w[i + 1]}`, (counts.get(`${w[i]},${w[i + 1]}`) ?? 0) + 1);
    let best: [number, number] | null = null;
    let bestCount = 0;
    for (const [key, c] of counts) {
      const [a, b] = key.split(',').map(Number);
      if (c > bestCount || (c === bestCount && best && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b];
        bestCount = c;
      }
    }
    if (!best || bestCount < 2) break;
    const merged = tokenOf(best[0]) + tokenOf(best[1]);
    let id = ids.get(merged);
    if (id === undefined) {
      id = firstByteId + tokens.length;
      tokens.push(merged);
      ids.set(merged, id);
    }
    merges.push([tokenOf(best[0]), tokenOf(best[1])]);
    for (const w of words) {
      for (let i = 0; i + 1 < w.length; i++) if (w[i] === best[0] && w[i + 1] === best[1]) w.splice(i, 2, id);
    }
  }
  return merges;
}

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tokenizer-test-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('trainByteLevelBpe', () => {
  it('is deterministic and does not depend on the order of the texts', () => {
    const a = trainByteLevelBpe(corpus, { vocabSize: 330, specialTokens: SPECIALS });
    const b = trainByteLevelBpe(corpus, { vocabSize: 330, specialTokens: SPECIALS });
    const c = trainByteLevelBpe([...corpus].reverse(), { vocabSize: 330, specialTokens: SPECIALS });
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(c.toJSON()));
  });

  it('puts special tokens first, then the 256 bytes, then merges up to vocabSize', () => {
    const tok = trainByteLevelBpe(corpus, { vocabSize: 330, specialTokens: SPECIALS });
    expect(tok.vocabSize).toBe(330);
    expect(['<s>', '</s>', '<pad>', '<unk>', '<|user|>', '<|assistant|>'].map((t) => tok.tokenToId(t))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(tok.idToToken(6)).toBe('!');
    expect(tok.model.merges.length).toBe(330 - 6 - 256);
    expect(tok.model.merges).toEqual(naiveMerges(corpus, 330 - 6 - 256, 6));
    expect(tok.specialId('bos')).toBe(0);
    expect(tok.specialId('pad')).toBe(2);
  });

  it('stops early when no pair reaches minFrequency', () => {
    const tok = trainByteLevelBpe(['abcabc', 'xyz'], { vocabSize: 1000, minFrequency: 2 });
    expect(tok.model.merges.map(([a, b]) => a + b)).toEqual(['ab', 'abc']);
    expect(tok.vocabSize).toBe(258);
  });

  it('rejects a vocabulary smaller than the byte alphabet plus specials', () => {
    expect(() => trainByteLevelBpe(corpus, { vocabSize: 100 })).toThrow(/smaller than/);
  });
});

describe('BpeTokenizer (byte-level)', () => {
  const tok = trainByteLevelBpe(corpus, { vocabSize: 400, specialTokens: SPECIALS, addBos: true });

  it('round-trips any text losslessly', () => {
    for (const text of [...CORPUS, '', ' ', '  leading', 'trailing  ', 'never seen wörds ÿ 🧪 \u0085\u00a0', 'x'.repeat(500)]) {
      const enc = tok.encode(text);
      expect(tok.decode(enc.ids, { skipSpecialTokens: true })).toBe(text);
      expect(tok.decode(tok.encode(text, { addSpecialTokens: false }).ids)).toBe(text);
    }
  });

  it('adds BOS with offsets [0,0] and a special-tokens mask', () => {
    const enc = tok.encode('The cat');
    expect(enc.ids[0]).toBe(tok.specialId('bos'));
    expect(enc.offsets[0]).toEqual([0, 0]);
    expect(enc.specialTokensMask).toEqual([1, ...Array(enc.ids.length - 1).fill(0)]);
    const plain = tok.encode('The cat', { addSpecialTokens: false });
    expect(plain.ids).toEqual(enc.ids.slice(1));
    expect(plain.specialTokensMask.every((m) => m === 0)).toBe(true);
  });

  it('gives offsets that tile the text for ASCII input, and whole characters for split multi-byte ones', () => {
    const text = "The dog didn't  sit\ton 12345 logs.";
    const enc = tok.encode(text, { addSpecialTokens: false });
    expect(enc.offsets.map(([s, e]) => text.slice(s, e)).join('')).toBe(text);
    enc.offsets.forEach(([s, e], i) => {
      if (i > 0) expect(s).toBe(enc.offsets[i - 1][1]);
      expect(e).toBeGreaterThan(s);
    });
    const emoji = 'a 🧪 b';
    const e2 = tok.encode(emoji, { addSpecialTokens: false });
    // '🧪' (2 UTF-16 units, 4 bytes) is unseen: its byte tokens each cover the whole character [1,4) or [2,4).
    for (const [s, e] of e2.offsets) expect(emoji.slice(s, e)).not.toMatch(/[\ud800-\udbff]$/);
    const emojiTokens = e2.offsets.filter(([s, e]) => s <= 2 && e >= 4);
    expect(emojiTokens.length).toBeGreaterThan(1);
    for (const [s, e] of emojiTokens) expect([[1, 4], [2, 4]]).toContainEqual([s, e]);
  });

  it('keeps special tokens in the text whole and can skip them when decoding', () => {
    const text = '<|user|>Hi there<|assistant|>Hello</s>';
    const enc = tok.encode(text, { addSpecialTokens: false });
    expect(enc.ids[0]).toBe(tok.tokenToId('<|user|>'));
    expect(enc.offsets[0]).toEqual([0, 8]);
    expect(enc.ids).toContain(tok.tokenToId('<|assistant|>'));
    expect(enc.ids[enc.ids.length - 1]).toBe(tok.specialId('eos'));
    expect(tok.decode(enc.ids)).toBe(text);
    expect(tok.decode(enc.ids, { skipSpecialTokens: true })).toBe('Hi thereHello');
  });

  it('withAddedSpecialTokens appends ids at the end and leaves the rest unchanged', () => {
    const more = tok.withAddedSpecialTokens(['<|system|>', '<|user|>']);
    expect(more.vocabSize).toBe(tok.vocabSize + 1);
    expect(more.tokenToId('<|system|>')).toBe(tok.vocabSize);
    expect(more.specialTokens.additional).toEqual(['<|user|>', '<|assistant|>', '<|system|>']);
    expect(more.encode('<|system|>The cat').ids).toEqual([0, tok.vocabSize, ...tok.encode('The cat', { addSpecialTokens: false }).ids]);
    expect(tok.tokenToId('<|system|>')).toBeUndefined();
  });

  it('saves tokenizer.json + tokenizer_config.json + special_tokens_map.json and loads back identically', async () => {
    const more = tok.withAddedSpecialTokens(['<|system|>']);
    const out = path.join(dir, 'saved');
    await more.save(out);
    const config = JSON.parse(await fs.readFile(path.join(out, 'tokenizer_config.json'), 'utf8'));
    expect(config).toMatchObject({
      tokenizer_class: 'PreTrainedTokenizerFast',
      bos_token: '<s>',
      eos_token: '</s>',
      pad_token: '<pad>',
      unk_token: '<unk>',
      add_bos_token: true,
      add_eos_token: false,
      additional_special_tokens: ['<|user|>', '<|assistant|>', '<|system|>'],
    });
    expect(config.added_tokens_decoder[String(more.tokenToId('<|system|>'))]).toMatchObject({ content: '<|system|>', special: true });
    // special_tokens_map.json as transformers' save_pretrained writes it (the same names as the config).
    expect(JSON.parse(await fs.readFile(path.join(out, 'special_tokens_map.json'), 'utf8'))).toEqual({
      bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>', unk_token: '<unk>', additional_special_tokens: ['<|user|>', '<|assistant|>', '<|system|>'],
    });
    const loaded = await loadTokenizer(out);
    expect(loaded.specialTokens).toEqual(more.specialTokens);
    expect(loaded.vocabSize).toBe(more.vocabSize);
    for (const text of [...CORPUS, '<|system|>x<|user|>y']) expect(loaded.encode(text)).toEqual(more.encode(text));
    // Loading by the tokenizer.json path works too.
    expect((await loadTokenizer(path.join(out, 'tokenizer.json'))).encode('The cat')).toEqual(more.encode('The cat'));
  });

  it('without tokenizer_config.json, recognises the usual special-token names', async () => {
    const out = path.join(dir, 'no-config');
    await fs.mkdir(out, { recursive: true });
    await fs.writeFile(path.join(out, 'tokenizer.json'), JSON.stringify(tok.toJSON()));
    const loaded = await loadTokenizer(out);
    expect(loaded.specialTokens).toEqual(SPECIALS);
  });

  it('encodes a large batch quickly (word cache)', () => {
    const sentences = Array.from({ length: 20_000 }, (_, i) => `${CORPUS[i % CORPUS.length]} number ${i}`);
    const t0 = performance.now();
    let n = 0;
    for (const s of sentences) n += tok.encode(s).ids.length;
    const ms = performance.now() - t0;
    expect(n).toBeGreaterThan(20_000 * 5);
    expect(ms).toBeLessThan(20_000);
  });
});

describe('malformed tokenizer.json', () => {
  const valid = () => trainByteLevelBpe(corpus, { vocabSize: 300, specialTokens: { bos: '<s>' } }).toJSON();

  async function loadWith(name: string, content: string): Promise<unknown> {
    const d = path.join(dir, name);
    await fs.mkdir(d, { recursive: true });
    await fs.writeFile(path.join(d, 'tokenizer.json'), content);
    return loadTokenizer(d);
  }

  it('names the file for invalid JSON and for a missing file', async () => {
    await expect(loadWith('bad-json', '{"model": ')).rejects.toThrow(/tokenizer\.json: invalid JSON/);
    await expect(loadTokenizer(path.join(dir, 'does-not-exist'))).rejects.toThrow(/no tokenizer\.json/);
  });

  it('names the field that is wrong', async () => {
    const cases: Array<[string, (j: any) => void, RegExp]> = [
      ['no-model', (j) => delete j.model, /field 'model'/],
      ['unigram', (j) => (j.model.type = 'Unigram'), /field 'model\.type'.*Unigram/],
      ['bad-merge', (j) => (j.model.merges[3] = 'Ġ zzz-unknown'), /field 'model\.merges\[3\]'.*zzz-unknown/],
      ['bad-merge-format', (j) => (j.model.merges[0] = 'nospace'), /field 'model\.merges\[0\]'/],
      ['bad-vocab-id', (j) => (j.model.vocab['!'] = -1), /field 'model\.vocab'/],
      ['bad-pre', (j) => (j.pre_tokenizer = { type: 'Fancy' }), /field 'pre_tokenizer\.type'.*Fancy/],
      ['bad-norm', (j) => (j.normalizer = { type: 'Sequence', normalizers: [{ type: 'Precompiled' }] }), /field 'normalizer\.normalizers\[0\]\.type'/],
      ['bad-added', (j) => (j.added_tokens[0].id = 'x'), /field 'added_tokens\[0\]\.id'/],
      ['bad-template', (j) => (j.post_processor = { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<nope>' } }], special_tokens: {} }), /field 'post_processor\.single\[0\]'/],
    ];
    for (const [name, edit, message] of cases) {
      const j = valid();
      edit(j);
      const err = await loadWith(name, JSON.stringify(j)).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ConfigError);
      expect((err as Error).message, name).toMatch(message);
      expect((err as Error).message, name).toContain(path.join(dir, name, 'tokenizer.json'));
    }
  });

  it('rejects special tokens in tokenizer_config.json that are not in the vocabulary', async () => {
    const d = path.join(dir, 'bad-config');
    await fs.mkdir(d, { recursive: true });
    await fs.writeFile(path.join(d, 'tokenizer.json'), JSON.stringify(valid()));
    await fs.writeFile(path.join(d, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<eos-missing>' }));
    await expect(loadTokenizer(d)).rejects.toThrow(/eos.*<eos-missing>|<eos-missing>/);
  });

  it('BpeTokenizer rejects non-objects', () => {
    expect(() => new BpeTokenizer(null as never)).toThrow(ConfigError);
  });
});
