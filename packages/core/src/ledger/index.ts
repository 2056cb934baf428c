// `countWords` is also exported by pretrain/corpus.ts; the ledger's (Python str.split() whitespace) is exported
// under a distinct name to avoid the clash.
export { countWords as countWhitespaceWords } from './words.js';
export * from './milestones.js';
export * from './ledger.js';
