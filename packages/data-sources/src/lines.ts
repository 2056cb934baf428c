/**
 * Text files read line by line, streamed. Every line is decoded strictly as UTF-8: invalid bytes make that line
 * an error naming file, line and byte, never U+FFFD. A line longer than `maxLineBytes` is an error for that line
 * and is skipped without ever being held in memory, so a 200 MB line costs one read buffer, not 200 MB. What a
 * bad line means is the caller's choice: a bad row under a dataset's policy, or a fatal error.
 */
import { promises as fs } from 'node:fs';
import { DataError } from '@class-it/core';

/** Longest line (in bytes) read by default: 16 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

const READ_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** One line of a file (1-based `line`): its text, or the error that makes it unreadable. */
export type TextLine =
  | { line: number; bytes: number; text: string; error?: undefined }
  | { line: number; bytes: number; text?: undefined; error: DataError };

export interface TextLineOptions {
  /** Lines longer than this many bytes are errors (default 16 MiB). */
  maxLineBytes?: number;
  /** Bytes read at a time (tests use small values to cross buffer boundaries). */
  readBytes?: number;
}

/** Every line of `file` (blank ones included, so line numbers stay exact), in batches of one read buffer. */
export async function* readTextLineBatches(file: string, options: TextLineOptions = {}): AsyncGenerator<TextLine[]> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const readBytes = options.readBytes ?? READ_BYTES;
  const handle = await openForReading(file);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lineNumber = 1;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let atFileStart = true;

  const finish = (tail: Buffer): TextLine => {
    const total = pendingBytes + tail.length;
    const line = lineNumber++;
    let bytes = pendingBytes > 0 ? Buffer.concat([...pending, tail]) : tail;
    pending = [];
    pendingBytes = 0;
    if (total > maxLineBytes) {
      return { line, bytes: total, error: new DataError(`line of ${total} bytes is longer than the limit of ${maxLineBytes} bytes (setting maxLineBytes)`, { file, line }) };
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN) bytes = bytes.subarray(0, bytes.length - 1);
    try {
      return { line, bytes: total, text: decoder.decode(bytes) };
    } catch {
      return { line, bytes: total, error: new DataError(`invalid UTF-8 at byte ${invalidUtf8Offset(bytes) + 1} of the line`, { file, line }) };
    }
  };

  try {
    for (;;) {
      let chunk = Buffer.allocUnsafe(readBytes);
      const { bytesRead } = await readChunk(handle, chunk, file);
      if (bytesRead === 0) break;
      chunk = chunk.subarray(0, bytesRead);
      if (atFileStart) {
        atFileStart = false;
        if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3); // byte-order mark
      }
      const batch: TextLine[] = [];
      let start = 0;
      for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
        batch.push(finish(chunk.subarray(start, nl)));
        start = nl + 1;
      }
      const rest = chunk.subarray(start);
      if (rest.length > 0) {
        // Keep the start of an unfinished line only while it can still be short enough to read.
        if (pendingBytes + rest.length <= maxLineBytes) pending.push(rest);
        else pending = [];
        pendingBytes += rest.length;
      }
      if (batch.length > 0) yield batch;
    }
    if (pendingBytes > 0) yield [finish(Buffer.alloc(0))];
  } finally {
    await handle.close();
  }
}

/** Every line of `file`, one at a time (see `readTextLineBatches`). */
export async function* readTextLines(file: string, options: TextLineOptions = {}): AsyncGenerator<TextLine> {
  for await (const batch of readTextLineBatches(file, options)) yield* batch;
}

/** A whole text file, decoded strictly as UTF-8: invalid bytes are a DataError naming the file and line. */
export async function readText(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw fileError(err, file);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes); // a byte-order mark is dropped
  } catch {
    const offset = invalidUtf8Offset(bytes);
    const lineStart = offset === 0 ? 0 : bytes.lastIndexOf(NEWLINE, offset - 1) + 1;
    let line = 1;
    for (let i = bytes.indexOf(NEWLINE); i !== -1 && i < offset; i = bytes.indexOf(NEWLINE, i + 1)) line++;
    throw new DataError(`invalid UTF-8 at byte ${offset - lineStart + 1} of the line`, { file, line });
  }
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence, or -1 (Unicode table 3-7). */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    const extra = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (extra < 0) return i;
    for (let k = 1; k <= extra; k++) {
      const c = bytes[i + k];
      // The second byte's range excludes overlong forms, surrogates and code points above U+10FFFF.
      const low = k > 1 ? 0x80 : b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
      const high = k > 1 ? 0xbf : b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
      if (c === undefined || c < low || c > high) return i;
    }
    i += extra + 1;
  }
  return -1;
}

/** A DataError for a file that cannot be opened or read: missing, a directory, no permission. */
export function fileError(err: unknown, file: string): DataError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'file not found'
    : code === 'EISDIR' ? 'is a directory, not a file'
    : code === 'EACCES' ? 'permission denied'
    : `cannot read file (${code ?? (err as Error).message})`;
  return new DataError(reason, { file }, { cause: err });
}

async function openForReading(file: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(file, 'r');
  } catch (err) {
    throw fileError(err, file);
  }
}

async function readChunk(handle: fs.FileHandle, chunk: Buffer, file: string): Promise<{ bytesRead: number }> {
  try {
    return await handle.read(chunk, 0, chunk.length, null);
  } catch (err) {
    throw fileError(err, file);
  }
}
