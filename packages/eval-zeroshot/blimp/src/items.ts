/**
 * BLiMP and BLiMP-supplement items (spec §3, reference `decode_blimp`): both sentences are scored whole
 * (completion = sentence), `sentence_good` is candidate 0. A line with a `field` key is a BLiMP line
 * (field, UID, linguistics_term from the line; `syntax_semantics` renamed `syntax/semantics`); any other line
 * is a supplement line (UID = file stem, field = linguistics_term = `supplement`).
 */
import { requireString, type JsonlRow, type RankingItem } from '@class-it/eval-zeroshot-shared';

export function blimpItem(row: JsonlRow, file: string, fileStem: string): RankingItem {
  const good = requireString(row, 'sentence_good', file);
  const bad = requireString(row, 'sentence_bad', file);
  let field = 'supplement';
  let uid = fileStem;
  let term = 'supplement';
  if ('field' in row.value) {
    field = requireString(row, 'field', file);
    uid = requireString(row, 'UID', file);
    term = requireString(row, 'linguistics_term', file);
    if (field === 'syntax_semantics') field = 'syntax/semantics';
  }
  return {
    uid,
    sentences: [good, bad],
    completions: [good, bad],
    metadata: [['field', field], ['UID', uid], ['linguistics_term', term]],
  };
}
