/**
 * `npm create @class-it/plugin <name>` (the `create-plugin` bin): write a new evaluator plugin project into
 * `./eval-<name>` (or `--dir`). Works anywhere: it needs only Node and the class-it packages it builds on.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { evaluatorPluginFiles } from './files.js';

const USAGE = `usage: npm create @class-it/plugin <name> [-- --dir <dir>] [--scope @org] [--description "One sentence"]

Creates an evaluator plugin for class-it: <name> (lower-case words joined by - or _) is the evaluator's name and
its task; the package is class-it-eval-<name> (or @org/eval-<name> with --scope).`;

/** Write the files under `dir`; it must not exist or be empty. Returns the files written (relative paths). */
export function writePlugin(dir: string, files: Record<string, string>): string[] {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`${dir} already exists and is not empty`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return Object.keys(files).sort();
}

export function main(argv: string[], cwd = process.cwd()): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { dir: { type: 'string' }, scope: { type: 'string' }, description: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    console.error(`create-plugin: ${(err as Error).message}\n\n${USAGE}`);
    return 1;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(USAGE);
    return 1;
  }
  try {
    const { names, files } = evaluatorPluginFiles({ name: positionals[0]!, scope: values.scope, description: values.description, mode: 'standalone' });
    const dir = path.resolve(cwd, values.dir ?? `eval-${names.name}`);
    writePlugin(dir, files);
    const rel = path.relative(cwd, dir) || '.';
    console.log(`Created ${names.packageName} in ${rel}: evaluator '${names.name}', task '${names.task}'.\n\n` +
      `  cd ${rel}\n  npm install\n  npm run build && npm test\n` +
      `  npx class-it eval --plugin-path . --model <checkpoint> --task ${names.task} --data <dir of *.jsonl> --out results/\n`);
    return 0;
  } catch (err) {
    console.error(`create-plugin: ${(err as Error).message}`);
    return 1;
  }
}
