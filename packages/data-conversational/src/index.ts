export * from './switchboard.js';
export * from './chat.js';
export * from './transcript.js';
export { default as plugins } from './plugin.js';
