import 'reflect-metadata';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { injectable, inject } from 'tsyringe';
import { PluginRegistry, definePlugin, readPluginManifests, TOKENS, type ZeroShotEvaluator, type ZeroShotContext } from '../src/index.js';

/** Write a fake installed package under <root>/node_modules/<name>. */
async function fakePackage(root: string, name: string, manifest: unknown, entry?: string, coreRange: string | null = '^0.1.0'): Promise<void> {
  const dir = path.join(root, 'node_modules', name);
  await fs.mkdir(dir, { recursive: true });
  const peerDependencies = coreRange === null ? undefined : { '@class-it/core': coreRange };
  await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.2.3', type: 'module', peerDependencies, 'class-it': manifest }));
  if (entry !== undefined) await fs.writeFile(path.join(dir, 'plugin.js'), entry);
}

const evaluatorEntry = (name: string, kind = 'evaluator') => `export default { classIt: 1, kind: '${kind}', name: '${name}', description: 'fixture',
  useFactory: () => ({ name: '${name}', kind: 'zero-shot', tasks: ['${name}_task'], evaluate: async () => { throw new Error('fixture'); } }) };\n`;

describe('plugin discovery', () => {
  it('loads good plugins and reports each broken one without stopping the others', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-plugins-'));
    await fakePackage(root, 'good-eval', { kind: 'evaluator', entry: './plugin.js', plugins: ['good'] }, evaluatorEntry('good'));
    await fakePackage(root, '@scope/dup-eval', { kind: 'evaluator', entry: './plugin.js' }, evaluatorEntry('good'));
    await fakePackage(root, 'no-entry', { kind: 'evaluator', entry: './missing.js' });
    await fakePackage(root, 'wrong-kind', { kind: 'dataset', entry: './plugin.js' }, evaluatorEntry('wk'));
    await fakePackage(root, 'bad-kind', { kind: 'spaceship', entry: './plugin.js' }, evaluatorEntry('bk'));
    await fakePackage(root, 'old-core', { kind: 'evaluator', entry: './plugin.js' }, evaluatorEntry('old'), '^9.0.0');
    await fakePackage(root, 'no-peer', { kind: 'evaluator', entry: './plugin.js' }, evaluatorEntry('np'), null);
    await fakePackage(root, 'stale-core', { kind: 'evaluator', entry: './plugin.js', core: '^0.0.1' }, evaluatorEntry('sc'));
    await fakePackage(root, 'wrong-names', { kind: 'evaluator', entry: './plugin.js', plugins: ['other'] }, evaluatorEntry('wn'));
    await fakePackage(root, 'throws', { kind: 'evaluator', entry: './plugin.js' }, 'throw new Error("boom at import");\n');
    await fakePackage(root, 'not-a-plugin', { kind: 'evaluator', entry: './plugin.js' }, 'export default { hello: 1 };\n');

    const registry = await new PluginRegistry().discover({ coreVersion: '0.1.0', searchFrom: [root] });
    expect(registry.list().map((p) => `${p.kind}:${p.name}@${p.packageName}`)).toEqual(['evaluator:good@@scope/dup-eval']);
    const problems = Object.fromEntries(registry.problems.map((p) => [p.packageName, p.problem]));
    expect(problems['good-eval']).toMatch(/duplicate evaluator plugin 'good'/);
    expect(problems['no-entry']).toMatch(/entry \.\/missing\.js not found/);
    expect(problems['wrong-kind']).toMatch(/declares kind 'dataset' but its entry defines 'wk' of kind 'evaluator'/);
    expect(problems['bad-kind']).toMatch(/kind must be one of/);
    expect(problems['old-core']).toMatch(/needs @class-it\/core \^9\.0\.0, but core 0\.1\.0 is installed/);
    expect(problems['no-peer']).toMatch(/declares no peerDependencies\["@class-it\/core"\]/);
    expect(problems['stale-core']).toMatch(/"class-it"\.core "\^0\.0\.1" disagrees with peerDependencies\["@class-it\/core"\] "\^0\.1\.0"/);
    expect(problems['wrong-names']).toMatch(/"class-it"\.plugins lists other but its entry defines wn/);
    expect(problems['throws']).toMatch(/failed to load: boom at import/);
    expect(problems['not-a-plugin']).toMatch(/must default-export definePlugin/);
    expect(registry.evaluatorFor('good_task').name).toBe('good');
    expect(() => registry.evaluatorFor('nope')).toThrow(/no installed evaluator serves task 'nope' \(installed tasks: good_task\); no known class-it package provides it/);
  });

  it('names the package to install for a missing task, architecture, dataset or runtime', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-plugins-'));
    await fakePackage(root, '@class-it/eval-blimp', { kind: 'evaluator', entry: './plugin.js' }, 'throw new Error("half installed");\n');
    const registry = await new PluginRegistry().discover({ coreVersion: '0.1.0', searchFrom: [root] });
    expect(() => registry.evaluatorFor('ewok')).toThrow(/task 'ewok'.*provided by @class-it\/eval-ewok, which is not installed: npm install @class-it\/eval-ewok$/);
    expect(() => registry.architectureFor('llama')).toThrow(/npm install @class-it\/model-llama$/);
    expect(() => registry.get('dataset', 'squad')).toThrow(/no dataset plugin named 'squad' is installed.*npm install @class-it\/data-qa$/);
    expect(() => registry.runtime()).toThrow(/npm install @class-it\/runtime-tfjs$/);
    expect(() => registry.evaluatorFor('blimp_supplement')).toThrow(/@class-it\/eval-blimp is installed but did not load: entry \.\/plugin\.js failed to load: half installed/);
    for (const err of [() => registry.get('evaluator', 'nope'), () => registry.architectureFor('mamba')]) {
      expect(err).toThrow(/no known class-it package provides it/);
      expect(err).not.toThrow(/<package>/);
    }
  });

  it('reads manifests without importing the entries', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-plugins-'));
    await fakePackage(root, 'listed', { kind: 'evaluator', entry: './plugin.js', tasks: ['a', 'b'] }, 'throw new Error("imported");\n');
    await fakePackage(root, 'bad-list', { kind: 'evaluator', entry: './plugin.js', tasks: 'a' });
    const found = Object.fromEntries((await readPluginManifests({ coreVersion: '0.1.0', searchFrom: [root] })).map((m) => [m.packageName, m.manifest]));
    expect(found.listed).toEqual({ kind: 'evaluator', entry: './plugin.js', tasks: ['a', 'b'], core: '^0.1.0', plugins: undefined, modelTypes: undefined });
    expect(found['bad-list']).toMatch(/"class-it"\.tasks must be a non-empty list of names/);
  });

  it('resolves plugin classes through the container with explicit @inject', async () => {
    const SETTINGS = TOKENS.Settings;
    @injectable()
    class Greeter implements ZeroShotEvaluator {
      readonly name = 'greeter';
      readonly kind = 'zero-shot' as const;
      readonly tasks = ['greet'];
      constructor(@inject(SETTINGS) readonly settings: { greeting: string }) {}
      async evaluate(_ctx: ZeroShotContext): Promise<never> {
        throw new Error(this.settings.greeting);
      }
    }
    const registry = new PluginRegistry();
    registry.container.register(SETTINGS, { useValue: { greeting: 'hello' } });
    registry.register(definePlugin({ kind: 'evaluator', name: 'greeter', description: 'test', useClass: Greeter }), { packageName: 'test', packageVersion: '0.0.0' });
    const ev = registry.get('evaluator', 'greeter') as Greeter;
    expect(ev.settings.greeting).toBe('hello');
    expect(registry.get('evaluator', 'greeter')).toBe(ev);
    expect(() => registry.get('architecture', 'gpt')).toThrow(/no architecture plugin named 'gpt' is installed/);
  });
});
