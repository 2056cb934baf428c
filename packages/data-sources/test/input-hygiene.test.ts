/** Hostile input files: invalid UTF-8, huge lines, malformed CSV records; each is a bad row naming file and line. */
import { createWriteStream, mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '@class-it/core';
import {
  RowDataset, classItRowToExample, invalidUtf8Offset, parseCsvRecords, readCsvRows, readDataRows, readJsonl, readText, readTextLines,
} from '../src/index.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'data-hygiene-'));
const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

async function all<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

const summary = (lines: Array<{ line: number; text?: string; error?: DataError }>) => lines.map((l) => (l.error ? `${l.line}! ${l.error.message}` : `${l.line} ${l.text}`));

describe('strict line reading', () => {
  it('splits across read buffers, drops a byte-order mark and CR, keeps line numbers of blank lines', async () => {
    const file = path.join(tmp(), 'a.txt');
    writeFileSync(file, bytes([0xef, 0xbb, 0xbf], 'first line\r\n\nthird ünïcode line 🙂\nlast without newline'));
    for (const readBytes of [3, 7, 1 << 20]) {
      expect(summary(await all(readTextLines(file, { readBytes })))).toEqual(['1 first line', '2 ', '3 third ünïcode line 🙂', '4 last without newline']);
    }
  });

  it('makes invalid UTF-8 an error of its line (never U+FFFD), and reads on', async () => {
    const file = path.join(tmp(), 'b.txt');
    writeFileSync(file, bytes('ok\nab', [0xff], 'cd\n', [0xc3], '\nfine\n'));
    expect(summary(await all(readTextLines(file, { readBytes: 4 })))).toEqual([
      '1 ok', `2! ${file}:2: invalid UTF-8 at byte 3 of the line`, `3! ${file}:3: invalid UTF-8 at byte 1 of the line`, '4 fine',
    ]);
    await expect(readText(file)).rejects.toThrow(`${file}:2: invalid UTF-8 at byte 3 of the line`);
  });

  it('finds the first byte of an ill-formed sequence', () => {
    expect(invalidUtf8Offset(Buffer.from('plain ascii and ü and 🙂'))).toBe(-1);
    expect(invalidUtf8Offset(bytes('a', [0xc0, 0x80]))).toBe(1); // overlong NUL
    expect(invalidUtf8Offset(bytes('ab', [0xed, 0xa0, 0x80]))).toBe(2); // a UTF-16 surrogate
    expect(invalidUtf8Offset(bytes([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // above U+10FFFF
    expect(invalidUtf8Offset(bytes('abc', [0xe2, 0x82]))).toBe(3); // cut short at the end
    expect(invalidUtf8Offset(bytes([0x80]))).toBe(0); // a lone continuation byte
  });

  it('makes a line longer than the limit an error without keeping it, and reads on', async () => {
    const file = path.join(tmp(), 'c.txt');
    writeFileSync(file, `short\n${'x'.repeat(50)}\nafter\n${'y'.repeat(30)}`);
    expect(summary(await all(readTextLines(file, { maxLineBytes: 20, readBytes: 8 })))).toEqual([
      '1 short', `2! ${file}:2: line of 50 bytes is longer than the limit of 20 bytes (setting maxLineBytes)`, '3 after',
      `4! ${file}:4: line of 30 bytes is longer than the limit of 20 bytes (setting maxLineBytes)`,
    ]);
  });

  it('reads past a single 200 MB line with flat memory', async () => {
    const file = path.join(tmp(), 'huge.jsonl');
    const out = createWriteStream(file);
    out.write('{"prompt": "before", "reply": "ok"}\n{"prompt": "');
    const block = Buffer.alloc(1 << 20, 'a');
    for (let i = 0; i < 200; i++) if (!out.write(block)) await once(out, 'drain');
    out.end('", "reply": "x"}\n{"prompt": "after", "reply": "ok"}\n');
    await once(out, 'finish');
    const before = process.memoryUsage().rss;
    let peak = before;
    const rows = [];
    for await (const row of readDataRows(file)) {
      rows.push(row);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(rows.map((r) => [r.line, r.error?.message ?? r.value.prompt])).toEqual([
      [1, 'before'], [2, `${file}:2: line of ${200 * (1 << 20) + 28} bytes is longer than the limit of 16777216 bytes (setting maxLineBytes)`], [3, 'after'],
    ]);
    expect(peak - before).toBeLessThan(100 * (1 << 20));
    await fs.rm(path.dirname(file), { recursive: true, force: true });
  });

  it('readJsonl names a missing file and the first bad line', async () => {
    const dir = tmp();
    await expect(readJsonl(path.join(dir, 'nope.jsonl'))).rejects.toThrow(`${path.join(dir, 'nope.jsonl')}: file not found`);
    await expect(readJsonl(dir)).rejects.toThrow('is a directory, not a file');
    const file = path.join(dir, 'x.jsonl');
    writeFileSync(file, bytes('{"a": 1}\n\n{"a": "', [0xfe], '"}\n'));
    await expect(readJsonl(file)).rejects.toThrow(`${file}:3: invalid UTF-8 at byte 8 of the line`);
  });
});

describe('CSV records streamed with recovery', () => {
  it('makes each malformed record a bad row and goes on at the next line', async () => {
    const file = path.join(tmp(), 'd.csv');
    writeFileSync(file, bytes(
      'prompt,reply\n',
      'good,one\n', // 2
      'bad"quote,x\n', // 3
      '"closed"tail,x\n', // 4
      'too,many,fields\n', // 5
      '"multi\nline",two\n', // 6-7
      '"broken\n', [0xff], '\nstill",x\n', // 8-10: invalid UTF-8 inside a quoted field spoils the record
      'good,three\n', // 11
    ));
    const rows = await all(readCsvRows(file, { readBytes: 5 }));
    expect(rows.map((r) => (r.error ? `${r.line}! ${r.error.message}` : `${r.line} ${JSON.stringify(r.value)}`))).toEqual([
      '2 {"prompt":"good","reply":"one"}',
      `3! ${file}:3: a quote inside an unquoted field (quote the whole field and double inner quotes)`,
      `4! ${file}:4: text after a closing quote`,
      `5! ${file}:5: expected 2 fields (prompt, reply), found 3`,
      '6 {"prompt":"multi\\nline","reply":"two"}',
      `8! ${file}:9: invalid UTF-8 at byte 1 of the line`,
      `10! ${file}:10: a quote inside an unquoted field (quote the whole field and double inner quotes)`,
      '11 {"prompt":"good","reply":"three"}',
    ]);
  });

  it('reports an unterminated quote at its line, and refuses a bad header outright', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'e.csv'), 'a,b\n1,2\n3,"open\nmore\n');
    const rows = await all(readCsvRows(path.join(dir, 'e.csv')));
    expect(rows.map((r) => r.error?.message ?? r.line)).toEqual([2, `${path.join(dir, 'e.csv')}:3: unterminated quoted field`]);
    writeFileSync(path.join(dir, 'f.csv'), 'a,"b\n');
    await expect(all(readCsvRows(path.join(dir, 'f.csv')))).rejects.toThrow(/f\.csv:1: unterminated quoted field/);
    writeFileSync(path.join(dir, 'g.csv'), '');
    await expect(all(readCsvRows(path.join(dir, 'g.csv')))).rejects.toThrow(/g\.csv:1: empty CSV file/);
  });

  it('parseCsvRecords (whole texts) still throws at the first malformed record', () => {
    expect(() => parseCsvRecords('a,b\n1,2\nx"y,3\n', 'h.csv')).toThrow(/^h\.csv:3: a quote inside an unquoted field/);
    expect(parseCsvRecords('\uFEFFa,b\r\n\r\n1,"2\r\n3"\r\n', 'h.csv')).toEqual([{ line: 1, fields: ['a', 'b'] }, { line: 3, fields: ['1', '2\n3'] }]);
  });
});

describe('the bad-row policy covers every row-level error', () => {
  const dataset = new RowDataset({ name: 'hygiene', description: 'test', toExamples: classItRowToExample });
  const load = (dir: string, settings: Record<string, unknown>, badRows: 'fail' | 'skip') =>
    dataset.load({ settings, baseDir: dir, cacheDir: path.join(dir, 'cache'), offline: true, badRows });

  it('JSONL: invalid UTF-8, invalid JSON and over-long lines fail, or are skipped and counted', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'd.jsonl'), bytes(
      '{"prompt": "one", "reply": "1"}\n',
      '{"prompt": "t', [0xe9], 'te", "reply": "2"}\n',
      '{"prompt": oops}\n',
      `{"prompt": "${'long '.repeat(20)}", "reply": "3"}\n`,
      '[1, 2]\n',
      '{"prompt": "five", "reply": "5"}\n',
    ));
    await expect(load(dir, { path: 'd.jsonl' }, 'fail')).rejects.toThrow(`${path.join(dir, 'd.jsonl')}:2: invalid UTF-8 at byte 14 of the line`);
    const loaded = await load(dir, { path: 'd.jsonl', maxLineBytes: 80 }, 'skip');
    expect(loaded.examples.map((e) => (e.kind === 'prompt-reply' ? e.prompt : ''))).toEqual(['one', 'five']);
    expect(loaded.skipped.map((s) => `${path.basename(s.where)}: ${s.reason.startsWith('invalid JSON') ? 'invalid JSON' : s.reason}`)).toEqual([
      'd.jsonl:2: invalid UTF-8 at byte 14 of the line',
      'd.jsonl:3: invalid JSON',
      'd.jsonl:4: line of 128 bytes is longer than the limit of 80 bytes (setting maxLineBytes)',
      'd.jsonl:5: expected a JSON object on this line',
    ]);
  });

  it('CSV: structural errors are bad rows too, and a JSON array element that is no object', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'd.csv'), 'prompt,reply\nok,1\nb"ad,2\n3,4,5\n"fine",2\n');
    await expect(load(dir, { path: 'd.csv' }, 'fail')).rejects.toThrow(/d\.csv:3: a quote inside an unquoted field/);
    const csv = await load(dir, { path: 'd.csv' }, 'skip');
    expect(csv.examples).toHaveLength(2);
    expect(csv.skipped.map((s) => path.basename(s.where))).toEqual(['d.csv:3', 'd.csv:4']);

    writeFileSync(path.join(dir, 'd.json'), JSON.stringify([{ prompt: 'a', reply: 'b' }, 'oops', { prompt: 'c', reply: 'd' }]));
    const json = await load(dir, { path: 'd.json' }, 'skip');
    expect(json.examples).toHaveLength(2);
    expect(json.skipped).toEqual([{ where: `${path.join(dir, 'd.json')}:2`, reason: 'expected an object, got string' }]);
  });
});
