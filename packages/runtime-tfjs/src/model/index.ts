export * from './language-model.js';
export * from './resize-embeddings.js';
