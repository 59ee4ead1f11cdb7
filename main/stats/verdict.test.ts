import { describe, expect, it } from 'vitest';
import type { NullSeedDraws } from '../../preload/api';
import { errorOf } from '../testing/workbenchErrors';
import { judgeEffect, RELATIVE_RESOLUTION } from './verdict';

const seedsOf = (effects: number[][]): NullSeedDraws[] => effects.map((e, seed) => ({ seed, prngSeed: 100 + seed, features: e.map((_, k) => [seed * 10 + k]), effects: e }));

// Per-seed means 0.2, 0.1, 0.3: mean 0.2, sample sd 0.1, SEM 0.1 / sqrt(3).
const three = seedsOf([
  [0.1, 0.3],
  [0.0, 0.2],
  [0.4, 0.2],
]);

// Dyadic values, so every comparison below is exact in float64: draws 0.25, 0.75, 0.5, 0.5 (m = 0.5).
const four = seedsOf([
  [0.25, 0.75],
  [0.5, 0.5],
]);

// The steering panel that misled: 20 random directions moving the metric by -0.375 on average.
// Per-seed means -0.375, -0.3125, -0.4375, -0.375, -0.375: sd = sqrt(2 x 0.0625^2 / 4) = 0.0441942, SEM = sd / sqrt(5) = 0.0197642.
const twenty = seedsOf([
  [-0.25, -0.25, -0.5, -0.5],
  [-0.25, -0.25, -0.25, -0.5],
  [-0.5, -0.5, -0.5, -0.25],
  [-0.375, -0.375, -0.375, -0.375],
  [-0.375, -0.375, -0.375, -0.375],
]);

const judge = (effect: number, draws: NullSeedDraws[] | null, margin?: number, scale = 2) => judgeEffect({ effect, draws, subject: 'Zero-ablating feature #7 in m', measure: 'the logit of "quickly"', scale, margin });

