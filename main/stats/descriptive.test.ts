import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/workbenchErrors';
import { mean, quantile, range, sampleSd, sem, sum, zScore } from './descriptive';

// Worked by hand: values 2,4,4,4,5,5,7,9 have mean 5 and squared deviations 9+1+1+1+0+0+4+16 = 32,
// so the sample variance is 32/7 and the SEM sqrt(32/7)/sqrt(8).
const values = [2, 4, 4, 4, 5, 5, 7, 9];

describe('descriptive statistics', () => {
  it('mean, sample sd and SEM match the hand-computed values', () => {
    expect(sum(values)).toBe(40);
    expect(mean(values)).toBe(5);
    expect(sampleSd(values)).toBeCloseTo(2.138089935299395, 14);
    expect(sem(values)).toBeCloseTo(0.7559289460184544, 14);
    expect(sem([1, 3])).toBeCloseTo(1, 14); // sd sqrt(2), / sqrt(2)
  });

  it('returns null where a statistic is undefined', () => {
    expect(mean([])).toBeNull();
    expect(sampleSd([4])).toBeNull();
    expect(sem([4])).toBeNull();
    expect(quantile([], 0.5)).toBeNull();
    expect(range([])).toBeNull();
  });

  it('z is the distance in sds; a zero sd is 0 at the centre and unmeasurable elsewhere', () => {
    expect(zScore(3, 1, 0.5)).toBe(4);
    expect(zScore(-1, 1, 2)).toBe(-1);
    expect(zScore(1, 1, 0)).toBe(0);
    expect(zScore(2, 1, 0)).toBeNull();
    expect(zScore(2, 1, null)).toBeNull();
  });

  it('quantiles interpolate between order statistics (type 7, as numpy)', () => {
    // np.quantile([1, 2, 3, 4], [0, .25, .5, .9, 1]) = [1, 1.75, 2.5, 3.7, 4]
    expect(quantile([4, 1, 3, 2], 0)).toBe(1);
    expect(quantile([4, 1, 3, 2], 0.25)).toBeCloseTo(1.75, 14);
    expect(quantile([4, 1, 3, 2], 0.5)).toBeCloseTo(2.5, 14);
    expect(quantile([4, 1, 3, 2], 0.9)).toBeCloseTo(3.7, 14);
    expect(quantile([4, 1, 3, 2], 1)).toBe(4);
    expect(quantile([7], 0.3)).toBe(7);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
    expect(range([3, -1, 2])).toEqual({ min: -1, max: 3 });
  });

  it('refuses NaN and infinite inputs (NONFINITE_OUTPUT naming them) instead of returning NaN', () => {
    const err = errorOf(() => mean([1, NaN, 2, NaN], 'the null draws of seed 3'));
    expect(err.code).toBe('NONFINITE_OUTPUT');
    expect(err.message).toBe('the null draws of seed 3 holds 2 NaN values (of 4; the first at index 1); no statistic or verdict is computed from it.');
    expect(errorOf(() => sampleSd([1, Infinity])).message).toBe('the values of a standard deviation holds an infinite value (of 2; the first at index 1); no statistic or verdict is computed from it.');
    expect(errorOf(() => sem([-Infinity, NaN])).message).toContain('holds 1 NaN and 1 infinite values (of 2; the first at index 0)');
    expect(errorOf(() => zScore(NaN, 0, 1)).code).toBe('NONFINITE_OUTPUT');
    expect(errorOf(() => zScore(1, 0, Infinity)).code).toBe('NONFINITE_OUTPUT');
    expect(errorOf(() => quantile([NaN], 0.5)).code).toBe('NONFINITE_OUTPUT');
    expect(errorOf(() => range([0, NaN])).code).toBe('NONFINITE_OUTPUT');
  });
});
