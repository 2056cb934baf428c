export * from './evaluator.js';
export * from './items.js';
