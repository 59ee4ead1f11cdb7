import { describe, expect, it } from 'vitest';
import { activationStrength, displayToken, divergingBackground, tokenBackground } from './featureColor';

describe('Prompt token colours', () => {
  it('scales strength with activation on a shared maximum, and leaves silent tokens clear', () => {
    expect(activationStrength(0, 10)).toBe(0);
    expect(activationStrength(3, 0)).toBe(0);
    expect(activationStrength(10, 10)).toBeCloseTo(0.8, 9);
    expect(activationStrength(2.5, 10)).toBeCloseTo(0.12 + 0.68 * 0.5, 9);
    expect(activationStrength(20, 10)).toBeCloseTo(0.8, 9);
  });

  it('tints in the side\'s theme colour, never by feature id', () => {
    expect(tokenBackground(0, 10, '--model-a')).toBe('transparent');
    expect(tokenBackground(10, 10, '--model-b')).toBe('color-mix(in srgb, var(--model-b) 80.0%, transparent)');
  });

  it('diff colours: B above zero, A below, symmetric scale', () => {
    expect(divergingBackground(0, 5)).toBe('transparent');
    expect(divergingBackground(5, 5)).toBe('color-mix(in srgb, var(--diverging-high) 80.0%, transparent)');
    expect(divergingBackground(-5, 5)).toBe('color-mix(in srgb, var(--diverging-low) 80.0%, transparent)');
  });

  it('marks whitespace that would otherwise be invisible', () => {
    expect(displayToken('\n')).toBe('↵');
    expect(displayToken('')).toBe('∅');
    expect(displayToken(' the')).toBe(' the');
  });
});
