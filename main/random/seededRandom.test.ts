import { describe, expect, it } from 'vitest';
import { SeededRandom, weightedSampler } from './seededRandom';

describe('weightedSampler', () => {
  it('maps uniform draws onto cumulative weight intervals [c(i-1), c(i))', () => {
    // Weights 1, 0, 3: index 0 takes [0, 0.25), index 1 nothing, index 2 [0.25, 1).
    const us = [0, 0.2499, 0.25, 0.5, 0.9999];
    let k = 0;
    const draw = weightedSampler([1, 0, 3], () => us[k++]);
    expect(us.map(() => draw())).toEqual([0, 0, 2, 2, 2]);
  });

  it('draws in proportion to the weights', () => {
    const rng = new SeededRandom(3);
    const draw = weightedSampler([1, 2, 7], rng.next);
    const counts = [0, 0, 0];
    for (let i = 0; i < 100_000; i++) counts[draw()]++;
    // Binomial sd at n = 1e5 is under 150: 1% is over 6 sd.
    expect(counts.map((c) => c / 100_000)).toEqual([expect.closeTo(0.1, 2), expect.closeTo(0.2, 2), expect.closeTo(0.7, 2)]);
  });
});
