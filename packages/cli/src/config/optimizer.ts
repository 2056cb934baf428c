/**
 * The optimizer and learning-rate schedule fields both training phases expose (AdamW with decoupled weight decay,
 * warm-up then cosine decay to a floor, gradient clipping), one definition with each phase's own defaults:
 * pretraining (`pretrain/settings.ts`) and instruction tuning (`instruct/schema.ts`).
 */
import { z } from 'zod';

export interface OptimizerDefaults {
  learningRate: number;
  minLearningRateRatio: number;
  warmupFraction: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  gradClip: number;
}

export function optimizerFields(defaults: OptimizerDefaults) {
  return {
    /** Peak learning rate. */
    learningRate: z.number().positive().default(defaults.learningRate),
    /** Cosine decay floor as a fraction of the peak. */
    minLearningRateRatio: z.number().min(0).max(1).default(defaults.minLearningRateRatio),
    /** Warm-up as a fraction of the optimizer steps. */
    warmupFraction: z.number().min(0).max(1).default(defaults.warmupFraction),
    weightDecay: z.number().min(0).default(defaults.weightDecay),
    beta1: z.number().min(0).max(1).default(defaults.beta1),
    beta2: z.number().min(0).max(1).default(defaults.beta2),
    epsilon: z.number().positive().default(defaults.epsilon),
    /** Clip gradients by global norm (0 = off). */
    gradClip: z.number().min(0).default(defaults.gradClip),
  };
}
