import { describe, expect, it } from 'vitest';
import { densityDeciles, drawAllNullSets, drawNullSets, nullPrngSeed } from './nullDraws';

// 100 features, feature f with density (100 - f) / 1000: feature 99 is the rarest.
const density = Float64Array.from({ length: 100 }, (_, f) => (100 - f) / 1000);

describe('density deciles', () => {
  it('rank features by density (ties by id) into ten equal groups', () => {
    const d = densityDeciles(density);
    expect(d.decileOf[99]).toBe(0);
    expect(d.decileOf[90]).toBe(0);
    expect(d.decileOf[89]).toBe(1);
    expect(d.decileOf[0]).toBe(9);
    expect(d.members[0]).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
    expect(d.edges[0]).toBeCloseTo(0.001, 12);
    expect(d.edges[9]).toBeCloseTo(0.091, 12);
    // All equal: rank by id.
    const flat = densityDeciles(new Float64Array(20));
    expect(Array.from(flat.decileOf)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
  });
});

describe('null draws', () => {
  const d = densityDeciles(density);
  const real = [95, 42, 3];

  it('match each real feature by decile, avoid the real set, never repeat within a set', () => {
    const sets = drawNullSets(real, d, 50, 123);
    expect(sets).toHaveLength(50);
    for (const set of sets) {
      expect(set).toHaveLength(3);
      expect(new Set(set).size).toBe(3);
      set.forEach((g, i) => {
        expect(real).not.toContain(g);
        expect(d.decileOf[g]).toBe(d.decileOf[real[i]]);
      });
    }
    // The draws do vary: a decile has 9 free features, 50 draws hit more than one.
    expect(new Set(sets.map((s) => s[0])).size).toBeGreaterThan(3);
  });

  it('the same seed draws the same sets; another seed others', () => {
    const a = drawAllNullSets(real, d, 5, 4, 7);
    const b = drawAllNullSets(real, d, 5, 4, 7);
    expect(a).toEqual(b);
    expect(a.map((s) => s.prngSeed)).toEqual([0, 1, 2, 3, 4].map((s) => nullPrngSeed(7, s)));
    expect(new Set(a.map((s) => s.prngSeed)).size).toBe(5);
    expect(drawAllNullSets(real, d, 5, 4, 8)).not.toEqual(a);
    expect(a[0].features).not.toEqual(a[1].features);
  });

  it('widens to a neighbouring decile when the real set fills its own', () => {
    const all = d.members[0];
    const sets = drawNullSets(all, d, 3, 1);
    for (const set of sets) {
      expect(new Set(set).size).toBe(10);
      for (const g of set) expect(d.decileOf[g]).toBe(1);
    }
    expect(() => drawNullSets(Array.from({ length: 60 }, (_, i) => i), d, 1, 1)).toThrow(/too few features/);
  });
});
