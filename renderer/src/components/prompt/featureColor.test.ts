import { describe, expect, it } from 'vitest';
import { activationScale, activationStrength, displayToken, divergingBackground, tokenBackground } from './featureColor';

describe('Prompt token colours', () => {
  it('stretches the tint over the range of strongest activations that occurs, and leaves silent tokens clear', () => {
    const scale = activationScale([0, 2, 5, 8, 0]);
    expect(scale).toEqual({ lo: 2, hi: 8 });
    expect(activationStrength(0, scale)).toBe(0);
    expect(activationStrength(2, scale)).toBeCloseTo(0.1, 9);
    expect(activationStrength(5, scale)).toBeCloseTo(0.5, 9);
    expect(activationStrength(8, scale)).toBeCloseTo(0.9, 9);
    expect(activationStrength(3, { lo: 0, hi: 0 })).toBe(0);
    // One firing value: its tint is the deepest.
    expect(activationStrength(4, activationScale([4]))).toBeCloseTo(0.9, 9);
  });

  it('tints in the side\'s theme colour, never by feature id', () => {
    expect(tokenBackground(0, { lo: 1, hi: 10 }, '--model-a')).toBe('transparent');
    expect(tokenBackground(10, { lo: 1, hi: 10 }, '--model-b')).toBe('color-mix(in srgb, var(--model-b) 90.0%, transparent)');
  });

  it('diff colours: B above zero, A below, symmetric scale', () => {
    expect(divergingBackground(0, 5)).toBe('transparent');
    expect(divergingBackground(5, 5)).toBe('color-mix(in srgb, var(--diverging-high) 90.0%, transparent)');
    expect(divergingBackground(-5, 5)).toBe('color-mix(in srgb, var(--diverging-low) 90.0%, transparent)');
    expect(divergingBackground(2.5, 5)).toBe('color-mix(in srgb, var(--diverging-high) 50.0%, transparent)');
  });

  it('marks whitespace that would otherwise be invisible', () => {
    expect(displayToken('\n')).toBe('↵');
    expect(displayToken('')).toBe('∅');
    expect(displayToken(' the')).toBe(' the');
  });
});
