/** BabyLM 2025 checkpoint milestones in words seen: 1M..10M (step 1M), 10M..100M (step 10M), 100M..1000M (step 100M). */
export function babyLmMilestoneWords(): number[] {
  const out: number[] = [];
  for (let m = 1; m <= 10; m++) out.push(m * 1e6);
  for (let m = 20; m <= 100; m += 10) out.push(m * 1e6);
  for (let m = 200; m <= 1000; m += 100) out.push(m * 1e6);
  return out;
}
