import { describe, expect, it } from 'vitest';
import { ceLossScore, deadPercent, fveFromSums, klFromLogits, klScore, logSparsity, ReconstructionAccumulator } from './saeMetrics';

describe('SAE metrics against hand-computed values', () => {
  // Three tokens, d_in 2, d_sae 4:
  //   x     = (1, 2), (3, 0), (-1, 1)       mean = (1, 1)
  //   x_hat = (1, 1), (2, 0), (-1, 1)
  //   residual sq = 1 + 1 + 0 = 2; centred sq = (0+1) + (4+1) + (4+0) = 10 -> FVE = 0.8
  //   latents fired: token 0 {0, 2}, token 1 {2}, token 2 {} -> L0 = 1, latents 1 and 3 dead (50 %)
  //   L2 ratio = (1/sqrt 5 * sqrt 2 ... ) = mean(sqrt2/sqrt5, 2/3, 1) = (0.632456 + 0.666667 + 1) / 3
  const x = [1, 2, 3, 0, -1, 1];
  const xHat = [1, 1, 2, 0, -1, 1];
  const fired = [[0, 2], [2], []];

  it('pools FVE, MSE, L0, L2 ratio and the dead share over tokens', () => {
    const acc = new ReconstructionAccumulator(2, 4);
    acc.addRows(x.slice(0, 4), xHat.slice(0, 4), 2, (r, visit) => fired[r].forEach(visit));
    acc.addRows(x.slice(4), xHat.slice(4), 1, (r, visit) => fired[2 + r].forEach(visit));
    expect(acc.fve()).toBeCloseTo(0.8, 12);
    expect(acc.mse()).toBeCloseTo(2 / 3, 12);
    expect(acc.l0()).toBeCloseTo(1, 12);
    expect(acc.l2Ratio()).toBeCloseTo((Math.sqrt(2) / Math.sqrt(5) + 2 / 3 + 1) / 3, 12);
    expect(acc.deadPercent()).toBe(50);
    expect(Array.from(acc.fireCounts)).toEqual([1, 0, 2, 0]);
    expect(acc.tokenCount).toBe(3);
  });

  it('FVE is 1 - residual / centred sum of squares', () => {
    expect(fveFromSums(2, 10)).toBe(0.8);
    expect(fveFromSums(0, 10)).toBe(1);
    expect(Number.isNaN(fveFromSums(1, 0))).toBe(true);
  });

  it('CE-loss and KL scores are the share of the zero-ablation damage the SAE avoids', () => {
    // clean 2.0, with SAE 2.5, zero-ablation 7.0 -> (7 - 2.5) / (7 - 2) = 0.9
    expect(ceLossScore(2, 2.5, 7)).toBeCloseTo(0.9, 12);
    // KL with SAE 0.1, zero-ablation 2.0 -> 0.95
    expect(klScore(0.1, 2)).toBeCloseTo(0.95, 12);
    expect(deadPercent(3, 12)).toBe(25);
  });

  it('KL(p || q) from logits matches the closed form', () => {
    // p = softmax(0, ln 3) = (1/4, 3/4); q = softmax(0, 0) = (1/2, 1/2)
    // KL = 1/4 ln(1/2) + 3/4 ln(3/2)
    const expected = 0.25 * Math.log(0.5) + 0.75 * Math.log(1.5);
    expect(klFromLogits([0, Math.log(3)], [0, 0])).toBeCloseTo(expected, 12);
    // Shifting logits changes nothing; an offset window of a longer row works.
    expect(klFromLogits([9, 5, 5 + Math.log(3)], [9, 100, 100], 1, 2)).toBeCloseTo(expected, 12);
    expect(klFromLogits([1, 2, 3], [1, 2, 3])).toBe(0);
  });

  it('sparsity is log10(frequency + 1e-10)', () => {
    const s = logSparsity([0, 10, 1000], 1000);
    expect(s[0]).toBeCloseTo(-10, 5);
    expect(s[1]).toBeCloseTo(-2, 5);
    expect(s[2]).toBeCloseTo(0, 5);
  });
});
