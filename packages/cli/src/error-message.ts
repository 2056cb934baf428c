/**
 * What the user sees when a command fails: ONE line, `class-it: ` and the message (ClassItError messages name the
 * file, line and field). A message of several lines (e.g. every problem of an experiment file) is cut to its first
 * with a count of the rest; `--verbose` prints everything, with the stack and the chain of causes.
 */
import { ClassItError } from '@class-it/core';

export function errorMessage(err: unknown, verbose: boolean): string {
  if (verbose) return `class-it: ${withCauses(err)}`;
  if (!(err instanceof Error)) return `class-it: ${firstLine(String(err))}`;
  // A ClassItError is a message for the user; a plain Error from a library usually is too (`unknown backend`,
  // `ENOENT: no such file or directory, open 'x'`); a TypeError or RangeError is a bug of ours.
  const internal = !(err instanceof ClassItError) && err.name !== 'Error';
  return `class-it: ${internal ? `${err.name}: ` : ''}${firstLine(err.message)}${internal ? ' (an internal error: rerun with --verbose for the stack)' : ''}`;
}

function firstLine(message: string): string {
  const lines = message.trim().split('\n');
  const more = lines.length - 1;
  return more > 0 ? `${lines[0]!.trimEnd()} (and ${more} more line${more > 1 ? 's' : ''}: rerun with --verbose)` : lines[0]!;
}

function withCauses(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
  }
  return parts.join('\ncaused by: ');
}
