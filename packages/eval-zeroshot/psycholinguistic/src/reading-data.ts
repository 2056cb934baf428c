/**
 * The reading-time table (`reading_data.csv`, spec §8.1) with the NA semantics the reference gets from
 * `pd.read_csv(path, dtype={'item': str})` followed by `df['item'].fillna('None')`:
 * pandas' default NA strings (`''`, `'None'`, `'NA'`, `'nan'`, ...) become missing in every column; `item` is
 * then filled with the string "None" (one row's true context is the word "None"); `prev_item` is NOT filled,
 * so its empty and literal "None" cells are missing and that row's previous-word surprisal is NaN.
 */
import { DataError } from '@class-it/core';
import { parseCsvRecords } from '@class-it/data-sources';

/** pandas 2.2 `STR_NA_VALUES` (the default `na_values`). */
export const PANDAS_NA_STRINGS = new Set(['', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null']);

/** The predictors and the 11 measures (reference `variables` order). */
export const MEASURES = ['RTfirstfix', 'RTfirstpass', 'RTgopast', 'RTrightbound', 'self_paced_reading_time', 'ELAN', 'LAN', 'N400', 'P600', 'EPNP', 'PNP'] as const;
export const NUMERIC_COLUMNS = ['Subtlex_log10', 'length', 'context_length', 'prev_length', ...MEASURES] as const;
export type NumericColumn = (typeof NUMERIC_COLUMNS)[number];

export interface ReadingRow {
  /** Row position (pandas RangeIndex), the `id` in predictions.json. */
  index: number;
  /** CSV line, for errors. */
  line: number;
  /** Left context, no trailing space (NA → "None"). */
  item: string;
  /** Target word, no leading space. */
  word: string;
  /** Previous word's context, or null where pandas sees NA (then prev_pred is NaN). */
  prevItem: string | null;
  prevWord: string | null;
  values: Record<NumericColumn, number>;
}

function parseNumber(text: string): number {
  // Python/pandas float syntax: decimal or exponent notation, optional sign, inf/infinity.
  if (/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)$/.test(text)) return Number(text);
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  return NaN;
}

export function parseReadingCsv(text: string, file: string): ReadingRow[] {
  const records = parseCsvRecords(text, file);
  if (records.length === 0) throw new DataError('empty CSV file', { file });
  const header = records[0]!.fields;
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new DataError(`missing column '${name}' in the header`, { file, line: 1, field: name });
    return i;
  };
  const iItem = col('item');
  const iWord = col('word');
  const iPrevItem = col('prev_item');
  const iPrevWord = col('prev_word');
  const numericIdx = NUMERIC_COLUMNS.map((c) => [c, col(c)] as const);
  const isNa = (s: string) => PANDAS_NA_STRINGS.has(s);
  return records.slice(1).map((r, index) => {
    if (r.fields.length !== header.length) {
      throw new DataError(`expected ${header.length} fields, got ${r.fields.length}`, { file, line: r.line });
    }
    const f = r.fields;
    if (isNa(f[iWord]!)) throw new DataError('the target word is missing (or a pandas NA string)', { file, line: r.line, field: 'word' });
    const values = {} as Record<NumericColumn, number>;
    for (const [name, i] of numericIdx) {
      const raw = f[i]!;
      const v = isNa(raw) ? NaN : parseNumber(raw.trim());
      if (!isNa(raw) && Number.isNaN(v)) throw new DataError(`expected a number, got ${JSON.stringify(raw)}`, { file, line: r.line, field: name });
      values[name] = v;
    }
    const prevItem = isNa(f[iPrevItem]!) ? null : f[iPrevItem]!;
    const prevWord = isNa(f[iPrevWord]!) ? null : f[iPrevWord]!;
    if (prevItem !== null && prevWord === null) {
      throw new DataError('prev_item is set but prev_word is missing', { file, line: r.line, field: 'prev_word' });
    }
    return { index, line: r.line, item: isNa(f[iItem]!) ? 'None' : f[iItem]!, word: f[iWord]!, prevItem, prevWord, values };
  });
}
