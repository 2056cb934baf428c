export * from './schema.js';
export * from './data.js';
export * from './job.js';
