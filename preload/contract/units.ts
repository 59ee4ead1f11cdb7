/**
 * The one way sizes and counts are written, in the UI and the CLI alike: decimal SI units (kB,
 * MB, GB: 1 kB = 1000 bytes), as the Hugging Face Hub shows file sizes, so a size read in the app
 * matches the one on the Hub page.
 */
export function formatBytes(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  if (i === 0) return `${Math.round(v)} B`;
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** Parameter and token counts: 14464 -> "14.5k", 124439808 -> "124.4M". */
export function formatCount(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (Math.abs(n) >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/**
 * The one way a statistic is written, in verdict sentences, stat tiles, plots and the CLI alike:
 * `digits` significant digits (3 by default), trailing zeros kept so every number shows the same
 * precision (1.7046 -> "1.70", not "1.7"); values from 1e3 up to 1e5 as rounded integers
 * (-7219.6 -> "-7220"); below 1e-3 or from 1e5 in exponent form ("2.00e-8", "1.23e5"); 0 as "0";
 * null, undefined, NaN and infinities as "–".
 */
export function formatStat(v: number | null | undefined, digits = 3): string {
  if (v == null || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  // Decide on the rounded value, so 999.96 is "1000" and 0.00099996 is "0.00100".
  const rounded = Number(v.toPrecision(digits));
  const size = Math.abs(rounded);
  if (size < 1e-3 || size >= 1e5) return v.toExponential(digits - 1).replace('e+', 'e');
  if (size >= 10 ** digits) return rounded.toFixed(0);
  return v.toPrecision(digits);
}

/** A p-value: two significant digits (1/21 -> "0.048"), as p-values are usually quoted. */
export function formatPValue(p: number | null | undefined): string {
  return formatStat(p, 2);
}
