export * from './words.js';
export * from './milestones.js';
export * from './ledger.js';
