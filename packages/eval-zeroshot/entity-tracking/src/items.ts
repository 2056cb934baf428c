/**
 * Entity-tracking items (spec §5, reference `decode_entity_tracking`): candidate i is `input_prefix + options[i]`
 * (plain concatenation; the prefix already ends with a space), completion `options[i]`, options[0] correct.
 * UID = `<file stem>_<numops>_ops`.
 */
import { requireInteger, requireString, requireStringArray, type JsonlRow, type RankingItem } from '@class-it/eval-zeroshot-shared';

export function entityTrackingItem(row: JsonlRow, file: string, fileStem: string): RankingItem {
  const prefix = requireString(row, 'input_prefix', file);
  const options = requireStringArray(row, 'options', file, 2);
  const numops = requireInteger(row, 'numops', file);
  const uid = `${fileStem}_${numops}_ops`;
  return {
    uid,
    sentences: options.map((o) => prefix + o),
    completions: [...options],
    metadata: [['UID', uid]],
  };
}
