import type { LayerNormWeights, TransformerBlockWeights, TransformerWeights } from '../../formats/transformer';
import { LN_FINAL_HOOK } from '../hooks';
import { kvHeadFor, kvHeadsOf } from '../groupedQuery';
import { rmsNormRows } from '../rmsNorm';
import { rotateHeadInPlace, rotaryOf, rotaryTables } from '../rotary';

/** Called with each block's resid_post row (a view: edit it in place) before it flows on. */
export type ResidPostEdit = (layer: number, position: number, row: Float64Array) => void;

/**
 * Float64 model forward for ONE unpadded sequence, written for clarity, not speed: the yardstick
 * for the ONNX graphs in tests and the bench's device check, and the demo bundle's measurement of
 * its planted mechanism. Returns every hook as [seq * width] row-major (including
 * blocks.L.mlp.hook_post), plus logits [seq * dVocab]. `start` begins at a residual hook;
 * `editResidPost` ablates or steers. Rotary models rotate q and k by sequence index (no
 * hook_pos_embed); parallel blocks add attn(ln1(x)) and mlp(ln2(x)) of the same x (no
 * hook_resid_mid). Llama-style models add RMSNorm, grouped-query attention (query head h reads
 * KV head floor(h / group)) and the gated MLP act(x W_gate) * (x W_in + b_in).
 */
