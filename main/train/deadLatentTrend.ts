/**
 * THE rule for "the dead share is still rising" (issue 18), read off a run's curve (metrics.jsonl)
 * by the Training page's API, so every view says the same thing:
 *  - warm-up: a latent can only count as dead once the dead window has passed, and AuxK needs a
 *    window more to act, so the first 2 dead windows (at least 10 % of the steps) are not judged;
 *  - rising: over the judged part so far, the mean dead % of its last quarter is at least
 *    RISE_POINTS percentage points above the mean of its first half, and at least MIN_DEAD_PCT;
 *  - the likely cause, in order: an lr above twice this shape's default (large steps push latents
 *    out of the top-k for good; lower the lr or run the lr sweep), an AuxK coefficient below
 *    sae_lens' 1 (dead latents get little or no gradient back; raise it), a dead window shorter
 *    than what a latent firing at 1/10 of the average rate needs (live but rare latents are called
 *    dead and pushed around by AuxK; lengthen it), else the lr at large (run the lr sweep).
 */
import { defaultLr, type TrainMetricPoint, type TrainRunWarning } from '../../preload/contract/train';

export const RISE_POINTS = 2;
export const MIN_DEAD_PCT = 5;
/** A latent firing at this fraction of the average rate (k / d_sae) should fire within the dead window a few times over. */
const RARE_FRACTION = 0.1;

export interface RunShape {
  dIn: number;
  dSae: number;
  k: number;
  batchSize: number;
  totalSteps: number;
  deadWindowSteps: number;
  auxCoefficient: number;
  /** Whether the lr was given (false: the default for the shape). */
  lrGiven: boolean;
}

export function deadLatentWarnings(points: readonly TrainMetricPoint[], shape: RunShape): TrainRunWarning[] {
  const warmUpEnd = Math.max(2 * shape.deadWindowSteps, Math.ceil(shape.totalSteps * 0.1));
  const byHook = new Map<string, TrainMetricPoint[]>();
  for (const p of points) {
    if (p.phase !== 'train' || p.step <= warmUpEnd) continue;
    if (!byHook.has(p.hook)) byHook.set(p.hook, []);
    byHook.get(p.hook)!.push(p);
  }
  const out: TrainRunWarning[] = [];
  for (const [hook, pts] of byHook) {
    if (pts.length < 4) continue;
    const mean = (a: TrainMetricPoint[]) => a.reduce((s, p) => s + p.dead_pct, 0) / a.length;
    const early = mean(pts.slice(0, Math.ceil(pts.length / 2)));
    const late = mean(pts.slice(Math.floor((pts.length * 3) / 4)));
    if (late - early < RISE_POINTS || late < MIN_DEAD_PCT) continue;
    const lr = pts[pts.length - 1].lr;
    out.push({ kind: 'dead-rising', hook, fromPct: early, toPct: late, sinceStep: warmUpEnd, atStep: pts[pts.length - 1].step, ...likelyCause(lr, shape) });
  }
  return out;
}

function likelyCause(lr: number, s: RunShape): Pick<TrainRunWarning, 'cause' | 'message' | 'knob'> {
  const dflt = defaultLr(s);
  if (lr > 2 * dflt) {
    return { cause: 'lr', message: `The lr ${lr.toPrecision(2)} is more than twice this shape's default (${dflt}): large steps push latents out of the top-k and they do not come back.`, knob: `Lower the lr (${dflt} is the default for d_in ${s.dIn}, d_sae ${s.dSae}, k ${s.k}) or tick the lr sweep.` };
  }
  if (s.auxCoefficient < 1) {
    return { cause: 'aux', message: `The AuxK coefficient is ${s.auxCoefficient}: dead latents get ${s.auxCoefficient === 0 ? 'no' : 'little'} gradient to come back with (sae_lens uses 1).`, knob: 'Raise the AuxK coefficient to 1.' };
  }
  const rareGap = s.dSae / s.k / RARE_FRACTION;
  if (s.deadWindowSteps * s.batchSize < rareGap) {
    return { cause: 'window', message: `The dead window (${s.deadWindowSteps * s.batchSize} tokens) is shorter than the ${Math.round(rareGap)} tokens between firings of a latent at a tenth of the average rate: live but rare latents are counted dead and pushed by AuxK.`, knob: `Lengthen the dead window to at least ${Math.round(rareGap)} tokens.` };
  }
  return { cause: 'lr', message: `The lr ${lr.toPrecision(2)} ${s.lrGiven ? 'was set by hand' : 'is the default for this shape'} and AuxK (coefficient ${s.auxCoefficient}) is not reviving the latents.`, knob: 'Tick the lr sweep (it tries lrs on both sides and extends past the edge), or raise the AuxK coefficient.' };
}
