import { describe, expect, it } from 'vitest';
import { pearson } from '../src/correlation.js';

describe('pearson', () => {
  it('is the sample correlation (scipy.stats.pearsonr)', () => {
    // dx = [-2,-1,0,1,2], dy = [-1,-2,1,0,2]: sxy = 8, sxx = syy = 10
    expect(pearson([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])).toBeCloseTo(0.8, 15);
    // scipy.stats.pearsonr([0.1, 0.4, 0.35, 0.8], [1, 3, 2, 5]).statistic = 0.9851430923690204
    expect(pearson([0.1, 0.4, 0.35, 0.8], [1, 3, 2, 5])).toBeCloseTo(0.9851430923690204, 14);
    expect(pearson([1, 2, 3], [2, 4, 6])).toBe(1);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBe(-1);
  });

  it('is NaN for constant or too short samples and rejects unequal lengths', () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(pearson([1], [2])).toBeNaN();
    expect(() => pearson([1, 2], [1])).toThrow(/lengths differ/);
  });
});
