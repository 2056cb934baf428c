/**
 * A small RFC-4180 CSV reader: comma-separated, `"`-quoted fields with `""` escapes, quoted newlines,
 * LF or CRLF line ends. Every record remembers the (1-based) line it starts on, for error messages.
 */
import { DataError } from '@class-it/core';

export interface CsvRecord {
  line: number;
  fields: string[];
  /** Whether each field was quoted (pandas treats quoted and bare NA strings alike; kept for callers). */
  quoted: boolean[];
}

export function parseCsv(text: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let quoted: boolean[] = [];
  let field = '';
  let fieldQuoted = false;
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // BOM
  const endField = () => {
    fields.push(field);
    quoted.push(fieldQuoted);
    field = '';
    fieldQuoted = false;
  };
  const endRecord = () => {
    endField();
    if (!(fields.length === 1 && fields[0] === '' && !quoted[0])) records.push({ line: recordLine, fields, quoted });
    fields = [];
    quoted = [];
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"') {
      if (field !== '') throw new DataError('a quote inside an unquoted field', { file, line });
      inQuotes = true;
      fieldQuoted = true;
    } else if (ch === ',') endField();
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      if (fieldQuoted) throw new DataError('text after a closing quote', { file, line });
      field += ch;
    }
  }
  if (inQuotes) throw new DataError('unterminated quoted field', { file, line: recordLine });
  if (field !== '' || fields.length > 0 || fieldQuoted) endRecord();
  return records;
}
