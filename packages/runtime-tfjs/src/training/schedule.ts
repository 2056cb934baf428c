/**
 * Learning-rate schedule: linear warm-up, then cosine decay to `minLearningRateRatio` of the peak.
 *
 * A training plan is a list of stages; each stage either starts a new schedule (`reset`) or continues the
 * previous one (`continue`). Consecutive stages that continue share one schedule spanning all their steps,
 * and warm-up is a fraction of that schedule's steps. The first stage always starts a schedule.
 */

export interface ScheduleSettings {
  learningRate: number;
  minLearningRateRatio: number;
  warmupFraction: number;
}

/** One schedule: the optimizer steps [start, start + length) of the whole plan (0-based step indices). */
export interface ScheduleSegment {
  start: number;
  length: number;
  warmupSteps: number;
}

export function warmupStepsFor(totalSteps: number, warmupFraction: number): number {
  if (!(warmupFraction >= 0 && warmupFraction < 1)) throw new RangeError(`warmupFraction must be in [0, 1), got ${warmupFraction}`);
  return Math.ceil(totalSteps * warmupFraction);
}

/**
 * The learning rate of the `local`-th update (0-based) of a schedule with `total` updates.
 * Warm-up reaches the peak on its last step: lr = peak * (local + 1) / warmup. Then
 * lr = peak * (minRatio + (1 - minRatio) * 0.5 * (1 + cos(pi * (local - warmup) / (total - warmup)))).
 */
export function learningRateAt(local: number, total: number, warmup: number, s: ScheduleSettings): number {
  const peak = s.learningRate;
  if (local < warmup) return (peak * (local + 1)) / warmup;
  const decaySteps = Math.max(1, total - warmup);
  const progress = Math.min(1, (local - warmup) / decaySteps);
  const cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
  return peak * (s.minLearningRateRatio + (1 - s.minLearningRateRatio) * cosine);
}

/** Schedule segments of a plan from each stage's step count and reset/continue flag. */
export function scheduleSegments(stages: Array<{ steps: number; schedule: 'reset' | 'continue' }>, warmupFraction: number): ScheduleSegment[] {
  const segments: Array<{ start: number; length: number }> = [];
  let start = 0;
  stages.forEach((stage, i) => {
    if (i === 0 || stage.schedule === 'reset') segments.push({ start, length: 0 });
    segments[segments.length - 1]!.length += stage.steps;
    start += stage.steps;
  });
  return segments.map((seg) => ({ ...seg, warmupSteps: warmupStepsFor(seg.length, warmupFraction) }));
}

/** Learning rate of global step index `step` (0-based) in a plan. */
export function planLearningRate(step: number, segments: ScheduleSegment[], s: ScheduleSettings): number {
  const seg = segments.find((g) => step >= g.start && step < g.start + g.length) ?? segments[segments.length - 1];
  if (!seg) return s.learningRate;
  return learningRateAt(step - seg.start, seg.length, seg.warmupSteps, s);
}
