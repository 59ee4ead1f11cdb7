import { describe, expect, it } from 'vitest';
import { displayToken, featureHue, tokenBackground } from './featureColor';

describe('Prompt token colours', () => {
  it('gives neighbouring features distinct hues', () => {
    const hues = Array.from({ length: 8 }, (_, i) => featureHue(i));
    for (let i = 1; i < hues.length; i++) expect(Math.abs(hues[i] - hues[i - 1])).toBeGreaterThan(30);
    expect(featureHue(255)).toBeCloseTo((255 * 137.508) % 360, 9);
  });

  it('scales opacity with activation on a shared maximum, and leaves silent tokens clear', () => {
    expect(tokenBackground(null, 3, 10)).toBe('transparent');
    expect(tokenBackground(4, 0, 10)).toBe('transparent');
    const alpha = (s: string) => Number(/, ([\d.]+)\)$/.exec(s)![1]);
    expect(alpha(tokenBackground(4, 10, 10))).toBeCloseTo(0.8, 6);
    expect(alpha(tokenBackground(4, 2.5, 10))).toBeCloseTo(0.12 + 0.68 * 0.5, 6);
    expect(alpha(tokenBackground(4, 20, 10))).toBeCloseTo(0.8, 6);
  });

  it('marks whitespace that would otherwise be invisible', () => {
    expect(displayToken('\n')).toBe('↵');
    expect(displayToken('')).toBe('∅');
    expect(displayToken(' the')).toBe(' the');
  });
});
