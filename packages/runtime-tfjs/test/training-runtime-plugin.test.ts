import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PluginRegistry, TOKENS, type Trainer, type ClassifierTrainer } from '@class-it/core';
import runtimePlugin from '../src/plugin.js';
import { TfjsRuntime } from '../src/runtime.js';
import { TfjsTrainer } from '../src/training/trainer.js';
import { TfjsClassifierTrainer } from '../src/classifier/trainer.js';

describe('runtime plugin tfjs', () => {
  it('registers as the runtime and provides the trainer services', async () => {
    const registry = new PluginRegistry();
    expect(registry.register(runtimePlugin, { packageName: '@class-it/runtime-tfjs', packageVersion: '0.1.0' })).toBe(true);
    expect(registry.list('runtime').map((p) => p.name)).toEqual(['tfjs']);
    const runtime = registry.runtime();
    expect(runtime).toBeInstanceOf(TfjsRuntime);
    expect(runtime.trainer()).toBeInstanceOf(TfjsTrainer);
    expect(runtime.classifierTrainer()).toBeInstanceOf(TfjsClassifierTrainer);
    expect(registry.container.resolve<Trainer>(TOKENS.Trainer)).toBe(runtime.trainer());
    expect(registry.container.resolve<ClassifierTrainer>(TOKENS.ClassifierTrainer)).toBe(runtime.classifierTrainer());
    expect(await runtime.init('cpu')).toBe('cpu');
    expect(runtime.backend()).toBe('cpu');
    await expect(runtime.init('quantum')).rejects.toThrow(/unknown backend 'quantum'/);
  });

  it('trains a tokenizer with the requested special tokens and loads it back', async () => {
    const runtime = new TfjsRuntime();
    const texts = Array.from({ length: 50 }, (_, i) => `the cat sat on the mat number ${i % 7}`);
    const tokenizer = await runtime.trainTokenizer(texts, { vocabSize: 300, specialTokens: { eos: '<|endoftext|>', pad: '<|pad|>', additional: ['<|user|>'] } });
    expect(tokenizer.vocabSize).toBeLessThanOrEqual(300);
    expect(tokenizer.specialId('eos')).toBeDefined();
    expect(tokenizer.tokenToId('<|user|>')).toBeDefined();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'runtime-tok-'));
    await tokenizer.save(dir);
    const loaded = await runtime.loadTokenizer(dir);
    expect(loaded.encode('the cat sat', { addSpecialTokens: false }).ids).toEqual(tokenizer.encode('the cat sat', { addSpecialTokens: false }).ids);
    expect(loaded.specialId('eos')).toBe(tokenizer.specialId('eos'));
  });
});
