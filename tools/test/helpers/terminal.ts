/**
 * An interactive command in a pseudo-terminal, through util-linux `script` (`script -q -e -c CMD /dev/null`): the
 * command sees a TTY (readline in terminal mode, Ctrl-C as SIGINT); the test writes keystrokes and reads the screen
 * text with ANSI escapes removed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** CSI escape sequences (cursor moves, erases) that readline writes around its prompt. */
const ANSI_ESCAPE = new RegExp(String.fromCharCode(27) + '\\[[0-9;?]*[A-Za-z]', 'g');

export function hasScript(): boolean {
  return spawnSync('sh', ['-c', 'command -v script']).status === 0;
}

export class Terminal {
  private raw = '';
  /** Arrival times of output chunks and the screen length after each. */
  readonly chunks: Array<{ at: number; length: number }> = [];
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(command: string, options: { cwd?: string } = {}) {
    this.child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const collect = (data: Buffer) => {
      this.raw += data.toString('utf8');
      this.chunks.push({ at: Date.now(), length: this.screen.length });
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => this.child.on('exit', resolve));
  }

  /** Everything shown so far, without terminal escape sequences. */
  get screen(): string {
    return this.raw.replace(ANSI_ESCAPE, '');
  }

  /** Type a line (Enter is a carriage return on a terminal). */
  type(text: string): void {
    this.child.stdin!.write(text + '\r');
  }

  /** Wait until the screen after `from` matches `pattern`. */
  async waitFor(pattern: RegExp, from = 0, timeoutMs = 120_000): Promise<string> {
    const start = Date.now();
    for (;;) {
      const tail = this.screen.slice(from);
      if (pattern.test(tail)) return tail;
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${pattern}; screen:\n${this.screen}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  kill(): void {
    this.child.kill();
  }
}
