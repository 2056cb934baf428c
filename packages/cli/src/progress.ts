/**
 * A progress bar on stderr, drawn only when stderr is a TTY (CI logs stay clean); otherwise a plain progress line
 * every `logEverySeconds` (default 15). Log lines go through `log()`, which prints them above the bar.
 */
export interface ProgressOptions {
  label: string;
  total: number;
  stream?: NodeJS.WriteStream;
  /** When not a TTY, print a plain progress line at most this often (0 = never; default 15). */
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
  /** The bar is on the screen (a TTY line without its newline yet). */
  private drawn = false;

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
      this.drawn = true;
    } else if ((this.options.logEverySeconds ?? 15) > 0 && now - this.lastLog >= (this.options.logEverySeconds ?? 15) * 1000) {
      this.lastLog = now;
      this.stream.write(this.render() + '\n');
    }
  }

  /** A log line: on a TTY the bar is cleared, the line printed, and the bar drawn again below it. */
  log(line: string): void {
    if (this.tty && this.drawn) this.stream.write(`\r\x1b[K${line}\n${this.render()}\x1b[K`);
    else this.stream.write(`${line}\n`);
  }

  finish(): void {
    if (this.tty) this.stream.write(`\r${this.render()}\x1b[K\n`);
    this.drawn = false;
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
