import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PhaseCounter, checkBudget, ledgerAt, readLedger, writeLedger, writeMilestoneLedgers, DEFAULT_WORD_BUDGET } from '../src/ledger/index.js';
import { countWords } from '../src/ledger/words.js';
import { ConfigError } from '@class-it/core';

describe('milestone ledgers', () => {
  it('each chck_{N}M gets its own ledger: earlier phases as they are, this run cut at N words', async () => {
    const pre = { name: 'pretraining', uniqueWords: 91_000_000, wordsSeen: 728_000_000 };
    const it10 = { name: 'it', uniqueWords: 8_700_000, wordsSeen: 87_000_000 };
    expect(ledgerAt([], pre, 20_000_000)).toEqual([{ name: 'pretraining', uniqueWords: 20_000_000, wordsSeen: 20_000_000 }]);
    expect(ledgerAt([], pre, 200_000_000)).toEqual([{ name: 'pretraining', uniqueWords: 91_000_000, wordsSeen: 200_000_000 }]);
    expect(ledgerAt([pre], it10, 800_000_000)).toEqual([pre, { name: 'it', uniqueWords: 8_700_000, wordsSeen: 72_000_000 }]);
    const root = mkdtempSync(path.join(os.tmpdir(), 'milestones-'));
    const dirs = [path.join(root, 'chck_10M'), path.join(root, 'chck_100M')];
    await writeMilestoneLedgers(dirs, [], pre, DEFAULT_WORD_BUDGET);
    expect((await readLedger(dirs[0]!))!.total).toEqual({ uniqueWords: 10_000_000, wordsSeen: 10_000_000 });
    expect((await readLedger(dirs[1]!))!.total).toEqual({ uniqueWords: 91_000_000, wordsSeen: 100_000_000 });
  });
});

describe('words ledger', () => {
  it('counts whitespace words as Python str.split() does', () => {
    expect(countWords('')).toBe(0);
    expect(countWords('  hello   world\n\tagain ')).toBe(3);
    expect(countWords("don't stop—now")).toBe(2);
    expect(countWords('a\u00a0b\u3000c\u001fd')).toBe(4);
  });

  it('counts unique words once per item of the data (repeated texts included) and words seen per presentation', () => {
    const c = new PhaseCounter('it');
    const item = {};
    c.add('one two three', 2, undefined, item);
    c.add('one two three', 1, undefined, item);
    c.add('one two three', 1);
    c.add('four', 10);
    expect(c.counts()).toEqual({ name: 'it', uniqueWords: 3 + 3 + 1, wordsSeen: 3 * 4 + 10 });
  });

  it('refuses a config over budget before training, naming the numbers', () => {
    const pre = { name: 'pretraining', uniqueWords: 91_000_000, wordsSeen: 8 * 91_000_000 };
    const it10 = { name: 'it', uniqueWords: 8_700_000, wordsSeen: 10 * 8_700_000 };
    expect(checkBudget([pre, it10])).toEqual({ uniqueWords: 99_700_000, wordsSeen: 815_000_000 });
    expect(() => checkBudget([pre, { ...it10, uniqueWords: 9_100_000 }])).toThrow(/100,100,000 unique words of training data > 100,000,000/);
    expect(() => checkBudget([pre, { ...it10, wordsSeen: 300_000_000 }])).toThrow(ConfigError);
    expect(() => checkBudget([it10], { maxUniqueWords: 1e9, maxWordsSeen: 1e6 })).toThrow(/words seen/);
  });

  it('writes and reads the ledger file of a checkpoint', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
    expect(await readLedger(dir)).toBeUndefined();
    await writeLedger(dir, [{ name: 'a', uniqueWords: 5, wordsSeen: 7 }, { name: 'b', uniqueWords: 1, wordsSeen: 2 }], DEFAULT_WORD_BUDGET);
    expect((await readLedger(dir))!.total).toEqual({ uniqueWords: 6, wordsSeen: 9 });
  });
});
