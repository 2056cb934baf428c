export * from './evaluator.js';
export * from './items.js';
export * from './zip-source.js';
