/** The CLASS-IT `simple_wiki` config (HF `colinglab/CLASS_IT`): QA pairs grounded in Simple English Wikipedia. */
import { CLASS_IT_COLUMNS, CLASS_IT_HUB_REPO, RowDataset, classItRowToExample } from '@class-it/data-sources';

export const SIMPLE_WIKI_HUB = `hf://datasets/${CLASS_IT_HUB_REPO}/simple_wiki`;

export function createSimpleWikiDataset(): RowDataset<Record<string, never>> {
  return new RowDataset({
    name: 'simple_wiki',
    description: `CLASS-IT question-answer pairs (prompt, reply) from Simple English Wikipedia; default source ${SIMPLE_WIKI_HUB}`,
    defaultSource: { hub: SIMPLE_WIKI_HUB },
    columns: CLASS_IT_COLUMNS,
    toExamples: classItRowToExample,
  });
}
