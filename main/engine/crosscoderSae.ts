/**
 * A crosscoder as the engine's SAE over the pair: the rows [x_A | x_B] (raw activations side by
 * side, 2 x d_in wide) through a JumpReLU SaeWeights whose tensors fold in everything the
 * crosscoder's encoding adds (formats/crosscoder.ts), so every engine path that runs an SAE
 * (runSae's dense and sparse outputs, the index build, evals) runs a crosscoder unchanged:
 *   W_enc' [(m, i), j] = W_enc[m][i][j] / s_m       (the input scales, folded)
 *   b_enc' = b_enc, no b_dec subtracted              (apply_b_dec_to_input false)
 *   threshold'_j = threshold_j / N_j, N_j = ||W_dec[0][j]|| + ||W_dec[1][j]||
 *       (f_j * N_j > t_j  <=>  pre_j > t_j / N_j wherever relu(pre_j) can be nonzero;
 *        a latent with N_j = 0 never fires)
 *   W_dec' [j, (m, i)] = s_m * W_dec[m][j][i],  b_dec' = [s_A b_dec[0] | s_B b_dec[1]]
 * so sae_out = [x_hat_A | x_hat_B] in the models' own units.
 */
import { crosscoderDecoderNorms, type CrosscoderConfig, type CrosscoderWeights } from '../formats/crosscoder';
import type { SaeConfig, SaeWeights } from '../formats/sae';

/** Larger than any finite activation: the threshold of a latent that writes nothing. */
const NEVER = 3e38;

export function crosscoderAsSae(cc: CrosscoderWeights): SaeWeights {
  const { dIn: d, dSae, normScaleA, normScaleB } = cc.config;
  const scales = [normScaleA, normScaleB];
  const W_enc = new Float32Array(2 * d * dSae);
  for (let m = 0; m < 2; m++) for (let i = 0; i < d; i++) for (let j = 0; j < dSae; j++) W_enc[(m * d + i) * dSae + j] = cc.W_enc.data[(m * d + i) * dSae + j] / scales[m];
  const W_dec = new Float32Array(dSae * 2 * d);
  for (let j = 0; j < dSae; j++) for (let m = 0; m < 2; m++) for (let i = 0; i < d; i++) W_dec[j * 2 * d + m * d + i] = cc.W_dec.data[(m * dSae + j) * d + i] * scales[m];
  const b_dec = Float32Array.from({ length: 2 * d }, (_, i) => cc.b_dec.data[i] * scales[i < d ? 0 : 1]);
  const [na, nb] = crosscoderDecoderNorms(cc);
  const threshold = Float32Array.from({ length: dSae }, (_, j) => (na[j] + nb[j] > 0 ? cc.threshold.data[j] / (na[j] + nb[j]) : NEVER));
  return {
    config: crosscoderSaeConfig(cc.config),
    W_enc: { data: W_enc, shape: [2 * d, dSae] },
    W_dec: { data: W_dec, shape: [dSae, 2 * d] },
    b_enc: { data: Float32Array.from(cc.b_enc.data), shape: [dSae] },
    b_dec: { data: b_dec, shape: [2 * d] },
    threshold: { data: threshold, shape: [dSae] },
  };
}

/** The SaeConfig of that view: JumpReLU over 2 x d_in, no b_dec on the input; named by model B's hook. */
export function crosscoderSaeConfig(c: CrosscoderConfig): SaeConfig {
  const m = /^blocks\.(\d+)\./.exec(c.hookNameB);
  return {
    architecture: 'jumprelu',
    dIn: 2 * c.dIn,
    dSae: c.dSae,
    k: null,
    hookName: c.hookNameB,
    hookLayer: m ? Number(m[1]) : null,
    modelName: c.modelB,
    dtype: 'float32',
    applyBDecToInput: false,
    normalizeActivations: 'none',
    rescaleActsByDecoderNorm: false,
    contextSize: c.contextSize,
    prependBos: c.prependBos,
    inputScalingFactor: null,
    cfgGeneration: 'crosscoder',
    raw: {},
  };
}

/**
 * One decoder of a crosscoder as an SAE of that model, for what reads decoder rows only (steering
 * directions): W_dec = s_m W_dec[m] and b_dec = s_m b_dec[m], in model m's units, at its hook. It
 * is NOT an encoder (a crosscoder's latents need both models' activations at once): its encoder
 * never fires, and callers that encode check `crosscoderSide` first.
 */
export function crosscoderDecoderView(cc: CrosscoderWeights, side: 0 | 1): SaeWeights {
  const { dIn: d, dSae } = cc.config;
  const s = side === 0 ? cc.config.normScaleA : cc.config.normScaleB;
  const hook = side === 0 ? cc.config.hookNameA : cc.config.hookNameB;
  const m = /^blocks\.(\d+)\./.exec(hook);
  return {
    config: { ...crosscoderSaeConfig(cc.config), dIn: d, hookName: hook, hookLayer: m ? Number(m[1]) : null, modelName: side === 0 ? cc.config.modelA : cc.config.modelB },
    W_enc: { data: new Float32Array(d * dSae), shape: [d, dSae] },
    b_enc: { data: new Float32Array(dSae), shape: [dSae] },
    W_dec: { data: Float32Array.from(cc.W_dec.data.subarray(side * dSae * d, (side + 1) * dSae * d), (v) => v * s), shape: [dSae, d] },
    b_dec: { data: Float32Array.from(cc.b_dec.data.subarray(side * d, (side + 1) * d), (v) => v * s), shape: [d] },
    threshold: { data: new Float32Array(dSae).fill(NEVER), shape: [dSae] },
  };
}

/** Rows of two [n, d] activation arrays side by side: [n, 2d]. */
export function pairRows(xA: Float32Array, xB: Float32Array, d: number): Float32Array {
  const n = xA.length / d;
  if (xB.length !== xA.length) throw new Error(`pairRows: ${xA.length} and ${xB.length} values`);
  const out = new Float32Array(2 * n * d);
  for (let r = 0; r < n; r++) {
    out.set(xA.subarray(r * d, (r + 1) * d), 2 * r * d);
    out.set(xB.subarray(r * d, (r + 1) * d), (2 * r + 1) * d);
  }
  return out;
}
