import { describe, expect, it } from 'vitest';
import { ConfigError } from '@class-it/core';
import { experimentSchema, parseConfigText } from '../src/index.js';

const good = `
name: demo
seeds: [1, 2]
models:
  - name: tiny
    pretrain:
      corpus: [data/corpus.txt]
      preset: gpt-tiny
conditions:
  - name: baseline
    curriculum: baseline
evaluation:
  dataDir: ../shared/eval-data
  zeroShot:
    - task: blimp
      data: blimp/blimp_fast
`;

describe('experiment files', () => {
  it('accepts a valid file and fills defaults', () => {
    const { value } = parseConfigText(good, 'demo.yaml', experimentSchema);
    expect(value.backend).toBe('auto');
    // Pretraining defaults are those of `class-it pretrain` (pretrain/settings.ts): vocabulary and sequence length
    // come from the preset when not given; the optimizer's are pretraining's own.
    expect(value.models[0]!.pretrain!.vocabSize).toBeUndefined();
    expect(value.models[0]!.pretrain!.sequenceLength).toBeUndefined();
    expect(value.models[0]!.pretrain).toMatchObject({ architecture: 'gpt', epochs: 1, batchSize: 16, learningRate: 1e-3, weightDecay: 0.1, beta2: 0.95, warmupFraction: 0.02 });
    expect(value.evaluation.zeroShot[0]!.fast).toBe(true);
  });

  it('names the file, line and path of a bad field and what was expected', () => {
    const bad = good.replace('seeds: [1, 2]', 'seeds: [1, "two"]');
    try {
      parseConfigText(bad, 'demo.yaml', experimentSchema);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/^demo\.yaml:3, field 'seeds\[1\]': Invalid input: expected number, received string/);
    }
  });

  it('reports a missing required field at its parent', () => {
    const bad = good.replace('      preset: gpt-tiny\n', '');
    expect(() => parseConfigText(bad, 'demo.yaml', experimentSchema)).toThrow(/demo\.yaml:7, field 'models\[0\]\.pretrain\.preset': Invalid input: expected string, received undefined/);
  });

  it('takes pretrainPerSeed with pretrain, refuses it with a checkpoint, and leaves it out of the parsed file by default', () => {
    expect('pretrainPerSeed' in parseConfigText(good, 'demo.yaml', experimentSchema).value.models[0]!).toBe(false);
    const perSeed = parseConfigText(good.replace('  - name: tiny\n', '  - name: tiny\n    pretrainPerSeed: true\n'), 'demo.yaml', experimentSchema);
    expect(perSeed.value.models[0]!.pretrainPerSeed).toBe(true);
    const withCheckpoint = good.replace('    pretrain:\n      corpus: [data/corpus.txt]\n      preset: gpt-tiny\n', '    checkpoint: ./ckpt\n    pretrainPerSeed: true\n');
    expect(() => parseConfigText(withCheckpoint, 'demo.yaml', experimentSchema)).toThrow(/field 'models\[0\]\.pretrainPerSeed': pretrainPerSeed needs pretrain/);
  });

  it('rejects unknown keys, duplicate names and YAML syntax errors', () => {
    expect(() => parseConfigText(good.replace('name: demo', 'name: demo\nepochz: 3'), 'd.yaml', experimentSchema)).toThrow(/Unrecognized key: "epochz"/);
    const dup = good.replace('conditions:\n  - name: baseline\n    curriculum: baseline', 'conditions:\n  - name: a\n    curriculum: baseline\n  - name: a\n    curriculum: merged');
    expect(() => parseConfigText(dup, 'd.yaml', experimentSchema)).toThrow(/field 'conditions\[1\]\.name': duplicate name 'a'/);
    expect(() => parseConfigText('name: [unclosed', 'd.yaml', experimentSchema)).toThrow(/d\.yaml:1: not valid YAML/);
  });
});
