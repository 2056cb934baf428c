/**
 * The BabyLM fine-tuning learning-rate schedule (spec §9.3; reference `finetune/utils.py`), a torch LambdaLR:
 *   total  = floor(N / batch) * epochs          (drop_last, no gradient accumulation)
 *   warmup = int(0.06 * total)
 *   f(s)   = s / max(1, warmup)                                          if s < warmup
 *          = max(m, m + (1 - m) * 0.5 * (1 + cos(pi * (s - warmup) / max(1, total - warmup))))   otherwise
 * with floor m = 0.1. LambdaLR applies f(0) to the first optimizer step (so it runs at lr 0 when warmup > 0)
 * and `scheduler.step()` after each step, so 0-based optimizer step s runs at lr * f(s).
 */

export function classifierTotalSteps(trainExamples: number, batchSize: number, epochs: number): number {
  return Math.floor(trainExamples / batchSize) * epochs;
}

export function classifierWarmupSteps(totalSteps: number, warmupFraction: number): number {
  return Math.trunc(warmupFraction * totalSteps);
}

/** The LambdaLR factor at 0-based optimizer step `step`. */
export function referenceLrFactor(step: number, warmupSteps: number, totalSteps: number, minFactor = 0.1): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return Math.max(minFactor, minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

export interface ClassifierSchedule {
  totalSteps: number;
  warmupSteps: number;
  stepsPerEpoch: number;
  /** Learning rate of 0-based optimizer step `step`. */
  learningRate(step: number): number;
}

export function classifierSchedule(
  trainExamples: number,
  recipe: { batchSize: number; epochs: number; learningRate: number; warmupFraction: number; minFactor: number },
): ClassifierSchedule {
  const stepsPerEpoch = Math.floor(trainExamples / recipe.batchSize);
  const totalSteps = stepsPerEpoch * recipe.epochs;
  const warmupSteps = classifierWarmupSteps(totalSteps, recipe.warmupFraction);
  return {
    totalSteps,
    warmupSteps,
    stepsPerEpoch,
    learningRate: (step) => recipe.learningRate * referenceLrFactor(step, warmupSteps, totalSteps, recipe.minFactor),
  };
}
