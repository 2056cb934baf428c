/** The CLASS-IT `switchboard` config (HF `colinglab/CLASS_IT`): parquet rows with prompt, reply, source, text. */
import { CLASS_IT_COLUMNS, CLASS_IT_HUB_REPO, RowDataset, classItRowToExample } from '@class-it/data-sources';

export const SWITCHBOARD_HUB = `hf://datasets/${CLASS_IT_HUB_REPO}/switchboard`;

export function createSwitchboardDataset(): RowDataset<Record<string, never>> {
  return new RowDataset({
    name: 'switchboard',
    description: `CLASS-IT conversational pairs (prompt, reply) from Switchboard; default source ${SWITCHBOARD_HUB}`,
    defaultSource: { hub: SWITCHBOARD_HUB },
    columns: CLASS_IT_COLUMNS,
    toExamples: classItRowToExample,
  });
}
