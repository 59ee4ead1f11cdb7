/** sae_lens' dead_feature_window, in steps. */
export const SAE_LENS_DEAD_WINDOW_STEPS = 1000;

/** The dead window when none is given: sae_lens' 1000 steps, at most a tenth of the run so short runs revive dead latents too. */
export function defaultDeadWindowSteps(totalSteps: number): number {
  return Math.max(1, Math.min(SAE_LENS_DEAD_WINDOW_STEPS, Math.floor(totalSteps / 10)));
}
