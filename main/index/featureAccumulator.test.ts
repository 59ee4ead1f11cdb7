import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random/seededRandom';
import { FeatureAccumulator } from './featureAccumulator';

describe('FeatureAccumulator', () => {
  it('keeps exactly the top-N per feature (vs sorting everything), and the stats', () => {
    const rng = new SeededRandom(7);
    const acc = new FeatureAccumulator(3, 5);
    const all: { f: number; v: number; d: number; p: number }[] = [];
    for (let d = 0; d < 40; d++) {
      for (let p = 1; p < 20; p++) {
        acc.tokens++;
        const f = rng.int(3);
        // Quantised values force ties: the earlier example must win them.
        const v = Math.round(rng.next() * 20) / 4 + 0.25;
        acc.add(f, v, d, p);
        all.push({ f, v, d, p });
      }
    }
    for (let f = 0; f < 3; f++) {
      const mine = all.filter((e) => e.f === f);
      const expected = [...mine].sort((a, b) => b.v - a.v || a.d - b.d || a.p - b.p).slice(0, 5).map((e) => ({ document: e.d, position: e.p, activation: e.v }));
      expect(acc.topExamples(f)).toEqual(expected);
      expect(acc.fireCount[f]).toBe(mine.length);
      expect(acc.sum[f]).toBeCloseTo(mine.reduce((s, e) => s + e.v, 0), 9);
      expect(acc.sumSq[f]).toBeCloseTo(mine.reduce((s, e) => s + e.v * e.v, 0), 9);
      expect(acc.max[f]).toBe(Math.max(...mine.map((e) => e.v)));
    }
    expect(acc.tokens).toBe(40 * 19);
  });

  it('round-trips through its serialised state', () => {
    const acc = new FeatureAccumulator(4, 3);
    acc.tokens = 17;
    acc.add(2, 1.5, 3, 4);
    acc.add(2, 2.5, 5, 6);
    acc.add(0, 0.5, 1, 1);
    const back = FeatureAccumulator.deserialize(acc.serialize(), 4, 3);
    expect(back.tokens).toBe(17);
    expect(back.topExamples(2)).toEqual(acc.topExamples(2));
    expect([...back.fireCount]).toEqual([1, 0, 2, 0]);
    expect(() => FeatureAccumulator.deserialize(acc.serialize(), 5, 3)).toThrow(/expected/);
  });
});
