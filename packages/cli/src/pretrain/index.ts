export * from './corpus.js';
export * from './sequences.js';
export * from './pretrain.js';
export * from './settings.js';
