/**
 * Headless Chromium driven over the DevTools protocol through `--remote-debugging-pipe` (JSON messages separated
 * by NUL on file descriptors 3 and 4), so no WebSocket client is needed. Enough for tests: open a page, evaluate
 * expressions, type text and press Enter.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** The chromium binary on PATH, or undefined. */
export function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    if (spawnSync('sh', ['-c', `command -v ${name}`]).status === 0) return name;
  }
  return undefined;
}

interface Pending { resolve: (value: unknown) => void; reject: (err: Error) => void }

export class Chromium {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffer = '';

  private constructor(private readonly child: ChildProcess, private readonly profile: string) {
    const output = child.stdio[4] as Readable;
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const message = JSON.parse(this.buffer.slice(0, end)) as { id?: number; result?: unknown; error?: { message: string } };
        this.buffer = this.buffer.slice(end + 1);
        const waiter = message.id !== undefined ? this.pending.get(message.id) : undefined;
        if (!waiter) continue;
        this.pending.delete(message.id!);
        if (message.error) waiter.reject(new Error(message.error.message));
        else waiter.resolve(message.result);
      }
    });
  }

  static launch(binary: string): Chromium {
    const profile = mkdtempSync(path.join(os.tmpdir(), 'class-it-chromium-'));
    const child = spawn(binary, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage',
      '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank'],
      // Its own process group, so close() can end the renderer and utility processes too.
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'], detached: true });
    return new Chromium(child, profile);
  }

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++;
    const message = JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) });
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      (this.child.stdio[3] as Writable).write(message + '\0');
    });
  }

  async open(url: string): Promise<Page> {
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url });
    const { sessionId } = await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    return new Page(this, sessionId);
  }

  /**
   * Close the browser the way a user would (Browser.close), so its helper processes stop writing the profile, then
   * end whatever is left of its process group and remove the profile. Killing only the main process left helpers
   * writing the disk cache while the profile was being removed (ENOTEMPTY in CI).
   */
  async close(): Promise<void> {
    const exited = this.child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => this.child.once('exit', resolve));
    void this.send('Browser.close').catch(() => undefined);
    const closedInTime = await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 10_000))]);
    try { process.kill(-this.child.pid!, closedInTime ? 'SIGTERM' : 'SIGKILL'); } catch { /* the group is gone already */ }
    await exited;
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}

export class Page {
  constructor(private readonly browser: Chromium, private readonly sessionId: string) {}

  /** The value of a JavaScript expression in the page (promises awaited). */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.browser.send<{ result: { value: T }; exceptionDetails?: { text: string } }>(
      'Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, this.sessionId);
    if (exceptionDetails) throw new Error(`page: ${exceptionDetails.text}`);
    return result.value;
  }

  /** Type into the focused element, as a user would. */
  async type(text: string): Promise<void> {
    await this.browser.send('Input.insertText', { text }, this.sessionId);
  }

  async pressEnter(): Promise<void> {
    const key = { key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13, nativeVirtualKeyCode: 13 };
    await this.browser.send('Input.dispatchKeyEvent', { type: 'keyDown', ...key, text: '\r' }, this.sessionId);
    await this.browser.send('Input.dispatchKeyEvent', { type: 'keyUp', ...key }, this.sessionId);
  }

  /** Poll `expression` until it is truthy (every 25 ms), returning every value seen. */
  async until<T>(expression: string, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T[]> {
    const seen: T[] = [];
    const start = Date.now();
    for (;;) {
      const value = await this.evaluate<T>(expression);
      seen.push(value);
      if (done(value)) return seen;
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting on ${expression}; last value ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
