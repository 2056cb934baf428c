/** Validate a plugin's settings with zod and turn the first problem into a ConfigError naming the field. */
import type { z } from 'zod';
import { ConfigError } from '../util/errors.js';

export function parseSettings<S extends z.ZodType>(schema: S, settings: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(settings ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  // An unknown key is named by the field itself, not by the object that holds it.
  const fieldPath = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  const field = fieldPath.map(String).join('.');
  throw new ConfigError(`${where}: ${issue.message}`, { field: field || undefined });
}
