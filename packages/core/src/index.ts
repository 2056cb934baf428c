import 'reflect-metadata';

export * from './contracts/index.js';
export * from './plugins/define.js';
export * from './plugins/discovery.js';
export * from './plugins/registry.js';
export * from './util/errors.js';
export * from './util/atomic.js';
export * from './util/jsonl.js';
export { CORE_VERSION } from './version.js';
