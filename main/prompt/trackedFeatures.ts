import type { PromptTrackedFeature } from '../../preload/api';
import type { DeviceChoice } from '../engine/executionProviders';
import { runSae } from '../engine/runner';
import type { SaeWeights } from '../formats/sae';
import type { Tensor32 } from '../formats/tensor';

/** Rows encoded densely at a time for non-TopK SAEs: bounds the [rows, d_sae] buffer (64 x 131k floats = 32 MB). */
const DENSE_ROWS = 64;

/**
 * Chosen features' activations at every token, exactly. A TopK SAE's sparse output already holds
 * every nonzero activation (a feature outside the top k is 0), so it is read from there; other
 * architectures keep features below the strongest few, so those rows are encoded densely in
 * small chunks and only the chosen columns kept. Labels are added by the api layer (the user's).
 */
export async function trackedActivations(
  sae: SaeWeights,
  acts: Tensor32,
  sparse: { indices: BigInt64Array; values: Float32Array; width: number },
  features: number[],
  device: DeviceChoice,
): Promise<PromptTrackedFeature[]> {
  const c = sae.config;
  const n = acts.data.length / c.dIn;
  const out = features.map((feature) => ({ feature, label: null as string | null, activations: new Array<number>(n).fill(0) }));
  const column = new Map(features.map((f, i) => [f, i]));
  if (c.architecture === 'topk') {
    for (let row = 0; row < n; row++) {
      for (let j = row * sparse.width; j < (row + 1) * sparse.width; j++) {
        const i = column.get(Number(sparse.indices[j]));
        if (i !== undefined && sparse.values[j] > 0) out[i].activations[row] = sparse.values[j];
      }
    }
    return out;
  }
  for (let r = 0; r < n; r += DENSE_ROWS) {
    const rows = Math.min(DENSE_ROWS, n - r);
    const slice: Tensor32 = { data: acts.data.subarray(r * c.dIn, (r + rows) * c.dIn), shape: [rows, c.dIn] };
    const dense = (await runSae(sae, slice, ['feature_acts'], { device })).outputs.feature_acts!.data as Float32Array;
    for (let row = 0; row < rows; row++) for (const [f, i] of column) out[i].activations[r + row] = dense[row * c.dSae + f];
  }
  return out;
}
