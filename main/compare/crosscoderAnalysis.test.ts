import { describe, expect, it } from 'vitest';
import { DEFAULT_CROSSCODER_BANDS } from '../../preload/api';
import { categoryOf, decoderCosine, deltaNorm, histogram, LatentScaling } from './crosscoderAnalysis';

describe('crosscoder arithmetic, against hand-computed values', () => {
  it('Δnorm: 0 for A only, 1 for B only, 0.5 for equal norms, and the formula in between', () => {
    expect(deltaNorm(2, 0)).toBe(0);
    expect(deltaNorm(0, 3)).toBe(1);
    expect(deltaNorm(1.5, 1.5)).toBe(0.5);
    // ||d_A|| = 4, ||d_B|| = 1: 0.5 * ((1 - 4) / 4 + 1) = 0.125
    expect(deltaNorm(4, 1)).toBe(0.125);
    // ||d_A|| = 1, ||d_B|| = 4: 0.5 * ((4 - 1) / 4 + 1) = 0.875
    expect(deltaNorm(1, 4)).toBe(0.875);
    expect(deltaNorm(0, 0)).toBeNaN();
  });

  it('bands: A-only <= 0.1, shared 0.4-0.6, B-only >= 0.9, other between; editable', () => {
    const b = DEFAULT_CROSSCODER_BANDS;
    expect([0, 0.1, 0.1000001, 0.4, 0.5, 0.6, 0.7, 0.9, 1].map((v) => categoryOf(v, b))).toEqual(['a-only', 'a-only', 'other', 'shared', 'shared', 'shared', 'other', 'b-only', 'b-only']);
    expect(categoryOf(0.85, { ...b, bOnlyMin: 0.8 })).toBe('b-only');
  });

  it('decoder cosine of W_dec[0][j] and W_dec[1][j]', () => {
    // d_sae 2, d 2: A rows (1,0), (0,2); B rows (1,1), (0,0).
    const W = [1, 0, 0, 2, 1, 1, 0, 0];
    expect(decoderCosine(W, 2, 2, 0)).toBeCloseTo(Math.SQRT1_2, 15);
    expect(decoderCosine(W, 2, 2, 1)).toBeNull();
  });

  it('histogram bins, the top edge in the last bin, NaN left out', () => {
    expect(histogram([0, 0.05, 0.1, 0.5, 1, Number.NaN], 10, 0, 1).counts).toEqual([2, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });

  it('latent scaling: betas and nu from two tokens, by hand', () => {
    // d_sae 1, d 2. Latent 0 is B-only: d_B = (2, 0), d_A = (0, 0).
    const W = [0, 0, 2, 0];
    const ls = new LatentScaling([{ latent: 0, own: 1 }], W, 1, 2);
    // Token 1: f = 1; u_A = (1, 1), xhat_A = (0.5, 1); u_B = (3, 0), xhat_B = (2.5, 0).
    ls.add(0, 1, [[1, 1], [3, 0]], [[0.5, 1], [2.5, 0]], 0);
    // Token 2: f = 2; u_A = (0, 0), xhat_A = (0.25, 0); u_B = (4, 1), xhat_B = (4, 1).
    ls.add(0, 2, [[0, 0], [4, 1]], [[0.25, 0], [4, 1]], 0);
    const r = ls.result().get(0)!;
    // den = sum f^2 ||d||^2 = 1*4 + 4*4 = 20.
    // beta_r(A) = [1*(2*0.5) + 2*(2*0.25)] / 20 = 2/20 = 0.1; beta_r(B) = [1*(2*2.5) + 2*(2*4)] / 20 = 21/20.
    expect(r.betaR[0]).toBeCloseTo(0.1, 15);
    expect(r.betaR[1]).toBeCloseTo(1.05, 15);
    // eps_A + f d_A (d_A = 0): token 1 (0.5, 0), token 2 (-0.25, 0): [1*2*0.5 + 2*2*(-0.25)] / 20 = 0.
    // eps_B + f d_B: token 1 (0.5 + 2, 0) = (2.5, 0); token 2 (0 + 4, 0) = (4, 0): [1*5 + 2*8] / 20 = 21/20.
    expect(r.betaEps[0]).toBeCloseTo(0, 15);
    expect(r.betaEps[1]).toBeCloseTo(1.05, 15);
    expect(r.nuR).toBeCloseTo(0.1 / 1.05, 14);
    expect(r.nuEps).toBeCloseTo(0, 14);
  });

  it('latent scaling: an A-only latent divides by A\'s beta; a latent that never fired gives null', () => {
    const W = [1, 0, 0, 0, 0.5, 0, 0, 0]; // d_sae 2, d 2: latent 0 A (1,0) B (0.5, 0); latent 1 zero
    const ls = new LatentScaling([{ latent: 0, own: 0 }, { latent: 1, own: 1 }], W, 2, 2);
    ls.add(0, 2, [[2, 0], [1, 0]], [[2, 0], [0.5, 0]], 0);
    const r = ls.result();
    // den = 4 * 1 = 4; beta_r(A) = 2 * 2 / 4 = 1; beta_r(B) = 2 * 0.5 / 4 = 0.25.
    expect(r.get(0)!.nuR).toBeCloseTo(0.25, 15);
    // eps_A + f d_A = (0 + 2, 0) -> 2*2/4 = 1; eps_B + f d_B = (0.5 + 1, 0) -> 2*1.5/4 = 0.75.
    expect(r.get(0)!.nuEps).toBeCloseTo(0.75, 15);
    expect(r.get(1)!.nuR).toBeNull();
    expect(r.get(1)!.nuEps).toBeNull();
  });
});
