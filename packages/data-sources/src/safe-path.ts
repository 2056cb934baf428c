/**
 * Names that come from outside (a Hub tree listing, a URL's file name, a cached manifest) become local paths only
 * through `resolveInside`, so a hostile or broken server can never make us write outside a cache directory.
 */
import path from 'node:path';
import { DataError } from '@class-it/core';

/** Why `name` cannot be a relative path under a root, or `undefined` when it can. */
export function unsafeNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name.includes('\0')) return 'it contains a NUL character';
  if (name.includes('\\')) return 'it contains a backslash';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'it is an absolute path';
  const segments = name.split('/');
  if (segments.includes('..')) return "it has a '..' segment";
  if (segments.some((s) => s === '' || s === '.')) return "it has an empty or '.' segment";
  return undefined;
}

/**
 * `root/name` for a `/`-separated relative `name` from outside; a DataError naming `source` (where the name came
 * from, e.g. the listing's URL) when the name is unsafe or its resolved path would leave `root`.
 */
export function resolveInside(root: string, name: string, source: string): string {
  const problem = unsafeNameProblem(name);
  if (problem) throw new DataError(`refusing the file name ${JSON.stringify(name)}: ${problem}`, { file: source });
  const base = path.resolve(root);
  const resolved = path.resolve(base, ...name.split('/'));
  const relative = path.relative(base, resolved);
  if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new DataError(`refusing the file name ${JSON.stringify(name)}: it resolves outside ${base}`, { file: source });
  }
  return resolved;
}
