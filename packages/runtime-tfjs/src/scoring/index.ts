export * from './causal-rule.js';
export * from './batch-scorer.js';
export * from './scorer.js';
