export * from './char-bigram-model.js';
export * from './fake-context.js';
export * from './eval-data.js';
export * from './python-reference.js';
