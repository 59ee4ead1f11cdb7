/**
 * Edits of chosen SAE latents, spliced into the activations they came from:
 *
 *   x' = x_hat(a with a_f := v_f for f in F) + (x - x_hat(a))
 *
 * so the SAE's error term is kept and only the chosen latents change (zero- or mean-ablation of a
 * feature set, or swapping in another run's latents). Decoding is linear in the latents once the
 * input normalisation of x is fixed, so this equals
 *
 *   x' = x + s(x) * sum_f (v_f - a_f) * W_dec'[f]
 *
 * with W_dec'[f] the decoder row (divided by ||W_dec[f]|| when acts were rescaled by it) and s(x)
 * the scale the SAE's output de-normalisation applies: 1 for none, ||x|| / sqrt(d_in) for
 * constant_norm_rescale, the row's unbiased std for layer_norm, 1 / factor for an unfolded
 * expected_average_only_in. Only the |F| changed latents cost anything.
 */
import { WorkbenchError } from '../errors';
import type { SaeWeights } from '../formats/sae';
import type { Tensor32 } from '../formats/tensor';
import type { DeviceChoice } from './executionProviders';
import { runSae } from './runner';

/** Rows per dense encode of a non-TopK SAE: bounds the [rows, d_sae] buffer to ~128 MB. */
function denseRowChunk(dSae: number): number {
  return Math.max(1, Math.floor((32 * 1024 * 1024) / dSae));
}

export function checkFeatures(sae: SaeWeights, features: readonly number[]): void {
  const bad = features.find((f) => !Number.isInteger(f) || f < 0 || f >= sae.config.dSae);
  if (bad !== undefined) {
    throw new WorkbenchError('SAE_FEATURE_OUT_OF_RANGE', `Feature ${bad} is not a feature of the SAE at "${sae.config.hookName}" (d_sae ${sae.config.dSae}: 0..${sae.config.dSae - 1}).`, 'Choose feature ids below d_sae.');
  }
}

/**
 * The activations of `features` for every row of x [n, d_in], as [n, |features|] (row-major):
 * from the sparse TopK outputs, or dense encodes in bounded row chunks for other architectures.
 */
export async function encodeFeatureColumns(sae: SaeWeights, x: Tensor32, features: readonly number[], opts: { device?: DeviceChoice } = {}): Promise<Float32Array> {
  checkFeatures(sae, features);
  const { dIn, dSae } = sae.config;
  const n = x.data.length / dIn;
  const m = features.length;
  const out = new Float32Array(n * m);
  if (m === 0 || n === 0) return out;
  const column = new Map<number, number[]>();
  features.forEach((f, j) => column.set(f, [...(column.get(f) ?? []), j]));
  if (sae.config.architecture === 'topk') {
    const run = await runSae(sae, x, ['feature_indices', 'feature_values'], opts);
    const idx = run.outputs.feature_indices!.data as BigInt64Array;
    const vals = run.outputs.feature_values!.data as Float32Array;
    const k = run.outputs.feature_values!.shape[1];
    for (let r = 0; r < n; r++) {
      for (let t = r * k; t < (r + 1) * k; t++) {
        const cols = column.get(Number(idx[t]));
        if (cols) for (const j of cols) out[r * m + j] = vals[t];
      }
    }
    return out;
  }
  const chunk = denseRowChunk(dSae);
  for (let r0 = 0; r0 < n; r0 += chunk) {
    const rows = Math.min(chunk, n - r0);
    const part = await runSae(sae, { data: x.data.subarray(r0 * dIn, (r0 + rows) * dIn), shape: [rows, dIn] }, ['feature_acts'], opts);
    const dense = part.outputs.feature_acts!.data as Float32Array;
    for (let r = 0; r < rows; r++) features.forEach((f, j) => (out[(r0 + r) * m + j] = dense[r * dSae + f]));
  }
  return out;
}

/** What one unit of feature f's activation adds to the reconstruction before de-normalisation. */
export function decoderUnitDirections(sae: SaeWeights, features: readonly number[]): Float64Array[] {
  checkFeatures(sae, features);
  const { dIn, rescaleActsByDecoderNorm } = sae.config;
  return features.map((f) => {
    const row = Float64Array.from(sae.W_dec.data.subarray(f * dIn, (f + 1) * dIn));
    if (!rescaleActsByDecoderNorm) return row;
    const norm = Math.sqrt(row.reduce((a, v) => a + v * v, 0));
    return row.map((v) => (norm === 0 ? 0 : v / norm));
  });
}

/** s(x): how the SAE's output de-normalisation scales a change of the decoded vector, for one row. */
export function reconstructionScale(sae: SaeWeights, row: ArrayLike<number>): number {
  const c = sae.config;
  const d = c.dIn;
  switch (c.normalizeActivations) {
    case 'constant_norm_rescale': {
      let ss = 0;
      for (let i = 0; i < d; i++) ss += row[i] * row[i];
      return Math.sqrt(ss) / Math.sqrt(d);
    }
    case 'layer_norm': {
      let mu = 0;
      for (let i = 0; i < d; i++) mu += row[i];
      mu /= d;
      let ss = 0;
      for (let i = 0; i < d; i++) ss += (row[i] - mu) ** 2;
      return Math.sqrt(ss / (d - 1));
    }
    case 'expected_average_only_in':
      return c.inputScalingFactor === null ? 1 : 1 / c.inputScalingFactor;
    default:
      return 1;
  }
}

/**
 * x' for each row: the chosen latents moved from `current` (their activations, [n, m]) to
 * `target` ([n, m], or one value per feature for every row), spliced as described above.
 */
export function spliceLatents(sae: SaeWeights, x: Tensor32, features: readonly number[], current: Float32Array, target: Float32Array | readonly number[]): Tensor32 {
  const d = sae.config.dIn;
  const n = x.data.length / d;
  const m = features.length;
  const perRow = target instanceof Float32Array;
  if (current.length !== n * m || (perRow && target.length !== n * m) || (!perRow && target.length !== m)) {
    throw new WorkbenchError('ENGINE_EDIT_SHAPE', `Latent edit: ${features.length} features over ${n} rows need [${n}, ${m}] activations.`, 'Pass the activations encodeFeatureColumns returned.');
  }
  const dirs = decoderUnitDirections(sae, features);
  const out = new Float32Array(x.data);
  const delta = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    let any = false;
    delta.fill(0);
    for (let j = 0; j < m; j++) {
      const change = (perRow ? target[r * m + j] : target[j]) - current[r * m + j];
      if (change === 0) continue;
      any = true;
      const dir = dirs[j];
      for (let i = 0; i < d; i++) delta[i] += change * dir[i];
    }
    if (!any) continue;
    const base = r * d;
    const s = reconstructionScale(sae, x.data.subarray(base, base + d));
    for (let i = 0; i < d; i++) out[base + i] = x.data[base + i] + s * delta[i];
  }
  return { data: out, shape: x.shape };
}
