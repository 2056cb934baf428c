export * from './evaluator.js';
export * from './ols.js';
export * from './outputs.js';
export * from './reading-data.js';
export * from './regressions.js';
export * from './stats.js';
export * from './surprisal.js';
