import 'reflect-metadata';

// Contracts and injection tokens
export * from './contracts/index.js';
// Plugin kernel
export * from './plugins/define.js';
export * from './plugins/discovery.js';
export * from './plugins/known.js';
export * from './plugins/registry.js';
export * from './plugins/settings.js';
// Errors and small utilities
export * from './util/errors.js';
export * from './util/atomic.js';
export * from './util/random.js';
export * from './util/seed-streams.js';
export * from './util/python-format.js';
export * from './milestones.js';
export { CORE_VERSION } from './version.js';
export * from './util/json.js';
