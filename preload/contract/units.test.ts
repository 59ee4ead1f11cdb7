import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount } from './units';

describe('one size unit everywhere (decimal SI, as the Hub)', () => {
  it('writes bytes in B, kB, MB, GB with three significant figures', () => {
    expect([0, 999, 1000, 1536, 64_000, 999_500, 2_147_483_648, 5e12].map(formatBytes)).toEqual(['0 B', '999 B', '1.00 kB', '1.54 kB', '64.0 kB', '1000 kB', '2.15 GB', '5.00 TB']);
    expect(formatBytes(null)).toBe('–');
  });

  it('writes counts with k, M, B', () => {
    expect([512, 14464, 124_439_808, 7.2e9].map(formatCount)).toEqual(['512', '14.5k', '124.4M', '7.20B']);
  });
});
