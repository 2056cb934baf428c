/** Validate a plugin's settings with zod and turn the first problem into a ConfigError naming the field. */
import type { z } from 'zod';
import { ConfigError } from '../util/errors.js';

export function parseSettings<S extends z.ZodType>(schema: S, settings: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(settings ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  throw new ConfigError(`${where}: ${issue.message}`, { field: field || undefined });
}
