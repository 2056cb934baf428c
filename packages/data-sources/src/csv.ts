/**
 * CSV (RFC 4180): comma-separated, fields optionally double-quoted, `""` escapes a quote, quoted fields may hold
 * commas and newlines. The first record is the header. Each row remembers the line its record starts on.
 */
import { DataError } from '@class-it/core';

export interface CsvRow {
  /** 1-based line where the record starts. */
  line: number;
  value: Record<string, string>;
}

export function parseCsv(text: string, file: string, delimiter = ','): CsvRow[] {
  const records = splitRecords(text, file, delimiter);
  if (records.length === 0) throw new DataError('empty CSV file: expected a header line', { file, line: 1 });
  const header = records[0]!.fields;
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) throw new DataError(`duplicate column '${name}' in the header`, { file, line: records[0]!.line });
    seen.add(name);
  }
  const rows: CsvRow[] = [];
  for (const record of records.slice(1)) {
    if (record.fields.length === 1 && record.fields[0] === '') continue; // blank line
    if (record.fields.length !== header.length) {
      throw new DataError(`expected ${header.length} fields (${header.join(', ')}), found ${record.fields.length}`, { file, line: record.line });
    }
    const value: Record<string, string> = {};
    header.forEach((name, i) => (value[name] = record.fields[i]!));
    rows.push({ line: record.line, value });
  }
  return rows;
}

/** The records of a CSV text (header included), each with the 1-based line it starts on; blank lines are dropped. */
export function parseCsvRecords(text: string, file: string, delimiter = ','): CsvRecord[] {
  return splitRecords(text, file, delimiter).filter((r) => !(r.fields.length === 1 && r.fields[0] === ''));
}

export interface CsvRecord {
  line: number;
  fields: string[];
}

function splitRecords(text: string, file: string, delimiter: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let fieldWasQuoted = false;
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;
  const endField = () => {
    fields.push(field);
    field = '';
    fieldWasQuoted = false;
  };
  const endRecord = () => {
    endField();
    records.push({ line: recordLine, fields });
    fields = [];
  };
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // byte-order mark
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      if (field !== '' || fieldWasQuoted) throw new DataError('a quote inside an unquoted field (quote the whole field and double inner quotes)', { file, line });
      inQuotes = true;
      fieldWasQuoted = true;
      quoteLine = line;
    } else if (c === delimiter) {
      endField();
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      if (fieldWasQuoted) throw new DataError('text after a closing quote', { file, line });
      field += c;
    }
  }
  if (inQuotes) throw new DataError('unterminated quoted field', { file, line: quoteLine });
  if (field !== '' || fields.length > 0 || fieldWasQuoted) endRecord();
  return records;
}
