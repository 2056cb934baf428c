export * from './config.js';
export * from './model.js';
export * from './architecture.js';
