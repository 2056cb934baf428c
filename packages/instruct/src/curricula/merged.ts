/** `merged`: every configured dataset in one stream, shuffled globally with the seed (the paper's "merged"). */
import { z } from 'zod';
import type { Curriculum, CurriculumInput, TrainingStage } from '@class-it/core';
import { parseSettings } from '@class-it/core';
import { Random } from '@class-it/core';
import { nonEmpty, requireDatasets } from './common.js';

const settingsSchema = z.object({
  /** Datasets to merge (default: all configured, in config order). */
  datasets: z.array(z.string().min(1)).min(1).optional(),
  epochs: z.number().int().positive().default(1),
}).strict();

export class MergedCurriculum implements Curriculum {
  readonly name = 'merged';
  readonly description = 'All datasets mixed into one stream, shuffled globally with the seed.';

  trains(settings: Record<string, unknown>): boolean {
    parseSettings(settingsSchema, settings, 'curriculum merged settings');
    return true;
  }

  plan(input: CurriculumInput): TrainingStage[] {
    const settings = parseSettings(settingsSchema, input.settings, 'curriculum merged settings');
    const names = settings.datasets ?? Object.keys(input.datasets);
    requireDatasets(input, names, this.name, 'datasets');
    const all = names.flatMap((n) => nonEmpty(input.datasets[n]!, n, this.name));
    return [{ name: 'merged', examples: Random.derive(input.seed, 'merged').shuffle(all), epochs: settings.epochs, schedule: 'continue' }];
  }
}
