/**
 * Token colouring for the Prompt view: the hue names the feature (the golden angle spreads
 * neighbouring ids apart, so two features rarely look alike), the opacity its activation relative
 * to the strongest one on screen, so both models share one scale.
 */
export function featureHue(feature: number): number {
  return (feature * 137.508) % 360;
}

export function tokenBackground(feature: number | null, activation: number, maxActivation: number): string {
  if (feature === null || !(activation > 0) || !(maxActivation > 0)) return 'transparent';
  const strength = Math.min(1, activation / maxActivation);
  // Keep weak activations visible; a square root lifts the low end.
  const alpha = 0.12 + 0.68 * Math.sqrt(strength);
  return `hsla(${featureHue(feature).toFixed(1)}, 75%, 55%, ${alpha.toFixed(3)})`;
}

/** Token text as it should be shown: visible markers for whitespace-only and empty tokens. */
export function displayToken(text: string): string {
  if (text === '') return '∅';
  return text.replace(/\n/g, '↵').replace(/\t/g, '→');
}
