import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/workbenchErrors';
import { compareEffect, fmt } from './nullComparison';

// Per-seed means 0.2, 0.1, 0.3: mean 0.2, sample sd 0.1, SEM 0.1 / sqrt(3).
const draws = [
  { seed: 0, prngSeed: 11, features: [[1], [2]], effects: [0.1, 0.3] },
  { seed: 1, prngSeed: 12, features: [[3], [4]], effects: [0.0, 0.2] },
  { seed: 2, prngSeed: 13, features: [[5], [6]], effects: [0.4, 0.2] },
];

describe('effect against its null', () => {
  it('reports per-seed values, mean, SEM and z as computed by hand, and says outside', () => {
    const r = compareEffect(1, draws, 'Zero-ablating feature 7', 'the logit of "quickly"');
    expect(r.null!.seeds.map((v) => Number(v.toFixed(12)))).toEqual([0.2, 0.1, 0.3]);
    expect(r.null!.mean).toBeCloseTo(0.2, 12);
    expect(r.null!.sd).toBeCloseTo(0.1, 12);
    expect(r.null!.sem).toBeCloseTo(0.1 / Math.sqrt(3), 12);
    expect(r.z).toBeCloseTo(8, 10);
    expect(r.outsideNull).toBe(true);
    expect([r.null!.drawsBelow, r.null!.drawsEqual, r.null!.drawsAbove]).toEqual([6, 0, 0]);
    expect([r.null!.drawMin, r.null!.drawMax]).toEqual([0, 0.4]);
    expect(r.verdict).toBe(
      'Zero-ablating feature 7 changes the logit of "quickly" by 1: 0.8 from the null (null mean 0.2 ± 0.0577 SEM over 3 seeds × 2 random draws; 13.9 SEM away, z = 8), outside the 2 SEM band, above all 6 random draws.',
    );
  });

  it('says within ±d below 2 SEM (0.05 < 2 x 0.0577)', () => {
    const r = compareEffect(0.25, draws, 'Zero-ablating feature 7', 'CE');
    expect(r.outsideNull).toBe(false);
    expect(r.z).toBeCloseTo(0.5, 10);
    expect([r.null!.drawsBelow, r.null!.drawsEqual, r.null!.drawsAbove]).toEqual([4, 0, 2]);
    expect(r.verdict).toBe('Zero-ablating feature 7 changes CE by 0.25: within ±0.05 of the null (null mean 0.2 ± 0.0577 SEM over 3 seeds × 2 random draws), below 2 SEM: no different from random features of matched density.');
    // Exactly at 2 SEM counts as outside.
    expect(compareEffect(0.2 + (2 * 0.1) / Math.sqrt(3) + 1e-12, draws, 's', 'm').outsideNull).toBe(true);
  });

  it('handles a null without spread and a missing null', () => {
    const flat = [0, 1].map((seed) => ({ seed, prngSeed: seed, features: [[seed]], effects: [0] }));
    expect(compareEffect(0, flat, 's', 'm')).toMatchObject({ z: 0, outsideNull: false });
    const off = compareEffect(1, flat, 's', 'm');
    expect(off).toMatchObject({ z: null, outsideNull: true });
    expect(off.verdict).toContain('the null has no spread');
    expect(compareEffect(1, null, 'Swapping', 'm')).toMatchObject({ null: null, z: null, outsideNull: null });
    expect(fmt(0.000123)).toBe('1.23e-4');
    expect(fmt(-8.6123)).toBe('-8.61');
  });

  it('gives no verdict from NaN: a NaN effect or draw is NONFINITE_OUTPUT naming the comparison', () => {
    const nanEffect = errorOf(() => compareEffect(NaN, draws, 'Zero-ablating feature 7', 'the logit of "quickly"'));
    expect(nanEffect.code).toBe('NONFINITE_OUTPUT');
    expect(nanEffect.message).toBe('The effect of zero-ablating feature 7 on the logit of "quickly" holds a NaN value; no statistic or verdict is computed from it.');
    expect(errorOf(() => compareEffect(NaN, null, 'Swapping', 'm')).code).toBe('NONFINITE_OUTPUT');
    const nanDraw = [...draws.slice(0, 2), { ...draws[2], effects: [0.4, NaN] }];
    expect(errorOf(() => compareEffect(1, nanDraw, 'Zero-ablating feature 7', 'CE')).message).toBe(
      'the random draws of the null of zero-ablating feature 7 on CE, seed 2 holds a NaN value (of 2; the first at index 1); no statistic or verdict is computed from it.',
    );
  });
});
