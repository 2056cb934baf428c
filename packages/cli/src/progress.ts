/**
 * A progress bar on stderr, drawn only when stderr is a TTY (CI logs stay clean); otherwise silent, except
 * an optional line every `logEverySeconds`.
 */
export interface ProgressOptions {
  label: string;
  total: number;
  stream?: NodeJS.WriteStream;
  /** When not a TTY, print a plain progress line at most this often (0 = never). */
  logEverySeconds?: number;
}

export class ProgressBar {
  private done = 0;
  private readonly start = Date.now();
  private lastDraw = 0;
  private lastLog = Date.now();
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private note = '';

  private total: number;

  constructor(private readonly options: ProgressOptions) {
    this.total = options.total;
    this.stream = options.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY) && process.env.CI !== 'true';
  }

  update(done: number, note?: string, total?: number): void {
    this.done = done;
    if (total !== undefined) this.total = total;
    if (note !== undefined) this.note = note;
    const now = Date.now();
    if (this.tty) {
      if (now - this.lastDraw < 100 && done < this.total) return;
      this.lastDraw = now;
      this.stream.write(`\r${this.render()}\x1b[K`);
    } else if (this.options.logEverySeconds && now - this.lastLog >= this.options.logEverySeconds * 1000) {
      this.lastLog = now;
      this.stream.write(this.render() + '\n');
    }
  }

  finish(): void {
    if (this.tty) this.stream.write(`\r${this.render()}\x1b[K\n`);
  }

  render(): string {
    const { label } = this.options;
    const total = this.total;
    const frac = total > 0 ? Math.min(1, this.done / total) : 0;
    const width = 24;
    const filled = Math.round(frac * width);
    const elapsed = (Date.now() - this.start) / 1000;
    const eta = frac > 0 && frac < 1 ? elapsed / frac - elapsed : 0;
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    return `${label} [${bar}] ${this.done}/${total} ${(frac * 100).toFixed(0)}% ${fmt(elapsed)}${eta ? ` eta ${fmt(eta)}` : ''}${this.note ? ` ${this.note}` : ''}`;
  }
}

function fmt(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
