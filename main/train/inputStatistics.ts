/**
 * What a run learns about its inputs before the first step, from a sample of training rows:
 *  - the sae_lens `expected_average_only_in` scale factor s = sqrt(d_in) / mean ||x||, so the SAE
 *    trains on x * s with E||x * s|| = sqrt(d_in) (sae_lens' ActivationScaler estimates it the same
 *    way, from a mean of row norms) and one lr fits models whose activations differ in size by
 *    orders of magnitude; the export folds s back into the weights (saeExport.foldedWeights);
 *  - the initial decoder bias b_dec: zeros (sae_lens 6.x), the mean, or the geometric median of
 *    the (scaled) rows (sparsify; sae_lens' older b_dec_init_method), so the encoder starts centred
 *    on the data instead of spending its first steps moving b_dec there.
 * Accumulation is float64; the result depends only on the rows and their order.
 */
import type { NormalizeActivations, DecoderBiasInit } from '../../preload/contract/train';

/** sae_lens' scale: sqrt(d_in) / mean ||x|| over the rows; 1 when the rows are all zero. */
export function expectedAverageScale(rows: Float32Array, dIn: number): number {
  const n = Math.floor(rows.length / dIn);
  let sum = 0;
  for (let r = 0; r < n; r++) {
    let q = 0;
    for (let i = r * dIn; i < (r + 1) * dIn; i++) q += rows[i] * rows[i];
    sum += Math.sqrt(q);
  }
  const meanNorm = n > 0 ? sum / n : 0;
  return meanNorm > 0 ? Math.sqrt(dIn) / meanNorm : 1;
}

/** The input scale a run trains with: s for expected_average_only_in, 1 for none. */
export function inputScaleFor(mode: NormalizeActivations, rows: Float32Array, dIn: number): number {
  return mode === 'expected_average_only_in' ? expectedAverageScale(rows, dIn) : 1;
}

export function meanRow(rows: Float32Array, dIn: number): Float64Array {
  const n = Math.floor(rows.length / dIn);
  const mean = new Float64Array(dIn);
  for (let r = 0; r < n; r++) for (let i = 0; i < dIn; i++) mean[i] += rows[r * dIn + i];
  for (let i = 0; i < dIn; i++) mean[i] /= Math.max(1, n);
  return mean;
}

/**
 * The geometric median (the point minimising the sum of Euclidean distances) by Weiszfeld's
 * iteration from the mean, as sparsify and sae_lens compute it: each step is the mean of the rows
 * weighted by 1 / distance (distances floored at `eps`, which keeps a row sitting on the estimate
 * from dividing by zero). Stops when a step moves less than `tol` x the estimate's norm.
 */
export function geometricMedian(rows: Float32Array, dIn: number, maxIter = 100, tol = 1e-7, eps = 1e-8): Float64Array {
  const n = Math.floor(rows.length / dIn);
  let z = meanRow(rows, dIn);
  if (n <= 1) return z;
  const next = new Float64Array(dIn);
  for (let it = 0; it < maxIter; it++) {
    next.fill(0);
    let wSum = 0;
    for (let r = 0; r < n; r++) {
      let q = 0;
      for (let i = 0; i < dIn; i++) q += (rows[r * dIn + i] - z[i]) ** 2;
      const w = 1 / Math.max(Math.sqrt(q), eps);
      wSum += w;
      for (let i = 0; i < dIn; i++) next[i] += w * rows[r * dIn + i];
    }
    let moved = 0;
    let norm = 0;
    for (let i = 0; i < dIn; i++) {
      next[i] /= wSum;
      moved += (next[i] - z[i]) ** 2;
      norm += next[i] ** 2;
    }
    z = Float64Array.from(next);
    if (Math.sqrt(moved) <= tol * Math.max(1, Math.sqrt(norm))) break;
  }
  return z;
}

/** The initial b_dec for rows the SAE will see (already scaled). */
export function initialDecoderBias(init: DecoderBiasInit, rows: Float32Array, dIn: number): Float32Array {
  switch (init) {
    case 'zeros':
      return new Float32Array(dIn);
    case 'mean':
      return Float32Array.from(meanRow(rows, dIn));
    case 'geometric_median':
      return Float32Array.from(geometricMedian(rows, dIn));
  }
}

/** rows * s, in place (s = 1 leaves the rows untouched). */
export function scaleRowsInPlace(rows: Float32Array, s: number): Float32Array {
  if (s !== 1) for (let i = 0; i < rows.length; i++) rows[i] *= s;
  return rows;
}
