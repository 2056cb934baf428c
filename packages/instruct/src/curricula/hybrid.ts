/**
 * `hybrid`: ordered stages, each a weighted mix of datasets (e.g. 80/20 conversational/QA, then 20/80).
 *
 * How a weight mix samples, exactly:
 * - Each dataset has a stream: its examples shuffled with the seed (pass 0); when a stream runs out, it goes on
 *   with a fresh shuffle (pass 1, ...). Streams continue across stages, so no example repeats before all of its
 *   dataset has been used.
 * - `mode: mixture` (default): stage s has `size` examples (default: all examples of the datasets named in any
 *   stage, divided by the number of stages, so the whole plan is one pass's worth). The counts per dataset are
 *   `size` apportioned by the normalised weights (largest remainder, ties to the dataset listed first); each count
 *   is taken from the front of the dataset's stream.
 * - `mode: partition`: every example is used exactly once over the stages: dataset d's stream is cut into
 *   consecutive chunks, one per stage, sized by d's weight in that stage over its weights in all stages.
 * - The examples of a stage are then shuffled together with the seed and the stage name.
 */
import { z } from 'zod';
import type { Curriculum, CurriculumInput, TrainingStage } from '@class-it/core';
import type { InstructionExample } from '@class-it/core';
import { parseSettings } from '@class-it/core';
import { ConfigError } from '@class-it/core';
import { Random } from '@class-it/core';
import { apportion, nonEmpty, requireDatasets, uniqueNames } from './common.js';

const stageSchema = z.object({
  name: z.string().min(1).optional(),
  weights: z.record(z.string(), z.number().nonnegative()),
  epochs: z.number().int().positive().default(1),
  size: z.number().int().positive().optional(),
}).strict();

const settingsSchema = z.object({
  stages: z.array(stageSchema).min(1),
  mode: z.enum(['mixture', 'partition']).default('mixture'),
  schedule: z.enum(['reset', 'continue']).default('continue'),
}).strict();

/** A dataset's endless stream of seeded shuffles. */
class ExampleStream {
  private pass = 0;
  private position = 0;
  private order: InstructionExample[];

  constructor(private readonly examples: InstructionExample[], private readonly seed: number, private readonly dataset: string) {
    this.order = this.shuffle();
  }

  private shuffle(): InstructionExample[] {
    return Random.derive(this.seed, `hybrid:${this.dataset}:pass${this.pass}`).shuffle(this.examples);
  }

  take(n: number): InstructionExample[] {
    const out: InstructionExample[] = [];
    while (out.length < n) {
      if (this.position === this.order.length) {
        this.pass++;
        this.position = 0;
        this.order = this.shuffle();
      }
      const k = Math.min(n - out.length, this.order.length - this.position);
      out.push(...this.order.slice(this.position, this.position + k));
      this.position += k;
    }
    return out;
  }
}

export class HybridCurriculum implements Curriculum {
  readonly name = 'hybrid';
  readonly description = 'Ordered stages, each a seeded weighted mix of datasets (e.g. 80/20 then 20/80).';

  trains(settings: Record<string, unknown>): boolean {
    parseSettings(settingsSchema, settings, 'curriculum hybrid settings');
    return true;
  }

  plan(input: CurriculumInput): TrainingStage[] {
    const settings = parseSettings(settingsSchema, input.settings, 'curriculum hybrid settings');
    const datasets: string[] = [];
    settings.stages.forEach((stage, s) => {
      const names = Object.keys(stage.weights);
      requireDatasets(input, names, this.name, `stages.${s}.weights`);
      if (!names.some((n) => stage.weights[n]! > 0)) throw new ConfigError('a stage needs at least one positive weight', { field: `stages.${s}.weights` });
      if (settings.mode === 'partition' && stage.size !== undefined) throw new ConfigError('size cannot be set in partition mode', { field: `stages.${s}.size` });
      for (const n of names) if (!datasets.includes(n)) datasets.push(n);
    });
    const streams = new Map(datasets.map((d) => [d, new ExampleStream(nonEmpty(input.datasets[d]!, d, this.name), input.seed, d)]));
    const stageNames = uniqueNames(settings.stages.map((s, i) => s.name ?? `stage${i + 1}`));
    const counts = settings.mode === 'mixture' ? this.mixtureCounts(settings.stages, datasets, input) : this.partitionCounts(settings.stages, datasets, input);
    return settings.stages.map((stage, s) => {
      const name = stageNames[s]!;
      const picked = datasets.flatMap((d) => streams.get(d)!.take(counts[s]!.get(d) ?? 0));
      return { name, examples: Random.derive(input.seed, `hybrid:stage:${name}`).shuffle(picked), epochs: stage.epochs, schedule: settings.schedule };
    });
  }

  private mixtureCounts(stages: z.infer<typeof stageSchema>[], datasets: string[], input: CurriculumInput): Array<Map<string, number>> {
    const total = datasets.reduce((n, d) => n + input.datasets[d]!.length, 0);
    const defaultSize = Math.max(1, Math.round(total / stages.length));
    return stages.map((stage) => {
      const names = datasets.filter((d) => (stage.weights[d] ?? 0) > 0);
      const counts = apportion(stage.size ?? defaultSize, names.map((d) => stage.weights[d]!));
      return new Map(names.map((d, i) => [d, counts[i]!]));
    });
  }

  private partitionCounts(stages: z.infer<typeof stageSchema>[], datasets: string[], input: CurriculumInput): Array<Map<string, number>> {
    const result = stages.map(() => new Map<string, number>());
    for (const d of datasets) {
      const weights = stages.map((s) => s.weights[d] ?? 0);
      if (!weights.some((w) => w > 0)) throw new ConfigError(`dataset '${d}' has weight 0 in every stage`, { field: 'stages' });
      const counts = apportion(input.datasets[d]!.length, weights);
      counts.forEach((c, s) => result[s]!.set(d, c));
    }
    return result;
  }
}
