/**
 * The words ledger: how many words a model was trained on, across pretraining and instruction tuning.
 * - unique words: all words of the training data (each item of the data counted once however often it is seen,
 *   repeats of the same text in the data included: the BabyLM rule, a data set's size is all of its words) — the
 *   BabyLM "at most 100M words of training data" budget;
 * - words seen: words of every text each time it is trained on (epochs included) — the "at most 1B words" budget.
 * A run is refused before training if the totals would exceed the budget.
 */
import path from 'node:path';
import { ConfigError, parseMilestoneName, readJsonIfExists, writeJsonAtomic } from '@class-it/core';
import { countWords } from './words.js';

export interface WordBudget {
  maxUniqueWords: number;
  maxWordsSeen: number;
}

export const DEFAULT_WORD_BUDGET: WordBudget = { maxUniqueWords: 100_000_000, maxWordsSeen: 1_000_000_000 };

export interface WordCounts {
  uniqueWords: number;
  wordsSeen: number;
}

export interface LedgerPhase extends WordCounts {
  name: string;
}

export interface WordLedgerFile {
  phases: LedgerPhase[];
  total: WordCounts;
  budget: WordBudget;
}

export const LEDGER_FILE = 'words-ledger.json';

/**
 * Count one phase: items of the training data with how many times each is trained on. Each item's words count once
 * as unique however often it is presented; `item` names it (the same `item` again is another presentation of it),
 * and an `add` without one is a new item, so identical texts in the data each count (repeats included).
 */
export class PhaseCounter {
  private readonly seen = new Set<unknown>();
  private unique = 0;
  private total = 0;

  constructor(readonly name: string) {}

  add(text: string, times = 1, words = countWords(text), item: unknown = Symbol('item')): void {
    if (!this.seen.has(item)) {
      this.seen.add(item);
      this.unique += words;
    }
    this.total += words * times;
  }

  counts(): LedgerPhase {
    return { name: this.name, uniqueWords: this.unique, wordsSeen: this.total };
  }
}

/**
 * The ledger of a `chck_{N}M` checkpoint saved when `wordsSeen` words had been seen (absolute, the phases before
 * this run included): the earlier phases as they are, and this run's `phase` cut at what it had seen by then (its
 * unique words at most its words seen: it cannot have used more data than it saw).
 */
export function ledgerAt(before: LedgerPhase[], phase: LedgerPhase, wordsSeen: number): LedgerPhase[] {
  const seen = Math.max(0, Math.min(phase.wordsSeen, wordsSeen - totals(before).wordsSeen));
  return [...before, { name: phase.name, uniqueWords: Math.min(phase.uniqueWords, seen), wordsSeen: seen }];
}

/** Write each milestone checkpoint's own ledger (`ledgerAt` its words, read from its `chck_{N}M` name). */
export async function writeMilestoneLedgers(milestoneDirs: string[], before: LedgerPhase[], phase: LedgerPhase, budget: WordBudget): Promise<void> {
  for (const dir of milestoneDirs) {
    const words = parseMilestoneName(path.basename(dir));
    if (words !== undefined) await writeLedger(dir, ledgerAt(before, phase, words), budget);
  }
}

export function totals(phases: WordCounts[]): WordCounts {
  return phases.reduce((acc, p) => ({ uniqueWords: acc.uniqueWords + p.uniqueWords, wordsSeen: acc.wordsSeen + p.wordsSeen }), { uniqueWords: 0, wordsSeen: 0 });
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** Throw a ConfigError (before any training) if the phases together exceed the budget. */
export function checkBudget(phases: LedgerPhase[], budget: WordBudget = DEFAULT_WORD_BUDGET): WordCounts {
  const total = totals(phases);
  const detail = phases.map((p) => `${p.name}: ${fmt(p.uniqueWords)} unique, ${fmt(p.wordsSeen)} seen`).join('; ');
  if (total.uniqueWords > budget.maxUniqueWords) {
    throw new ConfigError(`word budget exceeded: ${fmt(total.uniqueWords)} unique words of training data > ${fmt(budget.maxUniqueWords)} allowed (${detail})`, { field: 'budget.maxUniqueWords' });
  }
  if (total.wordsSeen > budget.maxWordsSeen) {
    throw new ConfigError(`word budget exceeded: ${fmt(total.wordsSeen)} words seen > ${fmt(budget.maxWordsSeen)} allowed (${detail}); ` +
      `use fewer epochs or less data`, { field: 'budget.maxWordsSeen' });
  }
  return total;
}

/** The ledger a checkpoint directory carries (absent for checkpoints from elsewhere). */
export async function readLedger(checkpointDir: string): Promise<WordLedgerFile | undefined> {
  return readJsonIfExists<WordLedgerFile>(path.join(checkpointDir, LEDGER_FILE));
}

export async function writeLedger(checkpointDir: string, phases: LedgerPhase[], budget: WordBudget): Promise<WordLedgerFile> {
  const ledger: WordLedgerFile = { phases, total: totals(phases), budget };
  await writeJsonAtomic(path.join(checkpointDir, LEDGER_FILE), ledger);
  return ledger;
}
