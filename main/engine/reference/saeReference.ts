import type { SaeWeights } from '../../formats/sae';
import { rowNorms } from '../../formats/tensor';

/** Row r of x normalised as the SAE's input, and the inverse to apply to its reconstruction. */
function normalizedRow(sae: SaeWeights, x: ArrayLike<number>, r: number): { row: number[]; undo: (v: number[]) => number[] } {
  const c = sae.config;
  const dIn = c.dIn;
  let row = Array.from({ length: dIn }, (_, i) => x[r * dIn + i]);
  let undo = (v: number[]): number[] => v;
  if (c.normalizeActivations === 'constant_norm_rescale') {
    const coeff = Math.sqrt(dIn) / Math.sqrt(row.reduce((a, v) => a + v * v, 0));
    row = row.map((v) => v * coeff);
    undo = (v) => v.map((e) => e / coeff);
  } else if (c.normalizeActivations === 'layer_norm') {
    const mu = row.reduce((a, v) => a + v, 0) / dIn;
    const centered = row.map((v) => v - mu);
    const std = Math.sqrt(centered.reduce((a, v) => a + v * v, 0) / (dIn - 1));
    row = centered.map((v) => v / (std + 1e-5));
    undo = (v) => v.map((e) => e * std + mu);
  } else if (c.normalizeActivations === 'expected_average_only_in' && c.inputScalingFactor !== null) {
    const f = c.inputScalingFactor;
    row = row.map((v) => v * f);
    undo = (v) => v.map((e) => e / f);
  }
  return { row, undo };
}

function decodeRow(sae: SaeWeights, acts: ArrayLike<number>, offset: number, norms: Float64Array, undo: (v: number[]) => number[]): number[] {
  const { dIn, dSae, rescaleActsByDecoderNorm } = sae.config;
  const xhat = new Array<number>(dIn).fill(0);
  for (let j = 0; j < dSae; j++) {
    const v = acts[offset + j];
    if (v === 0) continue;
    const a = rescaleActsByDecoderNorm ? v / norms[j] : v;
    for (let i = 0; i < dIn; i++) xhat[i] += a * sae.W_dec.data[j * dIn + i];
  }
  return undo(xhat.map((v, i) => v + sae.b_dec.data[i]));
}

/**
 * Float64 sae_lens v6 encode/decode written straight from the definitions (tests only): no
 * folding, per-row loops. x is [n * dIn] row-major.
 */
export function referenceSae(sae: SaeWeights, x: ArrayLike<number>, n: number): { featureActs: Float64Array; saeOut: Float64Array } {
  const c = sae.config;
  const { dIn, dSae } = c;
  const featureActs = new Float64Array(n * dSae);
  const saeOut = new Float64Array(n * dIn);
  const norms = rowNorms(sae.W_dec.data, sae.config.dSae, sae.config.dIn);
  for (let r = 0; r < n; r++) {
    const { row: normalized, undo } = normalizedRow(sae, x, r);
    const row = c.applyBDecToInput ? normalized.map((v, i) => v - sae.b_dec.data[i]) : normalized;
    const pre = new Float64Array(dSae);
    for (let j = 0; j < dSae; j++) {
      let s = sae.b_enc.data[j];
      for (let i = 0; i < dIn; i++) s += row[i] * sae.W_enc.data[i * dSae + j];
      pre[j] = c.rescaleActsByDecoderNorm ? s * norms[j] : s;
    }
    const acts = new Float64Array(dSae);
    if (c.architecture === 'topk') {
      const order = Array.from(pre.keys()).sort((a, b) => pre[b] - pre[a]);
      for (const j of order.slice(0, c.k as number)) acts[j] = Math.max(0, pre[j]);
    } else if (c.architecture === 'standard') {
      for (let j = 0; j < dSae; j++) acts[j] = Math.max(0, pre[j]);
    } else {
      for (let j = 0; j < dSae; j++) acts[j] = pre[j] > sae.threshold!.data[j] ? Math.max(0, pre[j]) : 0;
    }
    featureActs.set(acts, r * dSae);
    saeOut.set(decodeRow(sae, acts, 0, norms, undo), r * dIn);
  }
  return { featureActs, saeOut };
}

/**
 * Float64 decode of given latents `acts` [n * dSae] for the inputs x [n * dIn] they belong to
 * (x fixes the input normalisation the decode undoes): x_hat(acts). Tests only.
 */
export function referenceSaeDecode(sae: SaeWeights, acts: ArrayLike<number>, x: ArrayLike<number>, n: number): Float64Array {
  const { dIn, dSae } = sae.config;
  const norms = rowNorms(sae.W_dec.data, sae.config.dSae, sae.config.dIn);
  const out = new Float64Array(n * dIn);
  for (let r = 0; r < n; r++) out.set(decodeRow(sae, acts, r * dSae, norms, normalizedRow(sae, x, r).undo), r * dIn);
  return out;
}
