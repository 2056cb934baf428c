/**
 * The text of one generated sequence as it grows: what may be streamed so far, and where a stop string cuts it.
 * Text is always the decode of all generated ids (so multi-byte characters and tokenizer decoders such as
 * SentencePiece's leading-space strip come out as in a one-shot decode). What is streamed holds back a trailing
 * partial character (U+FFFD) and any tail that could still become a stop string; `finish` releases the rest.
 */
export class StreamingText {
  private emitted = '';
  private finalText: string | undefined;
  private readonly longestStop: number;

  constructor(private readonly decode: (ids: number[]) => string, private readonly stops: readonly string[]) {
    this.longestStop = stops.reduce((n, s) => Math.max(n, s.length), 0);
  }

  /** The text after `ids` (all generated ids so far): the new streamable part, and whether a stop string ended it. */
  update(ids: number[]): { delta: string; stopped: boolean } {
    const full = this.decode(ids);
    const stopAt = this.firstStop(full);
    if (stopAt !== undefined) {
      this.finalText = full.slice(0, stopAt);
      return { delta: this.release(this.finalText), stopped: true };
    }
    let safe = full.length;
    while (safe > 0 && full[safe - 1] === '\ufffd') safe--;
    safe -= this.possibleStopTail(full.slice(0, safe));
    return { delta: this.release(full.slice(0, safe)), stopped: false };
  }

  /** The final text (cut before a stop string when one was found) and what was not yet streamed of it. */
  finish(ids: number[]): { text: string; delta: string } {
    const text = this.finalText ?? this.decode(ids);
    return { text, delta: this.release(text) };
  }

  /** The part of `upTo` past what was already streamed (nothing when the decode changed what came before). */
  private release(upTo: string): string {
    if (upTo.length <= this.emitted.length || !upTo.startsWith(this.emitted)) return '';
    const delta = upTo.slice(this.emitted.length);
    this.emitted = upTo;
    return delta;
  }

  private firstStop(text: string): number | undefined {
    let best: number | undefined;
    const from = Math.max(0, this.emitted.length - this.longestStop);
    for (const stop of this.stops) {
      const at = text.indexOf(stop, from);
      if (at >= 0 && (best === undefined || at < best)) best = at;
    }
    return best;
  }

  /** Length of the longest end of `text` that is a proper prefix of a stop string. */
  private possibleStopTail(text: string): number {
    for (let n = Math.min(this.longestStop - 1, text.length); n > 0; n--) {
      const tail = text.slice(text.length - n);
      if (this.stops.some((s) => s.startsWith(tail))) return n;
    }
    return 0;
  }
}
