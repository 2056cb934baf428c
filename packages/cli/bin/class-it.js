#!/usr/bin/env node
// The `class-it` binary: the built CLI lives in dist/ (run `npm run build` first).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('class-it: the CLI is not built yet. Run `npm run build` at the repository root first.');
  process.exit(1);
}
await import(main.href);
