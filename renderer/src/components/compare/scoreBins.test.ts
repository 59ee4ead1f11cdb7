import { describe, expect, it } from 'vitest';
import { scoreBins } from './scoreBins';

/** Issue 17: a score of 1.0 drew past the end of the 0-1 axis, and the unmatched feature was invisible. */
describe('best-match score bins', () => {
  it('keeps 1.0 (and a rounding hair above it) in the last bin, inside the axis', () => {
    const { bins, lo } = scoreBins([1, 0.9999, 1.0000001, 0.975], 0.3);
    expect(lo).toBe(0);
    expect(bins).toHaveLength(40);
    expect(bins[39]).toMatchObject({ x2: 1, matched: 4, unmatched: 0 });
    expect(bins.slice(0, 39).every((b) => b.matched + b.unmatched === 0)).toBe(true);
    expect(Math.max(...bins.map((b) => b.x2))).toBe(1);
  });

  it('puts a score on a bin edge into the bin that starts there, and 0 into the first', () => {
    const { bins } = scoreBins([0, 0.3, 0.025], 0.3);
    expect(bins[0].unmatched).toBe(1);
    expect(bins[1].unmatched).toBe(1);
    expect(bins[12]).toMatchObject({ x1: expect.closeTo(0.3, 12), matched: 1, unmatched: 0 });
  });

  it('counts features below the threshold and those with no candidate as unmatched, apart from the matched in the same bin', () => {
    const scores = [...Array<number>(500).fill(0.95), 0.31, 0.29, 0.05, null];
    const b = scoreBins(scores, 0.3);
    expect(b.unmatched).toBe(3);
    expect(b.noCandidate).toBe(1);
    expect(b.bins[2]).toMatchObject({ matched: 0, unmatched: 1 });
    // 0.29 lies in [0.275, 0.3), below the line; 0.31 in [0.3, 0.325), above it.
    expect(b.bins[11]).toMatchObject({ matched: 0, unmatched: 1 });
    expect(b.bins[12]).toMatchObject({ matched: 1, unmatched: 0 });
    // A threshold inside a bin splits its features between the two counts.
    const split = scoreBins([0.51, 0.52, 0.515], 0.515);
    expect(split.bins[20]).toMatchObject({ matched: 2, unmatched: 1 });
    expect(b.bins.reduce((s, x) => s + x.matched + x.unmatched, 0) + b.noCandidate).toBe(scores.length);
  });

  it('extends the axis below 0 by whole bins for negative scores (Pearson), keeping 0 an edge', () => {
    const { bins, lo } = scoreBins([-0.06, 0.5], 0.3);
    expect(lo).toBeCloseTo(-0.075, 12);
    expect(bins).toHaveLength(43);
    expect(bins[0].unmatched).toBe(1);
    expect(bins[3].x1).toBeCloseTo(0, 12);
  });
});
