/**
 * The architecture is a plugin: core's pretraining job (the `class-it pretrain` command) runs unchanged with
 * `architecture: 'llama'`, and the final checkpoint loads back through the registry by its model_type and scores.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PluginRegistry, TOKENS, definePlugin } from '@class-it/core';
import { pretrain } from '@class-it/cli';
import { TfjsRuntime } from '@class-it/runtime-tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import llamaPlugin from '@class-it/model-llama/plugin';

const work = mkdtempSync(path.join(tmpdir(), 'llama-pipeline-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('llama through core pretraining', () => {
  it('pretrain --architecture llama --preset llama-tiny writes a checkpoint that loads by model_type and scores', async () => {
    const registry = new PluginRegistry();
    // The runtime plugin as runtime-tfjs/src/plugin.ts defines it (that module is not exported by the package).
    const runtime = new TfjsRuntime();
    const runtimePlugin = definePlugin({
      kind: 'runtime',
      name: 'tfjs',
      description: 'tfjs runtime',
      useFactory: () => runtime,
      provides: [{ token: TOKENS.Trainer, useFactory: () => runtime.trainer() }],
    });
    registry.register(runtimePlugin, { packageName: '@class-it/runtime-tfjs', packageVersion: '0.1.0' });
    registry.register(llamaPlugin, { packageName: '@class-it/model-llama', packageVersion: '0.1.0' });
    const corpus = path.join(work, 'corpus.train');
    const lines = ['the child saw a dog', 'a dog saw the child', 'where did the cat go', 'the cat went under the table'];
    writeFileSync(corpus, Array.from({ length: 60 }, (_, i) => lines[i % lines.length] + ` ${i % 7}`).join('\n') + '\n');
    const log: string[] = [];
    const result = await pretrain(registry, {
      corpus: [corpus],
      out: path.join(work, 'run'),
      preset: 'llama-tiny',
      architecture: 'llama',
      vocabSize: 300,
      maxSteps: 3,
      batchSize: 4,
      sequenceLength: 32,
      backend: 'cpu',
      seed: 1,
      log: (line) => log.push(line),
    });
    expect(result.parameterCount).toBeLessThan(1_000_000);
    expect(log.join('\n')).toMatch(/model: llama llama-tiny/);
    const model = await registry.architectureFor('llama').load(result.finalDir);
    expect(model.architecture).toBe('llama');
    expect(model.config.vocab_size).toBe(model.tokenizer.vocabSize);
    const [scored] = await model.logLikelihood([{ context: 'the child', continuation: ' saw a dog' }]);
    expect(Number.isFinite(scored!.logprob)).toBe(true);
    expect(scored!.logprob).toBeLessThan(0);
    model.dispose();
  });
});
