export { countWords } from './words.js';
export * from './ledger.js';
