/**
 * The checkpoint-name rule, in one place: BabyLM 2025 words-seen milestones (1M..10M step 1M, then 20M..100M step
 * 10M, then 200M..1000M step 100M) published as revisions named `chck_{N}M`. Smaller custom milestones (tests,
 * demos) keep the same form with a decimal N (`chck_0.25M`). The trainer names, `eval --sweep` lists and the
 * report reads checkpoints only through these functions.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

const M = 1_000_000;
const NAME = /^chck_(\d+(?:\.\d+)?)M$/;

export function babyLmMilestones(maxWords = 1000 * M): number[] {
  const out: number[] = [];
  for (let n = 1; n <= 10; n++) out.push(n * M);
  for (let n = 20; n <= 100; n += 10) out.push(n * M);
  for (let n = 200; n <= 1000; n += 100) out.push(n * M);
  return out.filter((w) => w <= maxWords);
}

/** `chck_{N}M` for a milestone of `words` words seen: 1e6 -> `chck_1M`, 2.5e5 -> `chck_0.25M`. */
export function milestoneName(words: number): string {
  if (!Number.isFinite(words) || words <= 0) throw new Error(`milestone ${words} is not a positive number of words`);
  return `chck_${Number((words / M).toPrecision(6))}M`;
}

/** Words seen of a `chck_{N}M` name, or undefined for any other name. */
export function parseMilestoneName(name: string): number | undefined {
  const m = NAME.exec(name);
  return m ? Math.round(Number(m[1]) * M) : undefined;
}

/** Milestones strictly after `wordsBefore` and at most `wordsAfter`: those a run from `before` to `after` crosses. */
export function milestonesBetween(wordsBefore: number, wordsAfter: number, all = babyLmMilestones()): number[] {
  return all.filter((w) => w > wordsBefore && w <= wordsAfter);
}

export interface MilestoneCheckpoint {
  /** The directory name, `chck_{N}M`. */
  name: string;
  dir: string;
  words: number;
}

/** Milestone checkpoint directories below `dir` (searched `depth` levels down), in words-seen order. */
export async function listMilestoneCheckpoints(dir: string, depth = 2): Promise<MilestoneCheckpoint[]> {
  const found: MilestoneCheckpoint[] = [];
  const walk = async (d: string, left: number) => {
    let entries: import('node:fs').Dirent[] = [];
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const words = parseMilestoneName(e.name);
      if (words !== undefined) found.push({ name: e.name, dir: path.join(d, e.name), words });
      else if (left > 0) await walk(path.join(d, e.name), left - 1);
    }
  };
  await walk(dir, depth);
  return found.sort((a, b) => a.words - b.words);
}
