/**
 * `sequential`: one dataset per stage, in a configured order (e.g. conversational then QA, or the reverse), each
 * stage shuffled with the seed on its own, so no example of a later stage is trained before an earlier one ends.
 * Epochs per stage; the learning-rate schedule is reset at each stage or continued over all of them.
 */
import { z } from 'zod';
import type { Curriculum, CurriculumInput, TrainingStage } from '@class-it/core';
import { parseSettings } from '@class-it/core';
import { ConfigError } from '@class-it/core';
import { Random } from '@class-it/core';
import { nonEmpty, requireDatasets, uniqueNames } from './common.js';

const epochs = z.number().int().positive();
const settingsSchema = z.object({
  /** Dataset names in training order (default: config order). A name may appear twice. */
  order: z.array(z.string().min(1)).min(1).optional(),
  /** Epochs of every stage, or per stage name. */
  epochs: z.union([epochs, z.record(z.string(), epochs)]).default(1),
  schedule: z.enum(['reset', 'continue']).default('continue'),
}).strict();

export class SequentialCurriculum implements Curriculum {
  readonly name = 'sequential';
  readonly description = 'One dataset after another in a configured order; stages never mix; schedule reset or continued.';

  trains(settings: Record<string, unknown>): boolean {
    parseSettings(settingsSchema, settings, 'curriculum sequential settings');
    return true;
  }

  plan(input: CurriculumInput): TrainingStage[] {
    const settings = parseSettings(settingsSchema, input.settings, 'curriculum sequential settings');
    const order = settings.order ?? Object.keys(input.datasets);
    requireDatasets(input, order, this.name, 'order');
    const names = uniqueNames(order);
    if (typeof settings.epochs === 'object') {
      for (const key of Object.keys(settings.epochs)) {
        if (!names.includes(key)) throw new ConfigError(`epochs given for '${key}', which is not a stage (stages: ${names.join(', ')})`, { field: `epochs.${key}` });
      }
    }
    return order.map((dataset, i) => {
      const name = names[i]!;
      const stageEpochs = typeof settings.epochs === 'number' ? settings.epochs : settings.epochs[name] ?? 1;
      const examples = Random.derive(input.seed, `sequential:${name}`).shuffle(nonEmpty(input.datasets[dataset]!, dataset, this.name));
      return { name, examples, epochs: stageEpochs, schedule: settings.schedule };
    });
  }
}
