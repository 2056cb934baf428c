/**
 * EWoK items (spec §4, reference `decode_ewok`): candidate i is `Context1 + " " + Target_i` with completion
 * `" " + Target_i` (only the target is scored, given Context1). Each line — the original and its swapped copy —
 * is its own item. UID = Domain; also tallied: context_type, context_contrast, target_contrast.
 */
import { requireString, type JsonlRow, type RankingItem } from '@class-it/eval-zeroshot-shared';

export function ewokItem(row: JsonlRow, file: string, fullSentenceScores = false): RankingItem {
  const get = (field: string) => requireString(row, field, file);
  const domain = get('Domain');
  const context1 = get('Context1');
  get('Context2');
  const target1 = get('Target1');
  const target2 = get('Target2');
  const sentences = [`${context1} ${target1}`, `${context1} ${target2}`];
  return {
    uid: domain,
    sentences,
    completions: fullSentenceScores ? [...sentences] : [` ${target1}`, ` ${target2}`],
    metadata: [
      ['UID', domain],
      ['context_type', get('ContextType')],
      ['context_contrast', get('ContextDiff')],
      ['target_contrast', get('TargetDiff')],
    ],
  };
}
