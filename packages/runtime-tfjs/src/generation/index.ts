export * from './kv-cache.js';
export * from './sampling.js';
export * from './stop-text.js';
export * from './generation-config.js';
export * from './generate.js';
