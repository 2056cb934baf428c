export * from './causal-lm.js';
export * from './engine/index.js';
