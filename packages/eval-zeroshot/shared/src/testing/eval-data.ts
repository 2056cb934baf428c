/** TEST HELPER: where the shared, read-only BabyLM evaluation data is (`<repo root>/../shared/eval-data`). */
import { existsSync } from 'node:fs';
import path from 'node:path';

export function repoRoot(from = process.cwd()): string {
  let dir = path.resolve(from);
  while (!existsSync(path.join(dir, 'nx.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no nx.json above ${from}`);
    dir = parent;
  }
  return dir;
}

/** The eval-data directory, or undefined after a loud warning when it (or `sub` inside it) is absent. */
export function evalDataDir(sub = '', what = 'eval data'): string | undefined {
  const root = path.resolve(repoRoot(), '../shared/eval-data');
  const dir = path.join(root, sub);
  if (!existsSync(dir)) {
    console.warn(`SKIPPED: ${what} tests — eval data not found at ${dir}`);
    return undefined;
  }
  return dir;
}
