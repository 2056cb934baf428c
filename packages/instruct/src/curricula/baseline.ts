/** `baseline`: no instruction tuning at all; the base checkpoint is evaluated as it is. */
import { z } from 'zod';
import type { Curriculum, CurriculumInput, TrainingStage } from '@class-it/core';
import { parseSettings } from '@class-it/core';

/** Baseline takes no settings at all. */
const settingsSchema = z.object({}).strict();

export class BaselineCurriculum implements Curriculum {
  readonly name = 'baseline';
  readonly description = 'No instruction tuning: the base model as it is (the control condition).';

  trains(settings: Record<string, unknown>): boolean {
    parseSettings(settingsSchema, settings, 'curriculum baseline settings');
    return false;
  }

  plan(input: CurriculumInput): TrainingStage[] {
    this.trains(input.settings);
    return [];
  }
}
