/**
 * What a feature's decoder direction says on its own, computed once per index with ONNX graphs
 * (these are dense [d_sae x d_sae] and [d_sae x d_vocab] products: ORT, not JS loops):
 *  - similar features: the largest cosines between decoder rows of the same SAE;
 *  - logit effects: W_dec[f] @ W_U, the direct effect on each token's logit with no final
 *    LayerNorm, as sae_vis and Neuronpedia compute them; the top and bottom entries.
 */
import * as ort from 'onnxruntime-node';
import type { DeviceChoice } from '../engine/executionProviders';
import { createSessionWithFallback } from '../engine/executionProviders';
import { GraphBuilder } from '../engine/onnx/graphBuilder';

export interface TopEntries {
  /** k per row, row-major. */
  ids: Int32Array;
  values: Float32Array;
  k: number;
}

/** Rows per ORT call so one [rows, cols] product stays near 64 MB. */
function rowChunk(cols: number, rows: number): number {
  return Math.max(1, Math.min(rows, Math.floor((64 * 1024 * 1024) / (4 * cols))));
}

function int64Low(ids: BigInt64Array, i: number): number {
  return Number(ids[i]);
}

/**
 * Runs `rows @ weight` ([n, inner] x [inner, cols]) chunk by chunk and keeps the k largest
 * (`largest`) or smallest entries of each output row.
 */
export async function topOfProduct(rows: Float32Array, n: number, inner: number, weight: Float32Array, cols: number, k: number, modes: ('largest' | 'smallest')[], device: DeviceChoice): Promise<TopEntries[]> {
  const kk = Math.min(k, cols);
  const g = new GraphBuilder('top-of-product');
  const x = g.input('rows', 'float32', ['r', inner]);
  const product = g.matmul(x, g.initializerF32(weight, [inner, cols], 'W'));
  modes.forEach((mode, i) => {
    const [v, idx] = g.op('TopK', [product, g.ints([kk])], { axis: { int: -1 }, largest: { int: mode === 'largest' ? 1 : 0 }, sorted: { int: 1 } }, 2);
    g.output(v, `values_${i}`, 'float32', ['r', kk]);
    g.output(idx, `indices_${i}`, 'int64', ['r', kk]);
  });
  const { session } = await createSessionWithFallback(g.toModelSource(), device);
  try {
    const out = modes.map(() => ({ ids: new Int32Array(n * kk), values: new Float32Array(n * kk), k: kk }));
    const chunk = rowChunk(cols, n);
    for (let r = 0; r < n; r += chunk) {
      const m = Math.min(chunk, n - r);
      const res = await session.run({ rows: new ort.Tensor('float32', rows.subarray(r * inner, (r + m) * inner), [m, inner]) });
      modes.forEach((_, i) => {
        const v = res[`values_${i}`].data as Float32Array;
        const idx = res[`indices_${i}`].data as BigInt64Array;
        out[i].values.set(v, r * kk);
        for (let j = 0; j < m * kk; j++) out[i].ids[r * kk + j] = int64Low(idx, j);
      });
    }
    return out;
  } finally {
    await session.release();
  }
}

/** Unit decoder rows (zero rows stay zero): cosines become dot products. */
export function unitRows(W: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += W[i * d + j] ** 2;
    const norm = Math.sqrt(s);
    if (norm > 0) for (let j = 0; j < d; j++) out[i * d + j] = W[i * d + j] / norm;
  }
  return out;
}

/** For each feature, its `k` most similar other features by decoder cosine. */
export async function similarByDecoder(W_dec: Float32Array, dSae: number, dIn: number, k: number, device: DeviceChoice): Promise<TopEntries> {
  const unit = unitRows(W_dec, dSae, dIn);
  const transposed = new Float32Array(dIn * dSae);
  for (let i = 0; i < dSae; i++) for (let j = 0; j < dIn; j++) transposed[j * dSae + i] = unit[i * dIn + j];
  const [top] = await topOfProduct(unit, dSae, dIn, transposed, dSae, k + 1, ['largest'], device);
  // Drop each feature itself (it is normally first; duplicates of it may tie).
  const kk = Math.min(k, dSae - 1);
  const ids = new Int32Array(dSae * kk);
  const values = new Float32Array(dSae * kk);
  for (let f = 0; f < dSae; f++) {
    let c = 0;
    for (let j = 0; j < top.k && c < kk; j++) {
      const other = top.ids[f * top.k + j];
      if (other === f) continue;
      ids[f * kk + c] = other;
      values[f * kk + c] = top.values[f * top.k + j];
      c++;
    }
  }
  return { ids, values, k: kk };
}

/** For each feature, the `k` largest and smallest entries of W_dec[f] @ W_U. */
export async function logitEffects(W_dec: Float32Array, dSae: number, dIn: number, W_U: Float32Array, dVocab: number, k: number, device: DeviceChoice): Promise<{ positive: TopEntries; negative: TopEntries }> {
  const [positive, negative] = await topOfProduct(W_dec, dSae, dIn, W_U, dVocab, k, ['largest', 'smallest'], device);
  return { positive, negative };
}
