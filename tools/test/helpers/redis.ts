/**
 * A real Redis server for a test: `redis-server` (Debian's package; `.ci/run` installs it) on 127.0.0.1 and a free
 * port, with no persistence, in a temporary directory; `stop()` ends it and removes the directory. Tests never mock
 * Redis: without the binary they skip, and say so.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The redis-server binary on PATH, or undefined. */
export function findRedisServer(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** Print why the tests that need Redis did not run (they are then `it.skip`ped). */
export function warnRedisMissing(what: string): void {
  console.warn(`SKIPPED: ${what}: redis-server is not installed (apt-get install redis-server; .ci/run installs it)`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.write('PING\r\n');
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
    });
    socket.once('error', () => resolve(false));
  });
}

export class RedisServer {
  private constructor(private readonly child: ChildProcess, readonly port: number, private readonly dir: string, private readonly output: () => string) {}

  /** `redis://127.0.0.1:<port>/<db>` */
  url(db = 0): string {
    return `redis://127.0.0.1:${this.port}/${db}`;
  }

  static async start(binary: string): Promise<RedisServer> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'class-it-redis-'));
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      let exitedEarly = false;
      void exited.then(() => (exitedEarly = true));
      const end = Date.now() + 10_000;
      while (Date.now() < end && !exitedEarly && !(await accepts(port))) await new Promise((r) => setTimeout(r, 50));
      if (!exitedEarly && (await accepts(port))) return new RedisServer(child, port, dir, () => output);
      child.kill('SIGKILL');
      await exited;
      // Another process took the port between our look and redis' bind: try another one.
      if (attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`redis-server did not start on 127.0.0.1:${port}:\n${output}`);
      }
    }
  }

  /** What the server printed (for failure messages). */
  get log(): string {
    return this.output();
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
