/** Finds a Python with given modules (the repo's .venv first, then python3), for parity tests; never installs. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function findPython(modules: string[]): string | undefined {
  const candidates = [path.join(REPO_ROOT, '.venv/bin/python'), path.join(REPO_ROOT, '../.venv/bin/python'), 'python3'];
  for (const py of candidates) {
    if (py.includes('/') && !existsSync(py)) continue;
    const probe = spawnSync(py, ['-c', modules.map((m) => `import ${m}`).join('; ') || 'pass'], { encoding: 'utf8' });
    if (probe.status === 0) return py;
  }
  return undefined;
}

/** Run a Python script with a JSON input on stdin; returns its JSON stdout. */
export function runPython<T>(python: string, script: string, input: unknown): T {
  const res = spawnSync(python, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`python failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as T;
}
