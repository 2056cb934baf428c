export * from './synthetic-run.js';
