import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatPValue, formatStat } from './units';

describe('one size unit everywhere (decimal SI, as the Hub)', () => {
  it('writes bytes in B, kB, MB, GB with three significant figures', () => {
    expect([0, 999, 1000, 1536, 64_000, 999_500, 2_147_483_648, 5e12].map(formatBytes)).toEqual(['0 B', '999 B', '1.00 kB', '1.54 kB', '64.0 kB', '1000 kB', '2.15 GB', '5.00 TB']);
    expect(formatBytes(null)).toBe('–');
  });

  it('writes counts with k, M, B', () => {
    expect([512, 14464, 124_439_808, 7.2e9].map(formatCount)).toEqual(['512', '14.5k', '124.4M', '7.20B']);
  });
});

describe('one number formatter for statistics (tiles, verdicts, plots, CLI)', () => {
  it('keeps three significant digits with trailing zeros, integers from 1e3, exponents outside [1e-3, 1e5)', () => {
    expect([1.7046, 1, 0.1, -0.33, 0.0476, 12.345, 123.45, -7219.6, 999.96, 99_999.6, 0.00099996, 0.000123, 2e-8, -1.5e-7, 123_456].map((v) => formatStat(v))).toEqual([
      '1.70', '1.00', '0.100', '-0.330', '0.0476', '12.3', '123', '-7220', '1000', '1.00e5', '0.00100', '1.23e-4', '2.00e-8', '-1.50e-7', '1.23e5',
    ]);
    expect([0, null, undefined, NaN, Infinity].map((v) => formatStat(v))).toEqual(['0', '–', '–', '–', '–']);
  });

  it('writes p-values with two significant digits', () => {
    expect([1 / 21, 9 / 21, 1, 1 / 1001].map(formatPValue)).toEqual(['0.048', '0.43', '1.0', '0.0010']);
  });
});