export function referenceForward(
  w: TransformerWeights,
  tokens: number[],
  start?: { hook: string; activation: Float64Array },
  editResidPost?: ResidPostEdit,
): { hooks: Map<string, Float64Array>; logits: Float64Array } {
  const c = w.config;
  const S = tokens.length || (start ? start.activation.length / c.dModel : 0);
  const d = c.dModel;
  const hooks = new Map<string, Float64Array>();
  const matmul = (x: Float64Array, W: Float32Array, b: Float32Array | null, rows: number, k: number, m: number): Float64Array => {
    const out = new Float64Array(rows * m);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < m; j++) {
        let s = b ? b[j] : 0;
        for (let i = 0; i < k; i++) s += x[r * k + i] * W[i * m + j];
        out[r * m + j] = s;
      }
    return out;
  };
  const layerNorm = (x: Float64Array, ln: LayerNormWeights): Float64Array => {
    if (c.normalization === 'RMS') return rmsNormRows(x, S, ln.w!.data, c.lnEps);
    const out = new Float64Array(x.length);
    for (let r = 0; r < S; r++) {
      let mean = 0;
      for (let i = 0; i < d; i++) mean += x[r * d + i];
      mean /= d;
      let v = 0;
      for (let i = 0; i < d; i++) v += (x[r * d + i] - mean) ** 2;
      const inv = 1 / Math.sqrt(v / d + c.lnEps);
      for (let i = 0; i < d; i++) {
        const y = (x[r * d + i] - mean) * inv;
        out[r * d + i] = c.normalization === 'LN' && ln.w ? y * ln.w.data[i] + (ln.b ? ln.b.data[i] : 0) : y;
      }
    }
    return out;
  };
  const act = (x: number): number => {
    switch (c.activation) {
      case 'relu':
        return Math.max(0, x);
      case 'silu':
        return x / (1 + Math.exp(-x));
      case 'gelu':
        return 0.5 * x * (1 + erf(x / Math.SQRT2));
      default:
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    }
  };
  const rotary = c.positional === 'rotary' ? rotaryOf(c) : null;
  const tables = rotary ? rotaryTables(rotary, S) : null;
  const nKv = kvHeadsOf(c);
  const attention = (x: Float64Array, b: TransformerBlockWeights): Float64Array => {
    const hd = c.nHeads * c.dHead;
    const kvd = nKv * c.dHead;
    const q = matmul(x, b.W_Q.data, b.b_Q.data, S, d, hd);
    const k = matmul(x, b.W_K.data, b.b_K.data, S, d, kvd);
    if (rotary && tables)
      for (let p = 0; p < S; p++) {
        for (let h = 0; h < c.nHeads; h++) rotateHeadInPlace(q, p * hd + h * c.dHead, p, rotary, tables);
        for (let h = 0; h < nKv; h++) rotateHeadInPlace(k, p * kvd + h * c.dHead, p, rotary, tables);
      }
    const v = matmul(x, b.W_V.data, b.b_V.data, S, d, kvd);
    const z = new Float64Array(S * hd);
    for (let h = 0; h < c.nHeads; h++) {
      const kvOff = kvHeadFor(h, c.nHeads, nKv) * c.dHead;
      for (let i = 0; i < S; i++) {
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let e = 0; e < c.dHead; e++) s += q[i * hd + h * c.dHead + e] * k[j * kvd + kvOff + e];
          scores.push(s / c.attnScale);
        }
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const sum = exps.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= i; j++) for (let e = 0; e < c.dHead; e++) z[i * hd + h * c.dHead + e] += (exps[j] / sum) * v[j * kvd + kvOff + e];
      }
    }
    return matmul(z, b.W_O.data, b.b_O.data, S, hd, d);
  };
  const add = (a: Float64Array, b: Float64Array): Float64Array => a.map((x, i) => x + b[i]);

  let resid: Float64Array;
  let firstLayer = 0;
  let skipAttn = false;
  if (start) {
    resid = Float64Array.from(start.activation);
    const m = /^blocks\.(\d+)\.hook_(resid_pre|resid_mid|resid_post)$/.exec(start.hook);
    if (!m) throw new Error(`reference: bad start ${start.hook}`);
    firstLayer = Number(m[1]) + (m[2] === 'resid_post' ? 1 : 0);
    skipAttn = m[2] === 'resid_mid';
    if (skipAttn && c.parallelAttnMlp) throw new Error(`reference: ${start.hook} does not exist in a parallel-block model`);
  } else {
    const embed = new Float64Array(S * d);
    const pos = new Float64Array(S * d);
    tokens.forEach((t, p) => {
      for (let i = 0; i < d; i++) {
        embed[p * d + i] = w.W_E.data[t * d + i];
        pos[p * d + i] = w.W_pos.data[p * d + i];
      }
    });
    hooks.set('hook_embed', embed);
    if (rotary) resid = Float64Array.from(embed);
    else {
      hooks.set('hook_pos_embed', pos);
      resid = add(embed, pos);
    }
  }
  for (let l = firstLayer; l < c.nLayers; l++) {
    const b = w.blocks[l];
    let attnOut: Float64Array | null = null;
    if (!(skipAttn && l === firstLayer)) {
      hooks.set(`blocks.${l}.hook_resid_pre`, resid);
      attnOut = attention(layerNorm(resid, b.ln1), b);
      hooks.set(`blocks.${l}.hook_attn_out`, attnOut);
      if (!c.parallelAttnMlp) resid = add(resid, attnOut);
    }
    if (!c.parallelAttnMlp) hooks.set(`blocks.${l}.hook_resid_mid`, resid);
    const normed = layerNorm(resid, b.ln2);
    let h = matmul(normed, b.W_in.data, b.b_in.data, S, d, c.dMlp);
    if (c.gatedMlp) {
      const gate = matmul(normed, b.W_gate!.data, null, S, d, c.dMlp);
      h = h.map((up, i) => act(gate[i]) * up);
    } else h = h.map(act);
    hooks.set(`blocks.${l}.mlp.hook_post`, h);
    const mlpOut = matmul(h, b.W_out.data, b.b_out.data, S, c.dMlp, d);
    hooks.set(`blocks.${l}.hook_mlp_out`, mlpOut);
    resid = add(c.parallelAttnMlp && attnOut ? add(resid, attnOut) : resid, mlpOut);
    if (editResidPost) for (let p = 0; p < S; p++) editResidPost(l, p, resid.subarray(p * d, (p + 1) * d));
    hooks.set(`blocks.${l}.hook_resid_post`, resid);
  }
  const normalized = layerNorm(resid, w.lnFinal);
  hooks.set(LN_FINAL_HOOK, normalized);
  return { hooks, logits: matmul(normalized, w.W_U.data, w.b_U.data, S, d, c.dVocab) };
}

/** erf to ~1e-15 via its Taylor series / continued fraction (Math has no erf). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let sum = ax;
    let term = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction for erfc at |x| >= 3.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}
