import { describe, expect, it } from 'vitest';
import { babylmOutputDir, pathStem } from '../src/babylm-layout.js';

describe('reference output layout', () => {
  it('uses Path.stem of the model and the reference task/dataset names', () => {
    expect(pathStem('BabyLM-community/babylm-baseline-10m-gpt2')).toBe('babylm-baseline-10m-gpt2');
    expect(pathStem('runs/model.v2/')).toBe('model');
    expect(babylmOutputDir({ root: 'results', model: 'runs/gpt', revision: 'chck_10M', task: 'blimp_supplement', fast: true }))
      .toBe('results/gpt/chck_10M/zero_shot/causal/blimp/supplement_fast');
    expect(babylmOutputDir({ root: 'results', model: 'gpt', task: 'reading', fast: false })).toBe('results/gpt/main/zero_shot/causal/reading');
    expect(babylmOutputDir({ root: 'r', model: 'm', task: 'entity_tracking', fast: false })).toBe('r/m/main/zero_shot/causal/entity_tracking/entity_tracking');
    expect(() => babylmOutputDir({ root: 'r', model: 'm', task: 'comps', fast: false })).toThrow(/unknown/);
  });
});
