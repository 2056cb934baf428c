export * from './chat-template.js';
export * from './render.js';
export * from './sequences.js';
export * from './bucketing.js';
export * from './stages.js';
export * from './schema.js';
