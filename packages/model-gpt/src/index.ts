export * from './config.js';
export * from './weights.js';
export * from './model.js';
export * from './architecture.js';
