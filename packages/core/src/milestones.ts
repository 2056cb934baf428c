/**
 * BabyLM 2025 checkpoint milestones (words seen): 1M..10M step 1M, then 20M..100M step 10M, then 200M..1000M
 * step 100M, published as revisions named `chck_{N}M`.
 */
const M = 1_000_000;

export function babyLmMilestones(maxWords = 1000 * M): number[] {
  const out: number[] = [];
  for (let n = 1; n <= 10; n++) out.push(n * M);
  for (let n = 20; n <= 100; n += 10) out.push(n * M);
  for (let n = 200; n <= 1000; n += 100) out.push(n * M);
  return out.filter((w) => w <= maxWords);
}

/** `chck_{N}M` for a milestone (words must be a whole number of millions). */
export function milestoneName(words: number): string {
  if (!Number.isInteger(words / M) || words <= 0) throw new Error(`milestone ${words} is not a positive whole number of millions`);
  return `chck_${words / M}M`;
}

/** Milestones strictly after `wordsBefore` and at most `wordsAfter`: those a run from `before` to `after` crosses. */
export function milestonesBetween(wordsBefore: number, wordsAfter: number, all = babyLmMilestones()): number[] {
  return all.filter((w) => w > wordsBefore && w <= wordsAfter);
}
