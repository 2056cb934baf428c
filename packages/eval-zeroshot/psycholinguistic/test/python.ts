/** TEST HELPER: the project's Python venv (`<repo>/.venv`) with the given modules, or undefined (loudly). */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@class-it/eval-zeroshot-shared/testing';

export function pythonWith(modules: string[], what: string): string | undefined {
  const python = path.join(repoRoot(), '.venv', 'bin', 'python');
  const candidates = [python, 'python3'];
  for (const py of candidates) {
    if (py === python && !existsSync(py)) continue;
    try {
      execFileSync(py, ['-c', modules.map((m) => `import ${m}`).join('; ')], { stdio: 'ignore' });
      return py;
    } catch {
      // try the next one
    }
  }
  console.warn(`SKIPPED: ${what} — no Python with ${modules.join(', ')} (looked for ${python} and python3)`);
  return undefined;
}

export function runPython(python: string, script: string, args: string[] = [], input?: string): unknown {
  const out = execFileSync(python, [script, ...args], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out);
}