describe('the verdict of an effect against its null', () => {
  it('keeps the 2-SEM test with per-seed values, mean, SEM and z as computed by hand', () => {
    const r = judge(1, three);
    expect(r.null!.seeds.map((v) => Number(v.toFixed(12)))).toEqual([0.2, 0.1, 0.3]);
    expect(r.null!.mean).toBeCloseTo(0.2, 12);
    expect(r.null!.sd).toBeCloseTo(0.1, 12);
    expect(r.null!.sem).toBeCloseTo(0.1 / Math.sqrt(3), 12);
    expect(r.z).toBeCloseTo(8, 10);
    expect(r.outsideNull).toBe(true);
    expect([r.null!.drawsBelow, r.null!.drawsEqual, r.null!.drawsAbove]).toEqual([6, 0, 0]);
    expect([r.null!.drawMin, r.null!.drawMax]).toEqual([0, 0.4]);
    // Further from the mean 0.2 than all 6 draws: p = 1 / 7, too few draws for "unusual" but said as it is.
    expect(r.null!.drawsAsFar).toBe(0);
    expect(r.pValue).toBeCloseTo(1 / 7, 15);
    expect(r.reading).toBe('beyond-all');
    expect(r.verdict).toBe(
      'Zero-ablating feature #7 in m changes the logit of "quickly" by 1.00: larger than all 6 random draws, which move it by 0.200 on average (p = 0.14, the least 6 draws allow); 2-SEM test: 0.800 from the null mean 0.200 ± 0.0577 SEM (3 seeds × 2 draws), outside 2 SEM (z = 8.00 in sds of the per-seed means).',
    );
    // Exactly at 2 SEM counts as outside; just inside does not.
    expect(judge(0.2 + (2 * 0.1) / Math.sqrt(3) + 1e-12, three).outsideNull).toBe(true);
    expect(judge(0.25, three).outsideNull).toBe(false);
  });

  it('p = (1 + #{|e_i - m| >= |e - m|}) / (N + 1): ties count as at least as far', () => {
    // |e - m| = 0.25 and the draws' distances are 0.25, 0.25, 0, 0: two ties, p = 3 / 5.
    const tie = judge(0.75, four);
    expect(tie.null!.drawMean).toBe(0.5);
    expect(tie.null!.drawsAsFar).toBe(2);
    expect(tie.pValue).toBe(0.6);
    expect(tie.reading).toBe('like-random');
    expect(tie.verdict).toContain('by 0.750: indistinguishable from random features of matched density, which move it by 0.500 on average (p = 0.60: 2 of the 4 random draws are at least as far from their mean)');
    // Just further than the ties: none as far, p = 1 / 5.
    expect(judge(0.75 + 2 ** -20, four).pValue).toBe(0.2);
    // At the mean every draw is as far: p = 5 / 5.
    const centre = judge(0.5, four);
    expect([centre.null!.drawsAsFar, centre.pValue]).toEqual([4, 1]);
    expect(centre.verdict).toContain('(p = 1.0: all 4 random draws are at least as far from their mean)');
    // Two-sided: a draw below the mean is as far as one above.
    expect(judge(0.25, four).pValue).toBe(0.6);
  });

  it('a steering effect of 2e-8 is no measurable effect, even when random directions move the metric by -0.375', () => {
    const r = judge(2e-8, twenty, 0.025, 2);
    expect(r.resolution).toBe(2 * RELATIVE_RESOLUTION);
    expect(r.reading).toBe('no-effect');
    // The effect is further from the draws' mean than every draw (the direction is unused, random ones are not): p = 1 / 21.
    expect(r.null!.drawsAsFar).toBe(0);
    expect(r.pValue).toBe(1 / 21);
    expect(r.outsideNull).toBe(true);
    expect(r.withinMargin).toBe(false);
    expect(r.null!.sem).toBeCloseTo(Math.sqrt((2 * 0.0625 ** 2) / 4) / Math.sqrt(5), 12);
    expect(r.z).toBeCloseTo((2e-8 + 0.375) / Math.sqrt((2 * 0.0625 ** 2) / 4), 9);
    expect(r.verdict).toBe(
      'Zero-ablating feature #7 in m changes the logit of "quickly" by 2.00e-8: no measurable effect (the metric\'s float32 resolution here is ±2.00e-5); random features of matched density move it by -0.375 on average (p = 0.048: no random draw is as far from their mean); 2-SEM test: 0.375 from the null mean -0.375 ± 0.0198 SEM (5 seeds × 4 draws), outside 2 SEM (z = 8.49 in sds of the per-seed means); outside the ±0.0250 equivalence margin (|effect − mean of the draws| = 0.375).',
    );
    expect(r.verdict).not.toMatch(/larger|unusual|differ/);
  });

  it('says "larger than all 20 random draws" (and a larger decrease, below all) with p = 1/21', () => {
    const up = judge(0.5, twenty);
    expect([up.reading, up.pValue]).toEqual(['beyond-all', 1 / 21]);
    expect(up.verdict).toContain('by 0.500: larger than all 20 random draws, which move it by -0.375 on average (p = 0.048, the least 20 draws allow)');
    const down = judge(-1.5, twenty);
    expect([down.reading, down.pValue]).toEqual(['beyond-all', 1 / 21]);
    expect(down.verdict).toContain('by -1.50: a larger decrease than all 20 random draws');
    // Between the draws and zero, closer to zero than all of them: a smaller decrease, not a larger effect.
    expect(judge(-0.0625, twenty).verdict).toContain('by -0.0625: a smaller decrease than all 20 random draws');
  });

  it('reads p <= 0.05 with draws as far as "unusual" (N = 100)', () => {
    const draws = seedsOf(Array.from({ length: 10 }, (_, s) => Array.from({ length: 10 }, (_, k) => (s * 10 + k === 0 ? 4 : s * 10 + k === 1 ? -4 : 0))));
    // m = 0; two draws at distance 4 >= |3 - 0|: p = 3 / 101.
    const r = judge(3, draws);
    expect([r.null!.drawsAsFar, r.pValue, r.reading]).toEqual([2, 3 / 101, 'unusual']);
    expect(r.verdict).toContain('by 3.00: unusual among random features of matched density, which move it by 0 on average (p = 0.030: 2 of the 100 random draws are at least as far from their mean)');
  });

  it('margin edges: |e - m| = margin is within, a hair more is not; margin 0 holds only at the mean', () => {
    expect(judge(0.75, four, 0.25)).toMatchObject({ margin: 0.25, withinMargin: true });
    expect(judge(0.75, four, 0.25).verdict).toMatch(/; within the ±0\.250 equivalence margin \(\|effect − mean of the draws\| = 0\.250\)\.$/);
    expect(judge(0.75, four, 0.25 - 2 ** -30).withinMargin).toBe(false);
    expect(judge(0.25, four, 0.25).withinMargin).toBe(true);
    expect(judge(0.5, four, 0).withinMargin).toBe(true);
    expect(judge(0.5 + 2 ** -30, four, 0).withinMargin).toBe(false);
    // No margin asked: nothing about one.
    expect(judge(0.75, four)).toMatchObject({ margin: null, withinMargin: null });
    expect(judge(0.75, four).verdict).not.toContain('margin');
  });

  it('a nil effect against a nil null; a measurable effect without a null; one without spread', () => {
    const flat = seedsOf([
      [0, 0],
      [0, 0],
    ]);
    const nil = judge(0, flat, 0.025, 1);
    expect(nil).toMatchObject({ reading: 'no-effect', pValue: 1, outsideNull: false, z: 0, withinMargin: true });
    expect(nil.verdict).toBe(
      'Zero-ablating feature #7 in m changes the logit of "quickly" by 0: no measurable effect (the metric\'s float32 resolution here is ±1.00e-5); random features of matched density have none either (mean 0 over 4 draws; p = 1.0); 2-SEM test: 0 from the null mean 0 ± 0 SEM (2 seeds × 2 draws), within 2 SEM (the null has no spread); within the ±0.0250 equivalence margin (|effect − mean of the draws| = 0).',
    );
    const off = judge(1, flat);
    expect(off).toMatchObject({ z: null, outsideNull: true, pValue: 0.2, reading: 'beyond-all' });
    expect(off.verdict).toContain('outside 2 SEM (the null has no spread)');
    // Random draws within the resolution of zero do nothing: said so, not "move it by 4e-7".
    const quiet = judge(1, seedsOf([[4e-7, -1e-7], [2e-7, 3e-7]]), undefined, 1);
    expect(quiet.verdict).toContain('by 1.00: larger than all 4 random draws, which have no measurable effect (mean 2.00e-7; p = 0.20, the least 4 draws allow)');
    const none = judge(0.5, null, 0.025);
    expect(none).toMatchObject({ null: null, z: null, outsideNull: null, pValue: null, margin: 0.025, withinMargin: null, reading: 'no-null' });
    expect(none.verdict).toBe('Zero-ablating feature #7 in m changes the logit of "quickly" by 0.500 (no null: there is no random alternative of the same size); no equivalence test: the ±0.0250 margin needs random draws.');
    expect(judge(1e-9, null).verdict).toBe('Zero-ablating feature #7 in m changes the logit of "quickly" by 1.00e-9: no measurable effect (the metric\'s float32 resolution here is ±2.00e-5) (no null: there is no random alternative of the same size).');
  });

  it('the resolution follows the metric\'s scale: 2e-8 is measurable on a metric of size 1e-4', () => {
    const r = judge(2e-8, null, undefined, 1e-4);
    expect(r.resolution).toBeCloseTo(1e-9, 20);
    expect(r.reading).toBe('no-null');
  });

  it('gives no verdict from NaN: a NaN effect, scale or draw is NONFINITE_OUTPUT naming the comparison', () => {
    const nanEffect = errorOf(() => judge(NaN, three));
    expect(nanEffect.code).toBe('NONFINITE_OUTPUT');
    expect(nanEffect.message).toBe('The effect of zero-ablating feature #7 in m on the logit of "quickly" holds a NaN value; no statistic or verdict is computed from it.');
    expect(errorOf(() => judge(NaN, null)).code).toBe('NONFINITE_OUTPUT');
    expect(errorOf(() => judge(1, three, undefined, NaN)).code).toBe('NONFINITE_OUTPUT');
    const nanDraw = [...three.slice(0, 2), { ...three[2], effects: [0.4, NaN] }];
    expect(errorOf(() => judge(1, nanDraw)).message).toBe(
      'the random draws of the null of zero-ablating feature #7 in m on the logit of "quickly", seed 2 holds a NaN value (of 2; the first at index 1); no statistic or verdict is computed from it.',
    );
  });
});
