export * from './language-model.js';
export * from './resize-embeddings.js';
export * from './attention-bias.js';
