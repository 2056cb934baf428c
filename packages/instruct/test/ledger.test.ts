import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PhaseCounter, checkBudget, readLedger, writeLedger, DEFAULT_WORD_BUDGET } from '../src/ledger/index.js';
import { babyLmMilestones, milestoneName, milestonesBetween } from '@class-it/core';
import { countWords } from '../src/ledger/words.js';
import { ConfigError } from '@class-it/core';

describe('words ledger', () => {
  it('counts whitespace words as Python str.split() does', () => {
    expect(countWords('')).toBe(0);
    expect(countWords('  hello   world\n\tagain ')).toBe(3);
    expect(countWords("don't stop—now")).toBe(2);
    expect(countWords('a\u00a0b\u3000c\u001fd')).toBe(4);
  });

  it('lists the BabyLM milestones and names them chck_{N}M', () => {
    const m = babyLmMilestones();
    expect(m).toHaveLength(10 + 9 + 9);
    expect(m.slice(0, 3)).toEqual([1e6, 2e6, 3e6]);
    expect(m.slice(9, 12)).toEqual([10e6, 20e6, 30e6]);
    expect(m.at(-1)).toBe(1000e6);
    expect(new Set(m).size).toBe(m.length);
    expect(m.map(milestoneName).slice(0, 2)).toEqual(['chck_1M', 'chck_2M']);
    expect(milestoneName(200e6)).toBe('chck_200M');
    expect(milestonesBetween(9.5e6, 31e6)).toEqual([10e6, 20e6, 30e6]);
    expect(() => milestoneName(1.5e6)).toThrow();
  });

  it('counts unique words once per distinct text and words seen per presentation', () => {
    const c = new PhaseCounter('it');
    c.add('one two three', 2);
    c.add('one two three', 1);
    c.add('four', 10);
    expect(c.counts()).toEqual({ name: 'it', uniqueWords: 4, wordsSeen: 3 * 3 + 10 });
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
