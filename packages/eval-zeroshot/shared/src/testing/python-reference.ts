/**
 * TEST HELPER: the Python re-implementation of the BabyLM-2025 reference pipeline
 * (`packages/eval-zeroshot/shared/test/py/babylm_reference.py`), run with the repo's `.venv` python on a tiny
 * random GPT-2 it creates. Used by the integration parity tests of the evaluator packages.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseJsonText } from '@class-it/core';
import { repoRoot } from './eval-data.js';

export function referenceScript(): string {
  return path.join(repoRoot(), 'packages', 'eval-zeroshot', 'shared', 'test', 'py', 'babylm_reference.py');
}

/** `<repo>/.venv/bin/python` when it has torch, transformers, tokenizers, scipy, pandas, statsmodels; else
 *  undefined after a loud warning. */
export function referencePython(what: string): string | undefined {
  const python = path.join(repoRoot(), '.venv', 'bin', 'python');
  const modules = 'torch, transformers, tokenizers, scipy, pandas, statsmodels';
  if (existsSync(python)) {
    try {
      execFileSync(python, ['-c', `import ${modules}`], { stdio: 'ignore', timeout: 120_000 });
      return python;
    } catch {
      // fall through to the warning
    }
  }
  console.warn(`SKIPPED: ${what} — needs ${python} with ${modules}`);
  return undefined;
}

/** Run the reference script (creating the tiny model in `modelDir` if absent) and return its JSON output. */
export function runReference<T = Record<string, unknown>>(python: string, modelDir: string, outFile: string, args: string[]): T {
  execFileSync(python, [referenceScript(), modelDir, outFile, ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000, env: { ...process.env, TOKENIZERS_PARALLELISM: 'false' } });
  return parseJsonText<T>(readFileSync(outFile, 'utf8'), outFile);
}
