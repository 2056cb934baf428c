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
  /**
   * Whether this curriculum trains at all with these condition settings (validated first: bad settings are a
   * ConfigError naming the field). `false` means the base model is evaluated as it is (baseline): no data is
   * loaded and `plan` is not called. Needs no datasets, so a runner can ask it before loading any.
   */
  trains(settings: Record<string, unknown>): boolean;
  /** Build the stages (one or more when `trains(settings)`, none otherwise). */
  plan(input: CurriculumInput): TrainingStage[];
}
