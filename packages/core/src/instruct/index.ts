export * from './schema.js';
export * from './template-choice.js';
export * from './job.js';
