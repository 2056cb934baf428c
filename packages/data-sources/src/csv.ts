/**
 * CSV (RFC 4180): comma-separated, fields optionally double-quoted, `""` escapes a quote, quoted fields may hold
 * commas and newlines. The first record is the header. Each row remembers the line its record starts on.
 * Files are streamed line by line (lines.ts); a malformed record is a bad row of its own, and splitting starts
 * over at the next line, so one broken record never costs the rest of the file unless its quote never closes.
 */
import { DataError } from '@class-it/core';
import { DEFAULT_MAX_LINE_BYTES, readTextLines, type TextLineOptions } from './lines.js';

export interface CsvRow {
  /** 1-based line where the record starts. */
  line: number;
  value: Record<string, string>;
}

export interface CsvRecord {
  line: number;
  fields: string[];
}

/** A record as split from the text, or the error that makes it a bad row (naming its file and line). */
export type CsvRecordResult = (CsvRecord & { error?: undefined }) | { line: number; fields?: undefined; error: DataError };

/** A row of a CSV file, or the error that makes it a bad row. */
export type CsvRowResult = (CsvRow & { error?: undefined }) | { line: number; value?: undefined; error: DataError };

/** The rows of a CSV text; the first malformed record throws. */
export function parseCsv(text: string, file: string, delimiter = ','): CsvRow[] {
  const records = parseCsvRecords(text, file, delimiter);
  if (records.length === 0) throw new DataError('empty CSV file: expected a header line', { file, line: 1 });
  const header = csvHeader(records[0]!, file);
  return records.slice(1).map((r) => ({ line: r.line, value: csvRowValue(header, r, file) }));
}

/** The records of a CSV text (header included), each with the 1-based line it starts on; blank lines are dropped. */
export function parseCsvRecords(text: string, file: string, delimiter = ','): CsvRecord[] {
  const records: CsvRecord[] = [];
  const take = (r: CsvRecordResult | undefined) => {
    if (r?.error) throw r.error;
    if (r && !isBlank(r)) records.push(r);
  };
  const splitter = new CsvRecordSplitter(file, delimiter, Number.POSITIVE_INFINITY);
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => take(splitter.push(raw.replace(/\r$/, ''), i + 1)));
  take(splitter.end());
  return records;
}

/**
 * The rows of a CSV (or TSV) file, streamed. A bad header throws (nothing can be read without it); a bad record
 * (malformed quotes, wrong field count, invalid UTF-8, too long) is yielded with its error for the caller's policy.
 */
export async function* readCsvRows(file: string, options: TextLineOptions & { delimiter?: string } = {}): AsyncGenerator<CsvRowResult> {
  const splitter = new CsvRecordSplitter(file, options.delimiter ?? ',', options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  let header: string[] | undefined;
  const row = (r: CsvRecordResult): CsvRowResult | undefined => {
    if (!r.error && isBlank(r)) return undefined;
    if (!header) {
      if (r.error) throw r.error;
      header = csvHeader(r, file);
      return undefined;
    }
    if (r.error) return r;
    try {
      return { line: r.line, value: csvRowValue(header, r, file) };
    } catch (err) {
      if (err instanceof DataError) return { line: r.line, error: err };
      throw err;
    }
  };
  for await (const l of readTextLines(file, options)) {
    const record = l.error ? splitter.badLine(l.error, l.line) : splitter.push(l.text, l.line, l.bytes);
    const out = record && row(record);
    if (out) yield out;
  }
  const last = splitter.end();
  const out = last && row(last);
  if (out) yield out;
  if (!header) throw new DataError('empty CSV file: expected a header line', { file, line: 1 });
}

function isBlank(r: CsvRecord): boolean {
  return r.fields.length === 1 && r.fields[0] === '';
}

/** The column names of a header record (no duplicates). */
function csvHeader(record: CsvRecord, file: string): string[] {
  const seen = new Set<string>();
  for (const name of record.fields) {
    if (seen.has(name)) throw new DataError(`duplicate column '${name}' in the header`, { file, line: record.line });
    seen.add(name);
  }
  return record.fields;
}

function csvRowValue(header: string[], record: CsvRecord, file: string): Record<string, string> {
  if (record.fields.length !== header.length) {
    throw new DataError(`expected ${header.length} fields (${header.join(', ')}), found ${record.fields.length}`, { file, line: record.line });
  }
  const value: Record<string, string> = {};
  header.forEach((name, i) => (value[name] = record.fields[i]!));
  return value;
}

/**
 * Splits CSV records out of a file's lines (fed one at a time, without their newline). A record ends at the end
 * of a line outside quotes. A structural error spoils its record, which then ends at the end of that line.
 */
export class CsvRecordSplitter {
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  private fieldWasQuoted = false;
  private recordLine = 1;
  private quoteLine = 1;
  private recordBytes = 0;
  private error: DataError | undefined;

  constructor(private readonly file: string, private readonly delimiter = ',', private readonly maxRecordBytes = DEFAULT_MAX_LINE_BYTES) {}

  /** Feed one line; returns the record it completes, if any. `bytes` is the line's length in the file. */
  push(text: string, line: number, bytes = text.length): CsvRecordResult | undefined {
    if (this.inQuotes) {
      if (!this.error) this.field += '\n';
    } else {
      this.recordLine = line;
      this.recordBytes = 0;
    }
    this.recordBytes += bytes + 1;
    if (this.recordBytes > this.maxRecordBytes && !this.error) {
      this.error = new DataError(`a quoted record longer than the limit of ${this.maxRecordBytes} bytes (setting maxLineBytes)`, { file: this.file, line: this.recordLine });
    }
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (this.inQuotes) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            if (!this.error) this.field += '"';
            i++;
          } else {
            this.inQuotes = false;
          }
        } else if (!this.error) {
          this.field += c;
        }
        continue;
      }
      if (this.error) break; // a spoilt record ends with this line
      if (c === '"') {
        if (this.field !== '' || this.fieldWasQuoted) {
          this.error = new DataError('a quote inside an unquoted field (quote the whole field and double inner quotes)', { file: this.file, line });
          break;
        }
        this.inQuotes = true;
        this.fieldWasQuoted = true;
        this.quoteLine = line;
      } else if (c === this.delimiter) {
        this.endField();
      } else if (this.fieldWasQuoted) {
        this.error = new DataError('text after a closing quote', { file: this.file, line });
        break;
      } else {
        this.field += c;
      }
    }
    if (this.inQuotes) return undefined; // the quoted field goes on on the next line
    return this.endRecord();
  }

  /** A line that could not be read (invalid UTF-8, too long) spoils the record it belongs to. */
  badLine(error: DataError, line: number): CsvRecordResult {
    const recordLine = this.inQuotes ? this.recordLine : line;
    this.reset();
    return { line: recordLine, error };
  }

  /** The end of the text: a quoted field still open is a bad record. */
  end(): CsvRecordResult | undefined {
    if (this.inQuotes) {
      const error = this.error ?? new DataError('unterminated quoted field', { file: this.file, line: this.quoteLine });
      const line = this.recordLine;
      this.reset();
      return { line, error };
    }
    return undefined;
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.fieldWasQuoted = false;
  }

  private endRecord(): CsvRecordResult {
    const line = this.recordLine;
    const error = this.error;
    this.endField();
    const fields = this.fields;
    this.reset();
    return error ? { line, error } : { line, fields };
  }

  private reset(): void {
    this.fields = [];
    this.field = '';
    this.inQuotes = false;
    this.fieldWasQuoted = false;
    this.recordBytes = 0;
    this.error = undefined;
  }
}
