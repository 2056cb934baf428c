/**
 * `samples.json`, a cell's answers to an experiment's `report.samples` prompts: the runner writes it once (greedy,
 * so the answers are reproducible), the report shows each condition's answers side by side. Its name, shape and
 * parser live here, like results.json's.
 *
 *   { maxNewTokens, samples: [{ prompt, text, finishReason }] }
 */
import { DataError } from '../util/errors.js';
import { typeOf } from '../util/json.js';
import type { FinishReason } from './generation.js';

export const SAMPLES_FILE = 'samples.json';

export interface GeneratedSample {
  /** The prompt as the report shows it (the user's message, or the raw prompt text). */
  prompt: string;
  text: string;
  finishReason: FinishReason;
}

export interface SamplesRecord {
  maxNewTokens: number;
  samples: GeneratedSample[];
}

/** A samples.json object, or a DataError naming the file and the field that is wrong. */
export function parseSamplesRecord(json: Record<string, unknown>, file: string): SamplesRecord {
  const { maxNewTokens, samples } = json;
  if (typeof maxNewTokens !== 'number') throw new DataError(`expected a number, got ${typeOf(maxNewTokens)}`, { file, field: 'maxNewTokens' });
  if (!Array.isArray(samples)) throw new DataError(`expected a list, got ${typeOf(samples)}`, { file, field: 'samples' });
  return {
    maxNewTokens,
    samples: samples.map((s, i) => {
      const { prompt, text, finishReason } = (s ?? {}) as Record<string, unknown>;
      for (const [field, value] of [['prompt', prompt], ['text', text], ['finishReason', finishReason]] as const) {
        if (typeof value !== 'string') throw new DataError(`expected a string, got ${typeOf(value)}`, { file, field: `samples[${i}].${field}` });
      }
      return { prompt: prompt as string, text: text as string, finishReason: finishReason as FinishReason };
    }),
  };
}
