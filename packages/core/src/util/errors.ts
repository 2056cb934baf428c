/** Errors that name where bad input is: file, line (1-based) and field. */

export interface Location {
  file?: string;
  line?: number;
  field?: string;
}

export class ClassItError extends Error {
  constructor(message: string, readonly location: Location = {}, options?: { cause?: unknown }) {
    super(formatLocation(location) + message, options);
    this.name = 'ClassItError';
  }
}

/** Bad data in an input file (a row, a field, a JSON line). */
export class DataError extends ClassItError {
  constructor(message: string, location: Location, options?: { cause?: unknown }) {
    super(message, location, options);
    this.name = 'DataError';
  }
}

/** An experiment or settings file that does not match its schema. */
export class ConfigError extends ClassItError {
  constructor(message: string, location: Location = {}) {
    super(message, location);
    this.name = 'ConfigError';
  }
}

export function formatLocation({ file, line, field }: Location): string {
  const parts: string[] = [];
  if (file) parts.push(line !== undefined ? `${file}:${line}` : file);
  else if (line !== undefined) parts.push(`line ${line}`);
  if (field) parts.push(`field '${field}'`);
  return parts.length ? parts.join(', ') + ': ' : '';
}
