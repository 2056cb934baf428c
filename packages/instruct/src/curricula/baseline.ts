/** `baseline`: no instruction tuning at all; the base checkpoint is evaluated as it is. */
import { z } from 'zod';
import type { Curriculum, CurriculumInput, TrainingStage } from '@class-it/core';
import { parseSettings } from '@class-it/core';

export class BaselineCurriculum implements Curriculum {
  readonly name = 'baseline';
  readonly description = 'No instruction tuning: the base model as it is (the control condition).';

  plan(input: CurriculumInput): TrainingStage[] {
    parseSettings(z.object({}).strict(), input.settings, 'curriculum baseline settings');
    return [];
  }
}
