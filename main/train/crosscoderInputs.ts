/**
 * A crosscoder's input: each model's activations divided by a scalar s_m chosen so that
 * E||x_m / s_m||^2 = d_in (estimated before training on the first training rows, saved as
 * cfg.json's norm_scale_a/b), the two side by side per token ([x_A / s_A | x_B / s_B]).
 */
import { WorkbenchError } from '../errors';

/** s with mean ||x / s||^2 = d over the rows of x [n, d] (float64). */
export function normScaleFor(rows: Float32Array, d: number, what: string): number {
  const n = rows.length / d;
  let sq = 0;
  for (let i = 0; i < rows.length; i++) sq += rows[i] * rows[i];
  const s = Math.sqrt(sq / Math.max(1, n) / d);
  if (!(s > 0) || !Number.isFinite(s)) {
    throw new WorkbenchError('CROSSCODER_ZERO_INPUT', `${what} is ${s === 0 ? 'zero' : 'not finite'} on all ${n} rows the input scale is estimated on.`, 'Choose a hook that carries the model\'s activations (a residual stream hook), or check the model\'s weights.');
  }
  return s;
}

/** [B, 2d]: row r = [xA[r] / sA | xB[r] / sB]. */
export function pairedInput(batch: Record<string, Float32Array>, pair: { keys: [string, string]; scales: [number, number] }, d: number): Float32Array {
  const a = batch[pair.keys[0]];
  const b = batch[pair.keys[1]];
  const n = a.length / d;
  const out = new Float32Array(2 * n * d);
  const ia = 1 / pair.scales[0];
  const ib = 1 / pair.scales[1];
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      out[2 * r * d + i] = a[r * d + i] * ia;
      out[(2 * r + 1) * d + i] = b[r * d + i] * ib;
    }
  }
  return out;
}
