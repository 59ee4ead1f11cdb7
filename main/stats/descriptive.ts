/**
 * The descriptive statistics every experiment, view and export uses, defined once. Sums run in
 * float64. Undefined cases (no values, one value for a sample sd) return null rather than NaN, so
 * they survive JSON and the caller has to say what they mean; NaN or infinite inputs are refused
 * (NONFINITE_OUTPUT naming `what`, the caller's name for the values), so no NaN comes out.
 */
import { requireFinite } from './finiteInputs';

export function sum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

/** Arithmetic mean; null for no values. */
export function mean(values: ArrayLike<number>, what = 'the values of a mean'): number | null {
  requireFinite(values, what);
  return values.length === 0 ? null : sum(values) / values.length;
}

/** Sample standard deviation (n - 1 in the denominator); null below two values. */
export function sampleSd(values: ArrayLike<number>, what = 'the values of a standard deviation'): number | null {
  requireFinite(values, what);
  const n = values.length;
  if (n < 2) return null;
  const m = sum(values) / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - m) ** 2;
  return Math.sqrt(ss / (n - 1));
}

/** Standard error of the mean: sample sd / sqrt(n); null below two values. */
export function sem(values: ArrayLike<number>, what = 'the values of a standard error'): number | null {
  const sd = sampleSd(values, what);
  return sd === null ? null : sd / Math.sqrt(values.length);
}

/**
 * z = (x - mean) / sd. A zero sd gives 0 when x equals the mean and null otherwise (the
 * distance is not measurable in sds); so does a null sd.
 */
export function zScore(x: number, centre: number, sd: number | null, what = 'the inputs of a z-score'): number | null {
  requireFinite([x, centre, ...(sd === null ? [] : [sd])], what);
  if (sd === null) return null;
  if (sd === 0) return x === centre ? 0 : null;
  return (x - centre) / sd;
}

/**
 * Quantile q in [0, 1] by linear interpolation between order statistics (Hyndman & Fan type 7,
 * numpy's and R's default): h = (n - 1) q, between sorted[floor h] and sorted[ceil h].
 */
export function quantile(values: ArrayLike<number>, q: number, what = 'the values of a quantile'): number | null {
  requireFinite(values, what);
  if (values.length === 0) return null;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  const sorted = Float64Array.from(values).sort();
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Smallest and largest value; null for no values. */
export function range(values: ArrayLike<number>, what = 'the values of a range'): { min: number; max: number } | null {
  requireFinite(values, what);
  if (values.length === 0) return null;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]);
    max = Math.max(max, values[i]);
  }
  return { min, max };
}
