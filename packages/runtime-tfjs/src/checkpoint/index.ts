export * from './checkpoint-dir.js';
