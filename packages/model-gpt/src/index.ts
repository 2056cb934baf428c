export * from './config.js';
export * from './weights.js';
export * from './model.js';
