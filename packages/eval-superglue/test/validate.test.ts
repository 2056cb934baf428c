/** `validate`: what `class-it run` checks before any compute — settings by the evaluator's own rules, data files present. */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@class-it/core';
import { SuperGlueEvaluator } from '../src/index.js';
import { FakeClassifierTrainer, GLUE_DIR, tempDir } from './helpers.js';

describe('SuperGlueEvaluator.validate', () => {
  const evaluator = new SuperGlueEvaluator(new FakeClassifierTrainer([0.5]));

  it('finds a task ready, and names the files a task lacks (boolq.train is not redistributed)', async () => {
    expect(await evaluator.validate({ task: 'rte', dataDir: GLUE_DIR, fast: false, settings: { epochs: 2 } })).toEqual({ missing: [] });
    const boolq = await evaluator.validate({ task: 'boolq', dataDir: GLUE_DIR, fast: false, settings: {} });
    expect(boolq.missing).toEqual([expect.stringMatching(/boolq\.train\.jsonl$/)]);
    const empty = await evaluator.validate({ task: 'rte', dataDir: await tempDir(), fast: false, settings: {} });
    expect(empty.missing).toEqual([expect.stringMatching(/^rte\.valid\.jsonl \(under /)]);
  });

  it('rejects unknown and bad settings with the field, before looking at data', async () => {
    await expect(evaluator.validate({ task: 'rte', dataDir: '/nonexistent', fast: false, settings: { epochz: 2 } })).rejects.toThrow(ConfigError);
    await expect(evaluator.validate({ task: 'rte', dataDir: '/nonexistent', fast: false, settings: { epochz: 2 } })).rejects.toThrow(/field 'settings\.epochz': unknown setting/);
    await expect(evaluator.validate({ task: 'mnli', dataDir: GLUE_DIR, fast: false, settings: { metricForValid: 'f1' } })).rejects.toThrow(/binary F1 cannot select/);
  });
});
