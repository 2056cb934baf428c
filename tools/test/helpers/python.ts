/** The Python venv of the parity tests (`tools/scripts/setup-python.sh`), and whether it has what a test needs. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const python = path.resolve(__dirname, '..', '..', '..', '.venv/bin/python');

/** Whether the venv exists and can import every one of `modules`. */
export function pythonHas(modules: string[]): boolean {
  if (!existsSync(python)) return false;
  const probe = `import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ${JSON.stringify(modules)}) else 1)`;
  return spawnSync(python, ['-c', probe], { timeout: 60_000 }).status === 0;
}
