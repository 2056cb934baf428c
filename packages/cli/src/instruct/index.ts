export * from './schema.js';
export * from './job.js';
