/**
 * Values that an experiment file and a command-line flag can both give, with one rule each: the experiment schema
 * and the flag parser use the same zod schemas, so `seeds: [0]` and `--seed 0` are accepted (or refused) alike.
 */
import { z } from 'zod';
import { ConfigError } from '@class-it/core';

/** A seed: an integer from 0 to 2^32 - 1 (core's seeded random source works on 32 bits; larger seeds would alias). */
export const seedSchema = z.number()
  .int('expected an integer seed')
  .min(0, 'expected a seed from 0 to 4294967295')
  .max(2 ** 32 - 1, 'expected a seed from 0 to 4294967295');

/** Vocabulary of a trained byte-level BPE: its 256 byte tokens, the special tokens and room for merges. */
export const vocabSizeSchema = z.number()
  .int('expected an integer vocabulary size')
  .min(300, 'expected a vocabulary of at least 300 tokens (256 bytes, the special tokens and some merges)');

/** A numeric flag checked by the schema of the experiment field it stands for; `undefined` when not given. */
export function parseNumberFlag<S extends z.ZodType>(raw: string | undefined, flag: string, schema: S): z.infer<S> | undefined {
  if (raw === undefined) return undefined;
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (Number.isNaN(value)) throw new ConfigError(`${flag}: expected a number (got '${raw}')`);
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`${flag}: ${parsed.error.issues[0]!.message} (got ${raw})`);
  return parsed.data as z.infer<S>;
}
