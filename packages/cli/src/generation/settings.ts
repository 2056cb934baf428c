/**
 * Generation settings from request fields: one reader for `class-it generate`'s JSONL lines, the server's OpenAI
 * bodies and an experiment's report samples, each with its own field names. The ranges are core's
 * (`generationSettingsProblem`); errors are DataErrors naming the file, line and the request's own field name.
 *
 * One rule on top of the checkpoint's defaults: a request that gives a temperature above 0 (and says nothing of
 * `do_sample`) samples, as the OpenAI API does; temperature 0 is greedy.
 */
import { DataError, generationSettingsProblem, typeOf, type GenerationSettings, type Location } from '@class-it/core';

/** Request field name -> setting. */
export type FieldNames = Record<string, keyof GenerationSettings>;

/** `class-it generate` lines and report samples: HF `generate` keyword names. */
export const HF_FIELDS: FieldNames = {
  max_new_tokens: 'maxNewTokens', do_sample: 'doSample', temperature: 'temperature', top_k: 'topK', top_p: 'topP',
  repetition_penalty: 'repetitionPenalty', stop: 'stop', seed: 'seed',
};

/** The settings `fields` give under `names` (absent and null fields are left to the defaults). */
export function generationSettingsFrom(fields: Record<string, unknown>, names: FieldNames, where: Location = {}): GenerationSettings {
  const settings: GenerationSettings = {};
  const fieldOf = new Map<string, string>();
  for (const [name, setting] of Object.entries(names)) {
    const raw = fields[name];
    if (raw === undefined || raw === null) continue;
    const fail = (expected: string): never => {
      throw new DataError(`expected ${expected}, got ${typeOf(raw)} ${JSON.stringify(raw)}`, { ...where, field: name });
    };
    fieldOf.set(setting, name);
    if (setting === 'stop') {
      const list = typeof raw === 'string' ? [raw] : raw;
      if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) fail('a string or a list of strings');
      settings.stop = (list as string[]).filter((s) => s !== '');
    } else if (setting === 'doSample') {
      if (typeof raw !== 'boolean') fail('true or false');
      settings.doSample = raw as boolean;
    } else if (setting === 'stopTokenIds') {
      if (!Array.isArray(raw)) fail('a list of token ids');
      settings.stopTokenIds = raw as number[];
    } else {
      if (typeof raw !== 'number' || !Number.isFinite(raw)) fail('a number');
      settings[setting] = raw as number;
    }
  }
  const problem = generationSettingsProblem(settings);
  if (problem) throw new DataError(problem.message, { ...where, field: fieldOf.get(problem.field) ?? problem.field });
  if (settings.doSample === undefined && settings.temperature !== undefined && settings.temperature > 0) settings.doSample = true;
  return settings;
}
