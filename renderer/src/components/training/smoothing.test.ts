import { describe, expect, it } from 'vitest';
import { smoothSeries } from './smoothing';

describe('smoothSeries', () => {
  it('is a debiased EMA: hand-computed for w = 0.5', () => {
    // EMA: 0.5*2 = 1 -> /0.5 = 2; 0.5*1 + 0.5*4 = 2.5 -> /0.75 = 3.3333; 0.5*2.5 + 0.5*6 = 4.25 -> /0.875 = 4.857142...
    const s = smoothSeries([2, 4, 6], 0.5);
    expect(s[0]).toBeCloseTo(2, 12);
    expect(s[1]).toBeCloseTo(10 / 3, 12);
    expect(s[2]).toBeCloseTo(4.25 / 0.875, 12);
  });

  it('keeps a constant series constant and leaves values alone at w = 0', () => {
    expect(smoothSeries([5, 5, 5, 5], 0.9).every((v) => Math.abs(v - 5) < 1e-12)).toBe(true);
    expect(smoothSeries([1, 9, 3], 0)).toEqual([1, 9, 3]);
  });
});
