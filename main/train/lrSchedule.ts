/**
 * The learning rate at each step, a pure function of the step so a resumed run continues the
 * same schedule. sae_lens' "constant" scheduler: linear warm-up from lr / W to lr over the first
 * W steps (torch LinearLR, start_factor 1/W, total_iters W - 1), constant, then linear decay over
 * the last D steps from lr towards lr_end (sae_lens' constant schedule decays to 0, i.e. lr_end 0).
 */
export interface LrSchedule {
  lr: number;
  warmupSteps: number;
  decaySteps: number;
  lrEnd: number;
  totalSteps: number;
}

/** lr for step `step` (0-based). */
export function lrAt(s: LrSchedule, step: number): number {
  const decayStart = s.totalSteps - s.decaySteps;
  if (s.decaySteps > 0 && step >= decayStart) return s.lr + (s.lrEnd - s.lr) * ((step - decayStart) / s.decaySteps);
  if (s.warmupSteps > 1 && step < s.warmupSteps) {
    const start = 1 / s.warmupSteps;
    return s.lr * (start + ((1 - start) * step) / (s.warmupSteps - 1));
  }
  return s.lr;
}
