/**
 * Token colouring for the Prompt view. Feature ids of two separately trained SAEs mean nothing
 * to each other, so colour never encodes the id: a token is tinted in its side's colour by how
 * strongly its strongest feature fires, on one scale shared by both sides (BOS left out of it, as
 * its activations are atypical); diff mode tints by the
 * difference between the two models on a diverging scale. Colours come from the theme's CSS
 * variables (color-mix), so both themes work.
 */

/** The range a tint spans: `lo` gets the lightest tint of a firing token, `hi` the deepest. */
export interface ActivationScale {
  lo: number;
  hi: number;
}

/**
 * The scale for per-token strongest activations, shared by both models: from the weakest to the
 * strongest of them. A TopK SAE fires on every token, so scaling from zero would tint every token
 * alike; stretching over the range that occurs shows which tokens stand out.
 */
export function activationScale(values: number[]): ActivationScale {
  const firing = values.filter((v) => v > 0);
  return firing.length === 0 ? { lo: 0, hi: 0 } : { lo: Math.min(...firing), hi: Math.max(...firing) };
}

/** 0..1 opacity of a token's tint: 0 when silent, 0.1 at the bottom of the scale, 0.9 at its top. */
export function activationStrength(activation: number, scale: ActivationScale): number {
  if (!(activation > 0) || !(scale.hi > 0)) return 0;
  const span = scale.hi - scale.lo;
  const t = span > 0 ? (activation - scale.lo) / span : 1;
  return 0.1 + 0.8 * Math.min(1, Math.max(0, t));
}

/** Background of a token whose (strongest or chosen) feature fires at `activation`, in a theme colour variable. */
export function tokenBackground(activation: number, scale: ActivationScale, colorVar: string): string {
  const s = activationStrength(activation, scale);
  return s === 0 ? 'transparent' : `color-mix(in srgb, var(${colorVar}) ${(s * 100).toFixed(1)}%, transparent)`;
}

/** Background for a signed difference (B minus A): the B colour above zero, the A colour below, from zero. */
export function divergingBackground(difference: number, maxAbs: number): string {
  if (difference === 0 || !(maxAbs > 0)) return 'transparent';
  return tokenBackground(Math.abs(difference), { lo: 0, hi: maxAbs }, difference > 0 ? '--diverging-high' : '--diverging-low');
}

/** Token text as it should be shown: visible markers for whitespace-only and empty tokens. */
export function displayToken(text: string): string {
  if (text === '') return '∅';
  return text.replace(/\n/g, '↵').replace(/\t/g, '→');
}
