export * from './simple-wiki.js';
export * from './alpaca.js';
export * from './squad.js';
export { default as plugins } from './plugin.js';
