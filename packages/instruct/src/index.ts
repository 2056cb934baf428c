export * from './formatting/index.js';
export * from './curricula/index.js';
export * from './ledger/index.js';
export * from './template-choice.js';
export * from './chat-prompt.js';
