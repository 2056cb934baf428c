/**
 * Node module hooks that let a child process run the workspace's TypeScript sources (the fault-injection tests
 * need real processes to kill): `.ts` files are transpiled with typescript (no type checking) and relative
 * `./x.js` imports find `./x.ts`. `runTsChild` (ts-child.ts) starts node with `--conditions=class-it-source`, so
 * `@class-it/*` packages resolve to their sources too. Transpiled files are cached in $CLASS_IT_TS_CACHE when it
 * is set, so only the first child pays for loading typescript.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let typescript;

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (/^\.\.?\//.test(specifier) && specifier.endsWith('.js')) return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    throw err;
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const source = readFileSync(file, 'utf8');
  const cacheDir = process.env.CLASS_IT_TS_CACHE;
  const cached = cacheDir ? path.join(cacheDir, `${createHash('sha256').update(file).update('\0').update(source).digest('hex')}.js`) : undefined;
  if (cached) {
    try {
      return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true };
    } catch {}
  }
  typescript ??= (await import('typescript')).default;
  const js = typescript.transpileModule(source, {
    fileName: file,
    compilerOptions: {
      module: typescript.ModuleKind.ESNext,
      target: typescript.ScriptTarget.ES2022,
      experimentalDecorators: true,
      useDefineForClassFields: false,
    },
  }).outputText;
  if (cached) {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(`${cached}.${process.pid}`, js);
    renameSync(`${cached}.${process.pid}`, cached);
  }
  return { format: 'module', source: js, shortCircuit: true };
}
