/**
 * WUG items (spec §6, reference `decode_wug_tasks`): `sentences` holds the candidate sentences joined by TAB;
 * each candidate is scored whole. `ratio` (human preference for the first candidate) is read as Python's
 * `float(...)` does, so a numeric string is accepted too.
 */
import { DataError, typeOf } from '@class-it/core';
import { requireString, type JsonlRow } from '@class-it/eval-zeroshot-shared';

export interface WugItem {
  candidates: string[];
  ratio: number;
}

export function wugItem(row: JsonlRow, file: string): WugItem {
  const candidates = requireString(row, 'sentences', file).split('\t');
  if (candidates.length < 2) throw new DataError('expected at least 2 TAB-separated candidate sentences', { file, line: row.line, field: 'sentences' });
  const raw = row.value.ratio;
  const ratio = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(ratio)) {
    throw new DataError(raw === undefined ? 'missing field' : `expected a number, got ${typeOf(raw)} ${JSON.stringify(raw)}`, { file, line: row.line, field: 'ratio' });
  }
  return { candidates, ratio };
}
