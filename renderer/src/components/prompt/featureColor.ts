/**
 * Token colouring for the Prompt view. Feature ids of two separately trained SAEs mean nothing
 * to each other, so colour never encodes the id: a token is tinted in its side's colour by how
 * strongly its strongest feature fires, on one scale shared by both sides; diff mode tints by the
 * difference between the two models on a diverging scale. Colours come from the theme's CSS
 * variables (color-mix), so both themes work.
 */

/** 0..1 strength on a shared maximum; a square root lifts the low end so weak activity stays visible. */
export function activationStrength(activation: number, maxActivation: number): number {
  if (!(activation > 0) || !(maxActivation > 0)) return 0;
  return 0.12 + 0.68 * Math.sqrt(Math.min(1, activation / maxActivation));
}

/** Background of a token whose (strongest or chosen) feature fires at `activation`, in a theme colour variable. */
export function tokenBackground(activation: number, maxActivation: number, colorVar: string): string {
  const s = activationStrength(activation, maxActivation);
  return s === 0 ? 'transparent' : `color-mix(in srgb, var(${colorVar}) ${(s * 100).toFixed(1)}%, transparent)`;
}

/** Background for a signed difference (B minus A): the B colour above zero, the A colour below. */
export function divergingBackground(difference: number, maxAbs: number): string {
  if (difference === 0 || !(maxAbs > 0)) return 'transparent';
  return tokenBackground(Math.abs(difference), maxAbs, difference > 0 ? '--diverging-high' : '--diverging-low');
}

/** Token text as it should be shown: visible markers for whitespace-only and empty tokens. */
export function displayToken(text: string): string {
  if (text === '') return '∅';
  return text.replace(/\n/g, '↵').replace(/\t/g, '→');
}
