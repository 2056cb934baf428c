/** An integer command-line option, checked: a DataError naming the flag otherwise. */
import { DataError } from '@class-it/core';

export function integer(raw: string, flag: string, min: number): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min) throw new DataError(`expected an integer >= ${min}, got '${raw}'`, { field: flag });
  return value;
}
