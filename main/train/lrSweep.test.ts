import { describe, expect, it } from 'vitest';
import type { LrSweepTrial } from '../../preload/contract/train';
import { WorkbenchError } from '../errors';
import { bestTrial, LR_SWEEP_MAX_EXTENSIONS, nextSweepLr, runLrSweep, sweepTrialSteps } from './lrSweep';
import { NonFiniteStep } from './saeTrainerGroup';

/** Walk the sweep against an FVE curve over lr: the lrs tried, in order. */
function walk(baseLr: number, fveAt: (lr: number) => number | null): number[] {
  const trials: LrSweepTrial[] = [];
  for (let lr = nextSweepLr(trials, baseLr); lr !== null; lr = nextSweepLr(trials, baseLr)) trials.push({ lr, fve: fveAt(lr) });
  return trials.map((t) => t.lr);
}

describe('lr sweep plan', () => {
  it('tries x 0.25 ... x 4 and stops when the best is inside the range', () => {
    // FVE peaks at 2e-3: inside [0.25e-3, 4e-3].
    expect(walk(1e-3, (lr) => 1 - Math.abs(Math.log2(lr / 2e-3)) / 10)).toEqual([0.25e-3, 0.5e-3, 1e-3, 2e-3, 4e-3]);
  });

  it('extends upward while the best is the largest lr, one x2 step at a time', () => {
    // Peak at 16e-3: two steps past the top edge (8e-3, 16e-3), then 32e-3 is worse and the sweep stops.
    expect(walk(1e-3, (lr) => 1 - Math.abs(Math.log2(lr / 16e-3)) / 10)).toEqual([0.25e-3, 0.5e-3, 1e-3, 2e-3, 4e-3, 8e-3, 16e-3, 32e-3]);
  });

  it('extends downward while the best is the smallest lr', () => {
    expect(walk(1e-3, (lr) => 1 - Math.abs(Math.log2(lr / 0.125e-3)) / 10)).toEqual([0.25e-3, 0.5e-3, 1e-3, 2e-3, 4e-3, 0.125e-3, 0.0625e-3]);
  });

  it('stops after LR_SWEEP_MAX_EXTENSIONS extra trials even when the best is still at the edge', () => {
    const lrs = walk(1e-3, (lr) => lr); // FVE grows with lr forever
    expect(lrs).toHaveLength(5 + LR_SWEEP_MAX_EXTENSIONS);
    expect(lrs.at(-1)).toBeCloseTo(4e-3 * 2 ** LR_SWEEP_MAX_EXTENSIONS, 12);
  });

  it('a diverged trial ranks last: it ends an upward extension, and when all diverge the sweep goes down', () => {
    // Better and better up to 8e-3, which diverges: the best (4e-3) is now inside, stop.
    expect(walk(1e-3, (lr) => (lr > 5e-3 ? null : lr))).toEqual([0.25e-3, 0.5e-3, 1e-3, 2e-3, 4e-3, 8e-3]);
    // Only lrs <= 1e-4 converge, the smaller the better: down 3 steps (0.125e-3 diverges too), then stop.
    expect(walk(1e-3, (lr) => (lr > 1e-4 ? null : 1 - lr))).toEqual([0.25e-3, 0.5e-3, 1e-3, 2e-3, 4e-3, 0.125e-3, 0.0625e-3, 0.03125e-3]);
    expect(bestTrial([{ lr: 1, fve: null }])).toBeNull();
    expect(bestTrial([{ lr: 2, fve: 0.5 }, { lr: 1, fve: 0.5 }, { lr: 3, fve: null }])!.lr).toBe(1);
  });

  it('trials run a quarter of the run, within [50, 2000] steps and never longer than the run', () => {
    expect(sweepTrialSteps(20)).toBe(20);
    expect(sweepTrialSteps(100)).toBe(50);
    expect(sweepTrialSteps(4000)).toBe(1000);
    expect(sweepTrialSteps(100_000)).toBe(2000);
  });

  it('runLrSweep trains and scores each trial, ranks a diverged one last, counts extensions and picks the best', async () => {
    const events: string[] = [];
    const result = await runLrSweep({
      baseLr: 1e-3,
      // Better up to 8e-3, which diverges.
      train: async (lr) => {
        if (lr > 5e-3) throw new NonFiniteStep(7, 'h', Number.NaN);
        return lr;
      },
      score: async (_lr, trained) => trained * 100,
      trialDone: () => events.push('done'),
      extended: () => events.push('extended'),
      log: (level, message) => events.push(`${level}: ${message}`),
      subject: 'the sweep',
      allDivergedHint: 'lower --lr',
    });
    expect(result.trials.map((t) => t.lr)).toEqual([0.25e-3, 0.5e-3, 1e-3, 2e-3, 4e-3, 8e-3]);
    expect(result.trials.at(-1)!.fve).toBeNull();
    expect(result.lr).toBe(4e-3);
    expect(events.filter((e) => e === 'done')).toHaveLength(6);
    expect(events.filter((e) => e === 'extended')).toHaveLength(1);
    expect(events.some((e) => e.startsWith('warn: lr sweep: lr 0.00800 diverged (loss NaN at step 7)'))).toBe(true);
  });

  it('runLrSweep: when every trial diverges the error names the lowest lr; other errors pass through', async () => {
    const driver = (train: (lr: number) => Promise<number>) => ({
      baseLr: 1e-3, train, score: async () => 0, trialDone: () => {}, extended: () => {}, log: () => {},
      subject: "the crosscoder's sweep", allDivergedHint: 'lower --lr',
    });
    const diverged = await runLrSweep(driver(async () => { throw new NonFiniteStep(1, 'h', Infinity); })).catch((e: unknown) => e);
    expect(diverged).toBeInstanceOf(WorkbenchError);
    expect((diverged as WorkbenchError).code).toBe('TRAIN_NONFINITE_LOSS');
    expect((diverged as WorkbenchError).message).toBe("Every lr of the crosscoder's sweep diverged (lowest 0.0000313).");
    await expect(runLrSweep(driver(async () => { throw new Error('disk full'); }))).rejects.toThrow('disk full');
  });
});
