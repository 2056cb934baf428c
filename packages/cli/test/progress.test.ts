/** The progress bar in both modes: a bar that log lines never break on a terminal, plain periodic lines otherwise. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProgressBar } from '../src/progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream };
}

describe('ProgressBar', () => {
  const ci = process.env.CI;
  afterEach(() => {
    vi.useRealTimers();
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
  });

  it('on a terminal prints a log line above the bar and draws the bar again below it', () => {
    delete process.env.CI;
    const { writes, stream } = fakeStream(true);
    const bar = new ProgressBar({ label: 'blimp', total: 10, stream });
    bar.update(3);
    bar.log('blimp: scoring 10 items');
    const last = writes.at(-1)!;
    // clear the bar's line, the log line with its own newline, then the bar again (no newline: it keeps updating)
    const CLEAR_LINE = '\r\u001b[K';
    expect(last.startsWith(`${CLEAR_LINE}blimp: scoring 10 items\n`)).toBe(true);
    expect(last.slice(CLEAR_LINE.length)).toMatch(/^blimp: scoring 10 items\nblimp \[#+-+\] 3\/10 30%/);
    expect(last.endsWith('\n')).toBe(false);
    bar.finish();
    expect(writes.at(-1)).toMatch(/3\/10 30%.*\n$/);
  });

  it('when not a terminal prints a plain line every 15 s by default, and log lines as they come', () => {
    vi.useFakeTimers();
    const { writes, stream } = fakeStream(false);
    const bar = new ProgressBar({ label: 'blimp', total: 100, stream });
    bar.update(10);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(15_000);
    bar.update(40);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^blimp \[#+-+\] 40\/100 40% .*\n$/);
    expect(writes[0]).not.toContain('\r');
    bar.log('a log line');
    expect(writes.at(-1)).toBe('a log line\n');
    bar.update(50);
    expect(writes).toHaveLength(2);
  });

  it('prints no periodic lines when asked for none', () => {
    vi.useFakeTimers();
    const { writes, stream } = fakeStream(false);
    const bar = new ProgressBar({ label: 'run', total: 4, stream, logEverySeconds: 0 });
    vi.advanceTimersByTime(60_000);
    bar.update(2);
    expect(writes).toEqual([]);
  });
});
