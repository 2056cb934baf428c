import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PluginRegistry } from '@class-it/core';
import plugin from '../src/plugin.js';
import { BlimpEvaluator } from '../src/index.js';

describe('plugin definition', () => {
  it('registers as evaluator \'blimp\' and resolves through the registry', () => {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    expect(pkg['class-it']).toEqual({ kind: 'evaluator', entry: './dist/plugin.js', plugins: ['blimp'], tasks: ['blimp', 'blimp_supplement'] });
    expect(pkg.peerDependencies['@class-it/core']).toBe('^0.1.0');
    const registry = new PluginRegistry();
    registry.register(plugin, { packageName: pkg.name, packageVersion: pkg.version });
    const evaluator = registry.get('evaluator', 'blimp');
    expect(evaluator).toBeInstanceOf(BlimpEvaluator);
    expect(evaluator.kind).toBe('zero-shot');
    expect(evaluator.tasks).toEqual(["blimp","blimp_supplement"]);
  });
});
