import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/workbenchErrors';
import { accuracy, auroc, majorityBaseline } from './classification';

describe('classification scores', () => {
  it('AUROC counts positive-over-negative pairs, ties as one half', () => {
    // sklearn's roc_auc_score example: 3 of the 4 pairs are ordered right.
    expect(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 14);
    // Pairs: (0.5 vs 0.5) twice = 1/2 each, (0.9 vs 0.5) twice = 1 each -> 3/4.
    expect(auroc([0.5, 0.5, 0.5, 0.9], [0, 1, 0, 1])).toBeCloseTo(0.75, 14);
    expect(auroc([1, 2, 3], [1, 1, 0])).toBe(0);
    expect(auroc([1, 2, 3], [0, 1, 1])).toBe(1);
    expect(auroc([1, 2], [1, 1])).toBeNull();
  });

  it('accuracy thresholds scores at 0.5 by default', () => {
    expect(accuracy([0.2, 0.7, 0.5, 0.4], [0, 1, 0, 0])).toBe(0.75);
    expect(accuracy([0.2, 0.7], [0, 1], 0.8)).toBe(0.5);
    expect(accuracy([], [])).toBeNull();
    expect(() => accuracy([1], [])).toThrow(RangeError);
  });

  it('the majority baseline predicts the training majority on the test labels', () => {
    expect(majorityBaseline([0, 0, 1], [1, 0, 0, 0])).toEqual({ majorityClass: 0, accuracy: 0.75 });
    expect(majorityBaseline([1, 1, 0], [1, 0, 0, 0])).toEqual({ majorityClass: 1, accuracy: 0.25 });
    expect(majorityBaseline([1, 0], [1])).toEqual({ majorityClass: 0, accuracy: 0 });
    expect(majorityBaseline([1], [])).toEqual({ majorityClass: 1, accuracy: null });
  });

  it('refuses NaN scores: they sort and threshold like numbers (an AUROC of 0.161 from NaN inputs)', () => {
    const err = errorOf(() => auroc([0.2, NaN, 0.9], [0, 1, 1], 'the held-out scores of probe p'));
    expect(err.code).toBe('NONFINITE_OUTPUT');
    expect(err.message).toMatch(/^the held-out scores of probe p holds a NaN value \(of 3; the first at index 1\)/);
    expect(errorOf(() => accuracy([Infinity], [1])).code).toBe('NONFINITE_OUTPUT');
  });
});
