/**
 * The words ledger: how many words a model was trained on, across pretraining and instruction tuning.
 * - unique words: words of the distinct training texts (each text counted once however often it is seen) — the
 *   BabyLM "at most 100M words of training data" budget;
 * - words seen: words of every text each time it is trained on (epochs included) — the "at most 1B words" budget.
 * A run is refused before training if the totals would exceed the budget.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { ConfigError } from '@class-it/core';
import { writeJsonAtomic } from '@class-it/core';
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

/** Count one phase: `texts` with how many times each is trained on. Identical texts count once as unique. */
export class PhaseCounter {
  private readonly seen = new Set<string>();
  private unique = 0;
  private total = 0;

  constructor(readonly name: string) {}

  add(text: string, times = 1, words = countWords(text)): void {
    const key = createHash('sha1').update(text).digest('base64');
    if (!this.seen.has(key)) {
      this.seen.add(key);
      this.unique += words;
    }
    this.total += words * times;
  }

  counts(): LedgerPhase {
    return { name: this.name, uniqueWords: this.unique, wordsSeen: this.total };
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
  try {
    return JSON.parse(await fs.readFile(path.join(checkpointDir, LEDGER_FILE), 'utf8')) as WordLedgerFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`unreadable ${LEDGER_FILE}: ${(err as Error).message}`, { file: path.join(checkpointDir, LEDGER_FILE) });
  }
}

export async function writeLedger(checkpointDir: string, phases: LedgerPhase[], budget: WordBudget): Promise<WordLedgerFile> {
  const ledger: WordLedgerFile = { phases, total: totals(phases), budget };
  await writeJsonAtomic(path.join(checkpointDir, LEDGER_FILE), ledger);
  return ledger;
}
