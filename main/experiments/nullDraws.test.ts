import { describe, expect, it } from 'vitest';
import { densityDeciles, drawAllNullSets, drawNullSets, nullPrngSeed } from './nullDraws';

// 100 features, feature f with density (100 - f) / 1000: feature 99 is the rarest.
const density = Float64Array.from({ length: 100 }, (_, f) => (100 - f) / 1000);

describe('density deciles', () => {
  it('rank features by density into ten equal groups; never-fired features and runs of equal densities stay together', () => {
    const d = densityDeciles(density);
    expect(d.decileOf[99]).toBe(0);
    expect(d.decileOf[90]).toBe(0);
    expect(d.decileOf[89]).toBe(1);
    expect(d.decileOf[0]).toBe(9);
    expect(d.members[0]).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
    expect(d.edges[0]).toBeCloseTo(0.001, 12);
    expect(d.edges[9]).toBeCloseTo(0.091, 12);
    // All equal: one stratum, at the decile of the middle rank (9.5 of 20 -> decile 4).
    const flat = densityDeciles(new Float64Array(20).fill(0.5));
    expect(new Set(flat.decileOf)).toEqual(new Set([4]));
    expect(flat.members[4]).toHaveLength(20);
    // 6 dead features are their own stratum 0; the 10 live ones fill deciles 1..10, and the
    // tied pair (features 7 and 8, ranks 2 and 3 of 10) shares decile 1 + floor(2.5) = 3.
    const mixed = densityDeciles([0, 0, 0, 0, 0, 0, 0.1, 0.2, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.05]);
    expect(mixed.members[0]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(mixed.edges[0]).toBe(0);
    expect(Array.from(mixed.decileOf.slice(6))).toEqual([2, 3, 3, 5, 6, 7, 8, 9, 10, 1]);
    expect(mixed.members).toHaveLength(11);
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
