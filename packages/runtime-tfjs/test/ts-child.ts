/**
 * Run a TypeScript entry of this workspace in a child node process (a real process, which a test can have killed),
 * through the hooks in ts-child-loader.mjs; `@class-it/*` imports resolve to the packages' sources.
 */
import { spawn } from 'node:child_process';

const LOADER = new URL('./ts-child-loader.mjs', import.meta.url).href;
const REGISTER = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(LOADER)});`)}`;

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runTsChild(entry: string, args: string[], env: Record<string, string> = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=class-it-source', '--import', REGISTER, entry, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}
