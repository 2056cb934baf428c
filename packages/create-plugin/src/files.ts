/**
 * The files of a new evaluator plugin package, as a map from relative path to content. `standalone`: a project of
 * its own anywhere (its own tsconfig and dev tools, installed from npm); `workspace`: a package of the class-it
 * monorepo (extends the root tsconfig, Nx tags, released by changesets). The text files come from `templates/`;
 * the JSON files are built here.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pluginNames, type PluginNames } from './names.js';
import { render } from './render.js';

const TEMPLATES = fileURLToPath(new URL('../templates/evaluator/', import.meta.url));

/** Dev tools of a standalone plugin project (the versions this repository builds and tests with). */
export const STANDALONE_DEV_TOOLS: Record<string, string> = { '@types/node': '^20.19.43', typescript: '^5.9.3', vitest: '^4.1.12' };

export const NODE_ENGINES = '>=20.19';

export interface EvaluatorPluginOptions {
  name: string;
  description?: string;
  /** npm scope of the package (`@class-it` in the monorepo); none: `class-it-eval-<name>`. */
  scope?: string;
  mode: 'standalone' | 'workspace';
  /** workspace: the package directory relative to the workspace root, e.g. `packages/eval-zeroshot/my-pairs`. */
  directory?: string;
  /** workspace: the repository URL written into package.json. */
  repositoryUrl?: string;
}

export interface GeneratedPlugin {
  names: PluginNames;
  files: Record<string, string>;
}

/** The class-it packages a generated plugin builds on, at the versions installed beside this generator. */
export function classItVersions(): { core: string; shared: string } {
  const require = createRequire(import.meta.url);
  const version = (pkg: string) => (require(`${pkg}/package.json`) as { version: string }).version;
  return { core: version('@class-it/core'), shared: version('@class-it/eval-zeroshot-shared') };
}

function templateFiles(dir = TEMPLATES, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? templateFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : e.name.endsWith('.tmpl') ? [`${prefix}${e.name}`] : []);
}

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

export function evaluatorPluginFiles(options: EvaluatorPluginOptions): GeneratedPlugin {
  const names = pluginNames(options.name, options.scope);
  const description = (options.description ?? 'A minimal-pair zero-shot benchmark').replace(/\.$/, '');
  if (/['`\\<>]/.test(description)) throw new Error(`the description may not contain quotes, backslashes or angle brackets (got '${description}')`);
  const workspace = options.mode === 'workspace';
  if (workspace && !options.directory) throw new Error('workspace mode needs the package directory');
  const versions = classItVersions();
  const core = `^${versions.core}`;

  const files: Record<string, string> = {};
  const values = { ...names, description };
  for (const rel of templateFiles()) {
    const target = rel.slice(0, -'.tmpl'.length);
    files[target] = render(readFileSync(path.join(TEMPLATES, rel), 'utf8'), values, rel);
  }

  const exportsSource = workspace ? { 'class-it-source': './src/index.ts' } : {};
  files['package.json'] = json({
    name: names.packageName,
    // in the monorepo the first changeset (a minor) releases 0.1.0
    version: workspace ? '0.0.0' : '0.1.0',
    description,
    type: 'module',
    ...(workspace ? { license: 'Apache-2.0', repository: { type: 'git', url: options.repositoryUrl, directory: options.directory } } : {}),
    engines: { node: NODE_ENGINES },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: {
      '.': { ...exportsSource, types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    },
    files: ['dist', 'src', 'README.md', ...(workspace ? ['LICENSE'] : [])],
    scripts: {
      build: 'tsc -p tsconfig.build.json',
      typecheck: 'tsc -p tsconfig.json --noEmit',
      test: 'vitest run',
      ...(workspace ? { lint: 'tsc -p tsconfig.json --noEmit --noUnusedLocals --noUnusedParameters && eslint --max-warnings 0 .' } : {}),
      clean: "node -e \"require('node:fs').rmSync('dist', { recursive: true, force: true })\"",
      prepack: 'npm run clean && npm run build',
    },
    dependencies: { '@class-it/eval-zeroshot-shared': `^${versions.shared}` },
    // core is the host's: a peer, so that one copy is loaded; discovery checks this range
    peerDependencies: { '@class-it/core': core },
    devDependencies: { '@class-it/core': core, ...(workspace ? {} : STANDALONE_DEV_TOOLS) },
    'class-it': { kind: 'evaluator', entry: './dist/plugin.js', plugins: [names.name], tasks: [names.task] },
    ...(workspace ? { nx: { tags: ['type:evaluator', 'type:plugin'] } } : {}),
  });

  const rootOffset = workspace ? '../'.repeat(options.directory!.split('/').length) : '';
  files['tsconfig.json'] = json(workspace
    ? { extends: `${rootOffset}tsconfig.base.json`, compilerOptions: { customConditions: ['class-it-source'], noEmit: true, types: ['node'] }, include: ['src', 'test', '*.ts'] }
    : {
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: ['node'], strict: true,
        declaration: true, sourceMap: true, skipLibCheck: true, isolatedModules: true, noEmit: true,
      },
      include: ['src', 'test', '*.ts'],
    });
  files['tsconfig.build.json'] = json(workspace
    ? { extends: `${rootOffset}tsconfig.base.json`, compilerOptions: { outDir: 'dist', rootDir: 'src' }, include: ['src'] }
    : { extends: './tsconfig.json', compilerOptions: { noEmit: false, outDir: 'dist', rootDir: 'src' }, include: ['src'] });
  files['vitest.config.ts'] = workspace
    ? `import { defineConfig } from 'vitest/config';\n\nexport default defineConfig({\n  resolve: { conditions: ['class-it-source'] },\n` +
      `  // vitest resolves test imports on its server side: the condition must be set there too to test sources, not dist\n` +
      `  ssr: { resolve: { conditions: ['class-it-source'] } },\n  test: { include: ['test/**/*.test.ts'], testTimeout: 120_000 },\n});\n`
    : `import { defineConfig } from 'vitest/config';\n\nexport default defineConfig({\n  test: { include: ['test/**/*.test.ts'], testTimeout: 120_000 },\n});\n`;
  if (!workspace) files['.gitignore'] = 'node_modules/\ndist/\n';
  return { names, files };
}
