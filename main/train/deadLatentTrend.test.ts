import { describe, expect, it } from 'vitest';
import { defaultLr, type TrainMetricPoint } from '../../preload/contract/train';
import { deadLatentWarnings, type RunShape } from './deadLatentTrend';

const shape: RunShape = { dIn: 64, dSae: 512, k: 8, batchSize: 1024, totalSteps: 200, deadWindowSteps: 20, auxCoefficient: 1, lrGiven: false };
const lr0 = defaultLr(shape);

/** One point per step, dead % from `dead(step)`. */
function curve(dead: (step: number) => number, lr = lr0, hook = 'blocks.2.hook_resid_post'): TrainMetricPoint[] {
  return Array.from({ length: 200 }, (_, i) => ({ hook, step: i + 1, tokens: (i + 1) * 1024, loss: 1, mse: 1, aux: 0, fve: 0.9, l0: 8, dead_pct: dead(i + 1), lr, grad_norm: 1, tokens_per_s: 1, step_tokens_per_s: 1, elapsed_s: i, phase: 'train' }));
}

describe('dead share still rising after warm-up', () => {
  it('a share that rose during warm-up and then settled is no warning', () => {
    expect(deadLatentWarnings(curve((s) => Math.min(30, s / 2)), shape)).toEqual([]);
    // Warm-up here is 2 dead windows (40 steps): a rise before step 40 is not judged.
    expect(deadLatentWarnings(curve((s) => (s < 40 ? s : 12)), shape)).toEqual([]);
  });

  it('a share rising after warm-up: from the mean of the first half of the judged steps to the last quarter', () => {
    // Judged: steps 41..200; first half 41..120 (dead = step / 10 -> mean 8.05), last quarter 161..200 (mean 18.05).
    const [w] = deadLatentWarnings(curve((s) => s / 10), shape);
    expect(w).toMatchObject({ kind: 'dead-rising', hook: 'blocks.2.hook_resid_post', sinceStep: 40, atStep: 200, cause: 'lr' });
    expect(w.fromPct).toBeCloseTo(8.05, 10);
    expect(w.toPct).toBeCloseTo(18.05, 10);
    expect(w.knob).toContain('lr sweep');
  });

  it('a small rise, or a rise that stays under 5 %, is no warning', () => {
    expect(deadLatentWarnings(curve((s) => 10 + s / 200), shape)).toEqual([]);
    expect(deadLatentWarnings(curve((s) => s / 50), shape)).toEqual([]);
  });

  it('names the likely cause and its knob: lr above twice the default, then AuxK, then a short dead window', () => {
    const rising = (s: number) => s / 10;
    const high = deadLatentWarnings(curve(rising, 3 * lr0), { ...shape, lrGiven: true })[0];
    expect(high.cause).toBe('lr');
    expect(high.message).toContain('more than twice');
    expect(high.knob).toContain(String(lr0));
    const aux = deadLatentWarnings(curve(rising), { ...shape, auxCoefficient: 0 })[0];
    expect(aux).toMatchObject({ cause: 'aux', knob: 'Raise the AuxK coefficient to 1.' });
    expect(aux.message).toContain('no gradient');
    // 512 / 8 / 0.1 = 640 tokens between firings of a rare latent; a 1-step window of 512 tokens is shorter.
    const win = deadLatentWarnings(curve(rising), { ...shape, batchSize: 512, deadWindowSteps: 1 })[0];
    expect(win.cause).toBe('window');
    expect(win.knob).toContain('640 tokens');
  });

  it('judges each hook on its own, and only the training phase (not lr-sweep trials)', () => {
    const pts = [...curve((s) => s / 10, lr0, 'a'), ...curve(() => 3, lr0, 'b'), ...curve((s) => s / 10, lr0, 'c').map((p) => ({ ...p, phase: 'sweep lr=0.001' }))];
    expect(deadLatentWarnings(pts, shape).map((w) => w.hook)).toEqual(['a']);
  });
});
