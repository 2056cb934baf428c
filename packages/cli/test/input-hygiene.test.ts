/** What the user sees for bad input: one error line, one rule per value for YAML and flags, strict corpus reading. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClassItError, ConfigError, DataError } from '@class-it/core';
import { errorMessage } from '../src/error-message.js';
import { parseNumberFlag, seedSchema, vocabSizeSchema } from '../src/config/values.js';
import { parseConfigText } from '../src/config/load.js';
import { experimentSchema } from '../src/config/experiment.js';
import { pretrainSettingsSchema } from '../src/pretrain/settings.js';
import { parseSettings } from '../src/commands/eval.js';
import { readCorpusLines } from '../src/pretrain/corpus.js';

describe('the error line', () => {
  it('is one line: the message of a ClassItError, the first line and a count of the rest when it has several', () => {
    expect(errorMessage(new DataError('invalid UTF-8 at byte 3 of the line', { file: 'a.jsonl', line: 2 }), false)).toBe('class-it: a.jsonl:2: invalid UTF-8 at byte 3 of the line');
    expect(errorMessage(new ConfigError('first problem\n  x.yaml:4, field \'b\': second\n  x.yaml:5, field \'c\': third', { file: 'x.yaml', line: 3, field: 'a' }), false))
      .toBe("class-it: x.yaml:3, field 'a': first problem (and 2 more lines: rerun with --verbose)");
    expect(errorMessage(new Error("unknown backend 'nope'; expected one of auto, wasm"), false)).toBe("class-it: unknown backend 'nope'; expected one of auto, wasm");
    expect(errorMessage('a string', false)).toBe('class-it: a string');
  });

  it('marks our own bugs as internal, and shows stacks and causes only with --verbose', () => {
    const bug = new RangeError('Invalid array length');
    expect(errorMessage(bug, false)).toBe('class-it: RangeError: Invalid array length (an internal error: rerun with --verbose for the stack)');
    const wrapped = new ClassItError('cannot load the model', { file: 'm/model.safetensors' }, { cause: bug });
    const verbose = errorMessage(wrapped, true);
    expect(verbose).toMatch(/^class-it: ClassItError: m\/model\.safetensors: cannot load the model\n\s+at /);
    expect(verbose).toMatch(/\ncaused by: RangeError: Invalid array length\n\s+at /);
    expect(errorMessage(wrapped, false)).not.toContain('\n');
  });
});

describe('one rule per value, for the experiment file and the flags alike', () => {
  const experiment = (seeds: string) => `name: e\nseeds: ${seeds}\nmodels: [{ name: m, checkpoint: x }]\nconditions: [{ name: c, curriculum: baseline }]\nevaluation: { dataDir: d }\n`;

  it('seeds: 0 .. 2^32-1, integers only', () => {
    expect(parseConfigText(experiment('[0, 4294967295]'), 'e.yaml', experimentSchema).value.seeds).toEqual([0, 4294967295]);
    expect(parseNumberFlag('0', '--seed', seedSchema)).toBe(0);
    expect(parseNumberFlag('4294967295', '--seed', seedSchema)).toBe(4294967295);
    for (const bad of ['-1', '4294967296', '1.5']) {
      expect(() => parseConfigText(experiment(`[${bad}]`), 'e.yaml', experimentSchema)).toThrow(/e\.yaml:2, field 'seeds\[0\]': expected (a seed from 0 to 4294967295|an integer seed)/);
      expect(() => parseNumberFlag(bad, '--seed', seedSchema)).toThrow(new RegExp(`^--seed: expected (a seed from 0 to 4294967295|an integer seed) \\(got ${bad.replace('.', '\\.')}\\)$`));
    }
    expect(() => parseNumberFlag('seven', '--seed', seedSchema)).toThrow("--seed: expected a number (got 'seven')");
    expect(() => parseNumberFlag('', '--seed', seedSchema)).toThrow("--seed: expected a number (got '')");
    expect(parseNumberFlag(undefined, '--seed', seedSchema)).toBeUndefined();
  });

  it('a trained vocabulary has room for the 256 bytes and the special tokens', () => {
    expect(() => parseNumberFlag('5', '--vocab-size', vocabSizeSchema)).toThrow(/--vocab-size: expected a vocabulary of at least 300 tokens/);
    expect(pretrainSettingsSchema.safeParse({ corpus: ['c'], preset: 'p', vocabSize: 5 }).success).toBe(false);
    expect(pretrainSettingsSchema.parse({ corpus: ['c'], preset: 'p', vocabSize: 300 }).vocabSize).toBe(300);
  });
});

describe('--set key=value', () => {
  it('parses numbers and booleans, and refuses malformed, unnamed or repeated keys', () => {
    expect(parseSettings(['batchSize=8', 'temperature=0.5', 'offline=true', 'cacheDir=/tmp/x', 'note='])).toEqual({ batchSize: 8, temperature: 0.5, offline: true, cacheDir: '/tmp/x', note: '' });
    expect(() => parseSettings(['batchSize'])).toThrow("field '--set': expected key=value, got 'batchSize'");
    expect(() => parseSettings(['=3'])).toThrow(/expected key=value/);
    expect(() => parseSettings(['batch size=3'])).toThrow("field '--set': 'batch size' is not a setting name");
    expect(() => parseSettings(['batchSize=8', 'batchSize=16'])).toThrow("field '--set': 'batchSize' is given twice");
  });
});

describe('corpus reading', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'corpus-hygiene-'));
  const file = (name: string, content: Buffer | string) => {
    writeFileSync(path.join(dir, name), content);
    return path.join(dir, name);
  };

  it('stops at invalid UTF-8, a NUL byte or an over-long line, naming file and line', async () => {
    const utf8 = file('a.txt', Buffer.concat([Buffer.from('one\ntwo\nthr'), Buffer.from([0xe9]), Buffer.from('e\n')]));
    await expect(readCorpusLines([utf8])).rejects.toThrow(`${utf8}:3: invalid UTF-8 at byte 4 of the line`);
    const binary = file('b.bin', Buffer.from([0x50, 0x4b, 0x0a, 0x00, 0x01]));
    await expect(readCorpusLines([binary])).rejects.toThrow(`${binary}:2: holds a NUL byte`);
    const long = file('c.txt', `short\n${'w '.repeat(100)}\n`);
    await expect(readCorpusLines([long], { maxLineBytes: 64 })).rejects.toThrow(`${long}:2: line of 200 bytes is longer than the limit of 64 bytes`);
    expect(await readCorpusLines([long])).toEqual(['short', 'w '.repeat(100).trimEnd()]);
  });
});
