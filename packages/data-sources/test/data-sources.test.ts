import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseCsv, readDataRows, RowDataset, classItRowToExample, requireString, resolveSourceFiles, parquetColumns } from '../src/index.js';
import { ConfigError, DataError } from '@class-it/core';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const demo = path.join(repoRoot, 'data/demo');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'data-src-'));

async function collect(file: string) {
  const rows = [];
  for await (const r of readDataRows(file)) rows.push(r);
  return rows;
}

const classIt = new RowDataset({ name: 'class-it-test', description: 'test', columns: ['prompt', 'reply', 'source', 'text'], toExamples: classItRowToExample });
const load = (settings: Record<string, unknown>, badRows: 'fail' | 'skip' = 'fail', baseDir = demo) =>
  classIt.load({ settings, baseDir, cacheDir: tmp(), offline: true, badRows });

describe('CSV', () => {
  it('parses quotes, escaped quotes, embedded commas and newlines, CRLF, and remembers start lines', () => {
    const rows = parseCsv('prompt,reply\r\n"a, b","say ""hi"""\r\n"two\nlines",x\n\nlast,y\n', 'f.csv');
    expect(rows).toEqual([
      { line: 2, value: { prompt: 'a, b', reply: 'say "hi"' } },
      { line: 3, value: { prompt: 'two\nlines', reply: 'x' } },
      { line: 6, value: { prompt: 'last', reply: 'y' } },
    ]);
  });
  it('names file and line of a malformed record', () => {
    expect(() => parseCsv('a,b\n1,2,3\n', 'f.csv')).toThrow(/f\.csv:2: expected 2 fields/);
    expect(() => parseCsv('a,b\n"open,2\n', 'f.csv')).toThrow(/f\.csv:2: unterminated/);
    expect(() => parseCsv('a,a\n', 'f.csv')).toThrow(/duplicate column/);
  });
});

describe('parquet', () => {
  it('streams every row group of the demo parquet file with 1-based row numbers', async () => {
    const file = path.join(demo, 'conversational.parquet');
    expect(await parquetColumns(file)).toEqual(['prompt', 'reply', 'source', 'text']);
    const rows = await collect(file);
    expect(rows).toHaveLength(120);
    expect(rows[0]!.line).toBe(1);
    expect(rows[119]!.line).toBe(120);
    expect(typeof rows[61]!.value.prompt).toBe('string');
    const jsonl = await collect(path.join(demo, 'conversational.jsonl'));
    expect(rows.map((r) => r.value.reply)).toEqual(jsonl.slice(0, 120).map((r) => r.value.reply));
  });
  it('rejects a file that is not parquet, and missing columns', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'bad.parquet'), 'not parquet at all');
    await expect(collect(path.join(dir, 'bad.parquet'))).rejects.toThrow(/bad\.parquet: not a readable parquet file/);
    const it = readDataRows(path.join(demo, 'conversational.parquet'), { columns: ['prompt', 'answer'] });
    await expect(it.next()).rejects.toThrow(/field 'answer': missing column/);
  });
});

describe('row datasets and the bad-row policy', () => {
  it('loads CLASS-IT rows from jsonl, parquet and csv alike', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'd.csv'), 'prompt,reply,source,text\nHello?,Hi there.,demo,x\n');
    const fromCsv = await load({ path: 'd.csv' }, 'fail', dir);
    // the row's own `text` is kept (trained on with `render: text`)
    expect(fromCsv.examples).toEqual([{ kind: 'prompt-reply', prompt: 'Hello?', reply: 'Hi there.', source: 'demo', id: 'd.csv:2', text: 'x' }]);
    const fromJsonl = await load({ path: 'conversational.jsonl', limit: 5 });
    expect(fromJsonl.examples).toHaveLength(5);
    const fromParquet = await load({ path: 'conversational.parquet' });
    expect(fromParquet.examples).toHaveLength(120);
    expect(fromParquet.examples[3]).toMatchObject({ kind: 'prompt-reply', reply: fromJsonl.examples[3]!.kind === 'prompt-reply' ? fromJsonl.examples[3]!.reply : '' });
  });

  it('fails on the first bad row naming file, row and field, or skips and counts bad rows', async () => {
    const dir = tmp();
    const file = path.join(dir, 'bad.jsonl');
    writeFileSync(file, [
      JSON.stringify({ prompt: 'ok', reply: 'fine' }),
      JSON.stringify({ prompt: 'no reply' }),
      JSON.stringify({ prompt: 'x', reply: 42 }),
      JSON.stringify({ prompt: '   ', reply: 'y' }),
      JSON.stringify({ prompt: 'ok2', reply: 'fine2' }),
    ].join('\n'));
    const err = await load({ path: file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(`${file}:2, field 'reply': missing field`);
    const skipped = await load({ path: file }, 'skip');
    expect(skipped.examples).toHaveLength(2);
    expect(skipped.skipped).toEqual([
      { where: `${file}:2, field 'reply'`, reason: 'missing field' },
      { where: `${file}:3, field 'reply'`, reason: 'expected a string, got number' },
      { where: `${file}:4, field 'prompt'`, reason: 'empty string' },
    ]);
    // Invalid JSON is a row error too (fail policy).
    writeFileSync(file, '{"prompt": "a", "reply": "b"}\n{not json}\n');
    await expect(load({ path: file })).rejects.toThrow(/bad\.jsonl:2: invalid JSON/);
  });

  it('rejects unknown settings and conflicting sources with a ConfigError naming the field', async () => {
    await expect(load({ path: 'a.jsonl', colour: 'red' })).rejects.toThrow(ConfigError);
    await expect(load({ path: 'a.jsonl', hub: 'hf://datasets/a/b/c' })).rejects.toThrow(/only one of path, url or hub/);
    await expect(load({ path: 'missing.jsonl' })).rejects.toThrow(/missing\.jsonl: file not found/);
  });

  it('resolves a directory to its data files, sorted, and uses a plugin default source', async () => {
    const files = await resolveSourceFiles({ path: '.', split: 'train' }, { baseDir: demo, cacheDir: tmp(), offline: true });
    expect(files.map((f) => path.basename(f))).toEqual(['conversational.jsonl', 'conversational.parquet', 'qa.jsonl', 'transcript.txt']);
    const viaDefault = await resolveSourceFiles({ split: 'train' }, { baseDir: demo, cacheDir: tmp(), offline: true }, { path: 'qa.jsonl' });
    expect(viaDefault).toEqual([path.join(demo, 'qa.jsonl')]);
  });

  it('plugin-specific settings extend the source settings', async () => {
    const ds = new RowDataset({
      name: 'upper', description: 't', settings: { upper: z.boolean().default(false) },
      toExamples: (row, s) => ({ kind: 'text', text: s.upper ? requireString(row, 'reply').toUpperCase() : requireString(row, 'reply') }),
    });
    const out = await ds.load({ settings: { path: 'qa.jsonl', limit: 1, upper: true }, baseDir: demo, cacheDir: tmp(), offline: true, badRows: 'fail' });
    expect(out.examples[0]!.kind === 'text' && out.examples[0]!.text).toMatch(/^[^a-z]+$/);
  });
});
