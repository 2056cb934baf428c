#!/usr/bin/env node
// `npm create @class-it/plugin <name>`: the built generator lives in dist/ (in this repository: `npm run build` first).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('create-plugin: not built yet (run `npm run build` in the class-it repository)');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = main(process.argv.slice(2));
