import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluatorPluginFiles, main, pluginNames, render } from '../src/index.js';

const corePackage = createRequire(import.meta.url)('@class-it/core/package.json') as { version: string };

describe('the naming rule', () => {
  it('uses the name as evaluator and task, eval-<name> as package', () => {
    expect(pluginNames('my-pairs')).toEqual({ name: 'my-pairs', task: 'my-pairs', packageName: 'class-it-eval-my-pairs', className: 'MyPairsEvaluator' });
    expect(pluginNames('wug_plural', '@me')).toMatchObject({ task: 'wug_plural', packageName: '@me/eval-wug_plural', className: 'WugPluralEvaluator' });
  });

  it('rejects names that cannot be both a task and a package', () => {
    for (const bad of ['Bad Name', 'My-Pairs', '-pairs', 'pairs-', 'a--b', '9pairs', '']) expect(() => pluginNames(bad), bad).toThrow(/lower-case words/);
    expect(() => pluginNames('ok', 'me')).toThrow(/scope must look like @my-org/);
  });
});

describe('evaluatorPluginFiles', () => {
  it('a standalone project: manifest with its task, core as a peer, its own tools, no workspace bits', () => {
    const { files } = evaluatorPluginFiles({ name: 'my-pairs', description: 'Toy pairs', mode: 'standalone' });
    expect(Object.keys(files).sort()).toEqual(['.gitignore', 'README.md', 'package.json', 'src/evaluator.ts', 'src/index.ts', 'src/plugin.ts',
      'test/evaluator.test.ts', 'tsconfig.build.json', 'tsconfig.json', 'vitest.config.ts']);
    const pkg = JSON.parse(files['package.json']!);
    expect(pkg).toMatchObject({
      name: 'class-it-eval-my-pairs', version: '0.1.0',
      'class-it': { kind: 'evaluator', entry: './dist/plugin.js', plugins: ['my-pairs'], tasks: ['my-pairs'] },
      peerDependencies: { '@class-it/core': `^${corePackage.version}` },
      scripts: { prepack: 'npm run clean && npm run build' },
    });
    expect(pkg.dependencies['@class-it/core']).toBeUndefined();
    expect(Object.keys(pkg.devDependencies).sort()).toEqual(['@class-it/core', '@types/node', 'typescript', 'vitest']);
    expect(pkg.nx).toBeUndefined();
    expect(files['tsconfig.json']).not.toMatch(/extends|class-it-source/);
    expect(files['src/evaluator.ts']).toMatch(/runRankingTask/);
    expect(files['src/evaluator.ts']).toMatch(/readonly tasks = \['my-pairs'\]/);
    expect(files['src/evaluator.ts']).toMatch(/context\.limit/);
    for (const [file, text] of Object.entries(files)) expect(text, file).not.toMatch(/<%/);
  });

  it('a workspace package: scoped, 0.0.0 for its first changeset, tsconfig from the root, Nx tags', () => {
    const { files, names } = evaluatorPluginFiles({ name: 'toy', scope: '@class-it', mode: 'workspace', directory: 'packages/eval-zeroshot/toy', repositoryUrl: 'git+https://example.org/x.git' });
    expect(names.packageName).toBe('@class-it/eval-toy');
    const pkg = JSON.parse(files['package.json']!);
    expect(pkg).toMatchObject({ version: '0.0.0', license: 'Apache-2.0', nx: { tags: ['type:evaluator', 'type:plugin'] }, repository: { directory: 'packages/eval-zeroshot/toy' } });
    expect(pkg.files).toContain('LICENSE');
    expect(JSON.parse(files['tsconfig.json']!).extends).toBe('../../../tsconfig.base.json');
    expect(files['.gitignore']).toBeUndefined();
  });

  it('refuses a description that would break the generated code', () => {
    expect(() => evaluatorPluginFiles({ name: 'x', description: "it's", mode: 'standalone' })).toThrow(/may not contain quotes/);
  });
});

describe('render', () => {
  it('fills placeholders and names a missing one', () => {
    expect(render('a <%= name %> b <%=task%>', { name: 'n', task: 't' }, 'f')).toBe('a n b t');
    expect(() => render('<%= nope %>', {}, 'x.tmpl')).toThrow(/x\.tmpl: no value for <%= nope %>/);
  });
});

describe('the create-plugin command', () => {
  it('writes ./eval-<name> and refuses to overwrite a non-empty directory', async () => {
    const cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'create-plugin-'));
    expect(main(['toy'], cwd)).toBe(0);
    expect(JSON.parse(await fs.readFile(path.join(cwd, 'eval-toy', 'package.json'), 'utf8')).name).toBe('class-it-eval-toy');
    expect(main(['toy'], cwd)).toBe(1);
    expect(main(['Bad Name'], cwd)).toBe(1);
    expect(main([], cwd)).toBe(1);
  });
});
