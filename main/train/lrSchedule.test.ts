import { describe, expect, it } from 'vitest';
import { lrAt } from './lrSchedule';

describe('lrAt', () => {
  it('is constant by default', () => {
    const s = { lr: 1e-3, warmupSteps: 0, decaySteps: 0, lrEnd: 0, totalSteps: 100 };
    expect([0, 50, 99].map((t) => lrAt(s, t))).toEqual([1e-3, 1e-3, 1e-3]);
  });

  it('warms up linearly from lr / W to lr over W steps, as torch LinearLR(1/W, 1, W - 1)', () => {
    const s = { lr: 1, warmupSteps: 5, decaySteps: 0, lrEnd: 0, totalSteps: 100 };
    // factors 0.2, 0.4, 0.6, 0.8, 1.0
    [0.2, 0.4, 0.6, 0.8, 1, 1].forEach((f, t) => expect(lrAt(s, t)).toBeCloseTo(f, 12));
  });

  it('decays linearly over the last D steps from lr towards lr_end', () => {
    const s = { lr: 1, warmupSteps: 0, decaySteps: 4, lrEnd: 0.2, totalSteps: 10 };
    // steps 6..9: 1, 0.8, 0.6, 0.4
    expect(lrAt(s, 5)).toBe(1);
    [1, 0.8, 0.6, 0.4].forEach((v, i) => expect(lrAt(s, 6 + i)).toBeCloseTo(v, 12));
  });
});
