/** Curricula turn named datasets into ordered training stages. */
import type { InstructionExample } from './dataset.js';

export interface TrainingStage {
  name: string;
  /** Examples in the exact order they are trained on (already shuffled with the seed). One epoch. */
  examples: InstructionExample[];
  epochs: number;
  /** `reset` restarts warm-up and decay at the stage start; `continue` keeps one schedule over all stages. */
  schedule: 'reset' | 'continue';
}

export interface CurriculumInput {
  datasets: Record<string, InstructionExample[]>;
  /** Curriculum-specific settings from the condition (validated by the curriculum). */
  settings: Record<string, unknown>;
  seed: number;
}

export interface Curriculum {
  readonly name: string;
  readonly description: string;
  /** Build the stages; an empty list means no instruction tuning (baseline). */
  plan(input: CurriculumInput): TrainingStage[];
}
