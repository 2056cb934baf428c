export * from './names.js';
export * from './render.js';
export * from './files.js';
export { main, writePlugin } from './cli.js';
