/**
 * The lr sweep's plan: which lr to try next and how long each trial runs. Pure functions, so the
 * training run and bench/lrStudy.ts walk the same sweep.
 *
 * Five trials at lr x 0.25, 0.5, 1, 2, 4; while the best trial is the highest (or lowest) lr tried,
 * one more trial at twice (half) that lr, up to LR_SWEEP_MAX_EXTENSIONS more: a best at the edge
 * says the optimum lies beyond it (the d_in 96 run picked 4e-3, the top of its range).
 * A trial that diverges ranks below every finite one, which also ends an upward extension.
 */
import { LR_SWEEP_MULTIPLIERS, type LrSweepTrial } from '../../preload/contract/train';
import { WorkbenchError } from '../errors';
import { NonFiniteStep } from './saeTrainerGroup';

/** At most this many trials beyond the first five (a factor 2^3 = 8 past either edge). */
export const LR_SWEEP_MAX_EXTENSIONS = 3;

/**
 * Trial length as a share of the run. A trial is the first steps of the run at its lr (same seed,
 * same batches, the same dead window), so the question is how early the ranking of lrs settles.
 * bench/lrStudy.ts reads it off full 320-step runs' curves: the lr leading at 6 % or 10 % of the
 * steps is usually the larger one (large lrs win early) and ends up to 0.017 FVE below the best;
 * at 25 % the leader is the best lr on 3 of 6 shapes (6 %: 0 of 6, 10 %: 1 of 6) and never further
 * behind than the shorter trials. So trials run 25 % of the steps, at least 50 (a dead window and a
 * few), at most 2000.
 */
export const LR_SWEEP_TRIAL_SHARE = 0.25;
const MIN_TRIAL_STEPS = 50;
const MAX_TRIAL_STEPS = 2000;

export function sweepTrialSteps(totalSteps: number): number {
  return Math.min(totalSteps, Math.max(MIN_TRIAL_STEPS, Math.min(MAX_TRIAL_STEPS, Math.round(totalSteps * LR_SWEEP_TRIAL_SHARE))));
}

/** The trial of best held-out FVE (diverged trials never win; ties go to the smaller lr); null when every trial diverged. */
export function bestTrial(trials: readonly LrSweepTrial[]): LrSweepTrial | null {
  let best: LrSweepTrial | null = null;
  for (const t of trials) {
    if (t.fve === null || !Number.isFinite(t.fve)) continue;
    if (!best || t.fve > best.fve! || (t.fve === best.fve && t.lr < best.lr)) best = t;
  }
  return best;
}

/** The lr of the next trial, or null when the sweep is done. */
export function nextSweepLr(trials: readonly LrSweepTrial[], baseLr: number): number | null {
  if (trials.length < LR_SWEEP_MULTIPLIERS.length) return baseLr * LR_SWEEP_MULTIPLIERS[trials.length];
  if (trials.length >= LR_SWEEP_MULTIPLIERS.length + LR_SWEEP_MAX_EXTENSIONS) return null;
  const lrs = trials.map((t) => t.lr);
  const lo = Math.min(...lrs);
  const hi = Math.max(...lrs);
  const best = bestTrial(trials);
  // Everything diverged: only smaller lrs can help.
  if (!best) return lo / 2;
  if (best.lr === hi) return hi * 2;
  if (best.lr === lo) return lo / 2;
  return null;
}

/** What a trainer lends the sweep: how to run one trial and how to score it. */
export interface LrSweepDriver<Trained> {
  baseLr: number;
  /** Trains the run's first trial steps at lr from the run's start; throws NonFiniteStep when it diverges. */
  train(lr: number): Promise<Trained>;
  /** Held-out score of a finished trial, higher is better (the trainer logs its own detail). */
  score(lr: number, trained: Trained): Promise<number>;
  /** Once per trial, diverged or not: the trial's steps are done (progress bookkeeping). */
  trialDone(): void;
  /** Before each trial beyond the first five: the sweep has grown by one trial. */
  extended(): void;
  log(level: 'info' | 'warn', message: string): void;
  /** How a message names the sweep, e.g. "the sweep" or "the crosscoder's sweep". */
  subject: string;
  /** The hint when every trial diverged. */
  allDivergedHint: string;
}

/**
 * Walks the sweep's plan: trials until nextSweepLr says done, a diverging lr ranked last (an answer,
 * not a failure), then the best trial's lr. Every trainer's sweep runs through here, so they agree.
 */
export async function runLrSweep<Trained>(d: LrSweepDriver<Trained>): Promise<{ lr: number; trials: LrSweepTrial[] }> {
  const trials: LrSweepTrial[] = [];
  for (let lr = nextSweepLr(trials, d.baseLr); lr !== null; lr = nextSweepLr(trials, d.baseLr)) {
    if (trials.length >= LR_SWEEP_MULTIPLIERS.length) {
      d.extended();
      d.log('info', `lr sweep: the best trial is at the ${lr > d.baseLr ? 'top' : 'bottom'} of the range; trying lr ${lr.toPrecision(3)} too.`);
    }
    let trial: { trained: Trained } | null = null;
    try {
      trial = { trained: await d.train(lr) };
    } catch (err) {
      if (!(err instanceof NonFiniteStep)) throw err;
      d.log('warn', `lr sweep: lr ${lr.toPrecision(3)} diverged (loss ${err.value} at step ${err.step}).`);
    } finally {
      d.trialDone();
    }
    trials.push({ lr, fve: trial === null ? null : await d.score(lr, trial.trained) });
  }
  const best = bestTrial(trials);
  if (!best) {
    throw new WorkbenchError('TRAIN_NONFINITE_LOSS', `Every lr of ${d.subject} diverged (lowest ${Math.min(...trials.map((t) => t.lr)).toPrecision(3)}).`, d.allDivergedHint);
  }
  return { lr: best.lr, trials };
}
