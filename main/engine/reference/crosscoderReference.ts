/**
 * The crosscoder encoding of formats/crosscoder.ts in float64, written straight from the
 * formula (tests and small analyses): per token, the latents a and both reconstructions.
 */
import type { CrosscoderWeights } from '../../formats/crosscoder';

export interface CrosscoderEncoding64 {
  /** [n, d_sae] latents a_j. */
  acts: Float64Array;
  /** [n, d_in] reconstructions of each model. */
  xhatA: Float64Array;
  xhatB: Float64Array;
}

export function encodeCrosscoder64(cc: CrosscoderWeights, xA: ArrayLike<number>, xB: ArrayLike<number>): CrosscoderEncoding64 {
  const { dIn: d, dSae, normScaleA, normScaleB } = cc.config;
  const s = [normScaleA, normScaleB];
  const n = xA.length / d;
  const norms = new Float64Array(dSae);
  for (let m = 0; m < 2; m++) {
    for (let j = 0; j < dSae; j++) {
      let q = 0;
      for (let i = 0; i < d; i++) q += cc.W_dec.data[(m * dSae + j) * d + i] ** 2;
      norms[j] += Math.sqrt(q);
    }
  }
  const acts = new Float64Array(n * dSae);
  const xhat = [new Float64Array(n * d), new Float64Array(n * d)];
  for (let r = 0; r < n; r++) {
    const x = [xA, xB];
    for (let j = 0; j < dSae; j++) {
      let pre = cc.b_enc.data[j];
      for (let m = 0; m < 2; m++) for (let i = 0; i < d; i++) pre += (x[m][r * d + i] / s[m]) * cc.W_enc.data[(m * d + i) * dSae + j];
      const f = Math.max(0, pre);
      acts[r * dSae + j] = f * norms[j] > cc.threshold.data[j] ? f : 0;
    }
    for (let m = 0; m < 2; m++) {
      for (let i = 0; i < d; i++) {
        let v = cc.b_dec.data[m * d + i];
        for (let j = 0; j < dSae; j++) v += acts[r * dSae + j] * cc.W_dec.data[(m * dSae + j) * d + i];
        xhat[m][r * d + i] = s[m] * v;
      }
    }
  }
  return { acts, xhatA: xhat[0], xhatB: xhat[1] };
}
