import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, PluginRegistry } from '@class-it/core';
import { CharBigramModel, testContext } from '@class-it/eval-zeroshot-shared/testing';
import plugin from '../src/plugin.js';
import { ReadingEvaluator } from '../src/index.js';

describe('plugin definition', () => {
  it('registers as evaluator \'psycholinguistic\' and resolves through the registry', () => {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    expect(pkg['class-it']).toEqual({ kind: 'evaluator', entry: './dist/plugin.js', plugins: ['psycholinguistic'], tasks: ['reading'] });
    expect(pkg.peerDependencies['@class-it/core']).toBe('^0.1.0');
    const registry = new PluginRegistry();
    registry.register(plugin, { packageName: pkg.name, packageVersion: pkg.version });
    const evaluator = registry.get('evaluator', 'psycholinguistic');
    expect(evaluator).toBeInstanceOf(ReadingEvaluator);
    expect(evaluator.kind).toBe('zero-shot');
    expect(evaluator.tasks).toEqual(["reading"]);
  });

  it('refuses eval --limit: the regressions need every word of the file', async () => {
    const context = { ...testContext({ task: 'reading', model: new CharBigramModel(), dataDir: '/nonexistent', outDir: '/nonexistent' }), limit: 5 };
    await expect(new ReadingEvaluator().evaluate(context)).rejects.toThrow(ConfigError);
    await expect(new ReadingEvaluator().evaluate(context)).rejects.toThrow(/cannot be limited/);
  });
});
