import { describe, expect, it } from 'vitest';
import { BaselineCurriculum, HybridCurriculum, MergedCurriculum, SequentialCurriculum, apportion, builtinCurricula } from '../src/curricula/index.js';
import type { InstructionExample } from '@class-it/core';
import type { TrainingStage } from '@class-it/core';
import { PluginRegistry } from '@class-it/core';
import { ConfigError } from '@class-it/core';

const make = (source: string, n: number): InstructionExample[] =>
  Array.from({ length: n }, (_, i) => ({ kind: 'prompt-reply', prompt: `${source} q${i}`, reply: `a${i}`, source, id: `${source}-${i}` }));
const datasets = { conv: make('conv', 50), qa: make('qa', 30) };
const ids = (s: TrainingStage) => s.examples.map((e) => e.id);

describe('curricula', () => {
  it('are registered as core plugins', () => {
    const reg = new PluginRegistry();
    for (const d of builtinCurricula) reg.register(d, { packageName: '@class-it/core', packageVersion: '0.1.0' });
    expect(reg.list('curriculum').map((p) => p.name)).toEqual(['baseline', 'hybrid', 'merged', 'sequential']);
    expect(reg.get('curriculum', 'merged')).toBeInstanceOf(MergedCurriculum);
  });

  it('baseline plans no stages', () => {
    expect(new BaselineCurriculum().plan({ datasets, settings: {}, seed: 1 })).toEqual([]);
    expect(() => new BaselineCurriculum().plan({ datasets, settings: { epochs: 2 }, seed: 1 })).toThrow(ConfigError);
  });

  it('say whether they train with given settings, without datasets, and reject bad settings there', () => {
    expect(new BaselineCurriculum().trains({})).toBe(false);
    expect(new MergedCurriculum().trains({ epochs: 2 })).toBe(true);
    expect(new SequentialCurriculum().trains({ order: ['qa', 'conv'] })).toBe(true);
    expect(new HybridCurriculum().trains({ stages: [{ weights: { conv: 1 } }] })).toBe(true);
    expect(() => new BaselineCurriculum().trains({ epochs: 2 })).toThrow(/curriculum baseline settings: Unrecognized key/);
    expect(() => new MergedCurriculum().trains({ epochs: 0 })).toThrow(ConfigError);
    expect(() => new SequentialCurriculum().trains({ shuffle: false })).toThrow(ConfigError);
    expect(() => new HybridCurriculum().trains({})).toThrow(/field 'stages': curriculum hybrid settings/);
    // trains() agrees with plan(): a curriculum that trains plans at least one stage, one that does not plans none.
    for (const [c, settings] of [[new BaselineCurriculum(), {}], [new MergedCurriculum(), {}], [new SequentialCurriculum(), {}]] as const) {
      expect(c.plan({ datasets, settings, seed: 1 }).length > 0).toBe(c.trains(settings));
    }
  });

  it('merged: one stage with every example once, shuffled globally, same seed → same order', () => {
    const c = new MergedCurriculum();
    const [stage] = c.plan({ datasets, settings: { epochs: 3 }, seed: 7 });
    expect(stage!.examples).toHaveLength(80);
    expect(new Set(ids(stage!)).size).toBe(80);
    expect(stage!.epochs).toBe(3);
    expect(ids(c.plan({ datasets, settings: {}, seed: 7 })[0]!)).toEqual(ids(stage!));
    expect(ids(c.plan({ datasets, settings: {}, seed: 8 })[0]!)).not.toEqual(ids(stage!));
    // Globally mixed: QA examples are not all at the end or start.
    const firstHalf = stage!.examples.slice(0, 40).filter((e) => e.source === 'qa').length;
    expect(firstHalf).toBeGreaterThan(5);
    expect(firstHalf).toBeLessThan(25);
  });

  it('sequential: stages in the configured order never leak into each other; shuffled inside; deterministic', () => {
    const c = new SequentialCurriculum();
    const stages = c.plan({ datasets, settings: { order: ['qa', 'conv'], epochs: { qa: 2, conv: 1 }, schedule: 'reset' }, seed: 3 });
    expect(stages.map((s) => [s.name, s.examples.length, s.epochs, s.schedule])).toEqual([['qa', 30, 2, 'reset'], ['conv', 50, 1, 'reset']]);
    expect(stages[0]!.examples.every((e) => e.source === 'qa')).toBe(true);
    expect(stages[1]!.examples.every((e) => e.source === 'conv')).toBe(true);
    expect(ids(stages[0]!)).not.toEqual(datasets.qa.map((e) => e.id)); // shuffled
    expect(new Set(ids(stages[0]!))).toEqual(new Set(datasets.qa.map((e) => e.id)));
    const again = c.plan({ datasets, settings: { order: ['qa', 'conv'], epochs: { qa: 2, conv: 1 }, schedule: 'reset' }, seed: 3 });
    expect(again.map(ids)).toEqual(stages.map(ids));
    // The reverse order is the same stages, reversed.
    const reverse = c.plan({ datasets, settings: { order: ['conv', 'qa'] }, seed: 3 });
    expect(reverse.map((s) => s.name)).toEqual(['conv', 'qa']);
    expect(ids(reverse[1]!)).toEqual(ids(stages[0]!));
  });

  it('sequential rejects unknown datasets and stray per-stage epochs', () => {
    const c = new SequentialCurriculum();
    expect(() => c.plan({ datasets, settings: { order: ['qa', 'wiki'] }, seed: 1 })).toThrow(/'wiki', which is not configured/);
    expect(() => c.plan({ datasets, settings: { epochs: { wiki: 2 } }, seed: 1 })).toThrow(/not a stage/);
    expect(() => c.plan({ datasets, settings: { order: ['qa'], shuffle: false }, seed: 1 })).toThrow(ConfigError);
  });

  it('hybrid mixture: each stage has exactly the weighted counts, drawn without repeats until a set is used up', () => {
    const c = new HybridCurriculum();
    const settings = { stages: [{ name: 'mostly-conv', weights: { conv: 80, qa: 20 } }, { name: 'mostly-qa', weights: { conv: 20, qa: 80 } }] };
    const stages = c.plan({ datasets, settings, seed: 11 });
    expect(stages.map((s) => s.examples.length)).toEqual([40, 40]);
    const count = (s: TrainingStage, src: string) => s.examples.filter((e) => e.source === src).length;
    expect([count(stages[0]!, 'conv'), count(stages[0]!, 'qa')]).toEqual([32, 8]);
    expect([count(stages[1]!, 'conv'), count(stages[1]!, 'qa')]).toEqual([8, 32]);
    // conv: 40 of 50 used, no repeats; qa: 40 > 30, so all 30 appear before any repeat.
    const conv = [...stages[0]!.examples, ...stages[1]!.examples].filter((e) => e.source === 'conv').map((e) => e.id);
    expect(new Set(conv).size).toBe(40);
    const qaFirstStage = stages[0]!.examples.filter((e) => e.source === 'qa').map((e) => e.id);
    expect(new Set(qaFirstStage).size).toBe(8);
    expect(new Set([...qaFirstStage, ...stages[1]!.examples.filter((e) => e.source === 'qa').map((e) => e.id)]).size).toBe(30);
    expect(c.plan({ datasets, settings, seed: 11 }).map(ids)).toEqual(stages.map(ids));
    expect(c.plan({ datasets, settings, seed: 12 }).map(ids)).not.toEqual(stages.map(ids));
  });

  it('hybrid partition: every example exactly once over the stages, split by each set\'s weights', () => {
    const stages = new HybridCurriculum().plan({ datasets, seed: 2, settings: { mode: 'partition', schedule: 'reset',
      stages: [{ weights: { conv: 0.8, qa: 0.2 }, epochs: 2 }, { weights: { conv: 0.2, qa: 0.8 } }] } });
    expect(stages.map((s) => [s.name, s.epochs, s.schedule])).toEqual([['stage1', 2, 'reset'], ['stage2', 1, 'reset']]);
    const all = stages.flatMap(ids);
    expect(all).toHaveLength(80);
    expect(new Set(all).size).toBe(80);
    expect(stages[0]!.examples.filter((e) => e.source === 'conv')).toHaveLength(40);
    expect(stages[0]!.examples.filter((e) => e.source === 'qa')).toHaveLength(6);
  });

  it('hybrid explicit sizes and validation', () => {
    const c = new HybridCurriculum();
    const [s] = c.plan({ datasets, seed: 1, settings: { stages: [{ weights: { conv: 1, qa: 1 }, size: 7 }] } });
    expect(s!.examples).toHaveLength(7);
    expect(() => c.plan({ datasets, seed: 1, settings: { stages: [{ weights: { conv: 0 } }] } })).toThrow(/positive weight/);
    expect(() => c.plan({ datasets, seed: 1, settings: { mode: 'partition', stages: [{ weights: { conv: 1 }, size: 3 }] } })).toThrow(/partition/);
  });

  it('apportion sums exactly and follows the weights', () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(40, [80, 20])).toEqual([32, 8]);
    expect(apportion(7, [0.5, 0.25, 0.25]).reduce((a, b) => a + b)).toBe(7);
  });
});
