import type { LayerNormWeights, TransformerWeights } from '../formats/transformer';

/**
 * A float64 forward pass of the canonical TransformerWeights, written for clarity, not speed: it
 * checks the demo bundle's planted mechanism and measures its cross-entropy in tests and at
 * generation time (tiny models, short sequences). The app runs models through the ONNX engine.
 */
export interface Forward64 {
  /** [nLayers][seq][dModel]: blocks.L.hook_resid_post. */
  residPost: Float64Array[][];
  /** [nLayers][seq][dMlp]: the MLP's post-activation (TransformerLens blocks.L.mlp.hook_post). */
  mlpPost: Float64Array[][];
  /** [seq][dVocab] */
  logits: Float64Array[];
}

/** Called on each block's resid_post row before it flows on: ablation and steering in tests. */
export type ResidEdit = (layer: number, position: number, row: Float64Array) => void;

export function forward64(w: TransformerWeights, tokens: number[], editResidPost?: ResidEdit): Forward64 {
  const c = w.config;
  const d = c.dModel;
  const T = tokens.length;
  if (T > c.nCtx) throw new Error(`forward64: ${T} tokens exceed nCtx ${c.nCtx}`);
  let x: Float64Array[] = tokens.map((tok, t) => {
    const row = new Float64Array(d);
    for (let i = 0; i < d; i++) row[i] = w.W_E.data[tok * d + i] + w.W_pos.data[t * d + i];
    return row;
  });
  const residPost: Float64Array[][] = [];
  const mlpPost: Float64Array[][] = [];
  const H = c.nHeads;
  const dh = c.dHead;
  for (const b of w.blocks) {
    const h = x.map((r) => layerNorm(r, b.ln1, c.lnEps));
    const q = h.map((r) => affine(r, b.W_Q.data, b.b_Q.data, H * dh));
    const k = h.map((r) => affine(r, b.W_K.data, b.b_K.data, H * dh));
    const v = h.map((r) => affine(r, b.W_V.data, b.b_V.data, H * dh));
    const z = tokens.map(() => new Float64Array(H * dh));
    for (let head = 0; head < H; head++) {
      for (let t = 0; t < T; t++) {
        const scores = new Float64Array(t + 1);
        let max = -Infinity;
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let j = 0; j < dh; j++) dot += q[t][head * dh + j] * k[s][head * dh + j];
          scores[s] = dot / c.attnScale;
          max = Math.max(max, scores[s]);
        }
        let sum = 0;
        for (let s = 0; s <= t; s++) sum += (scores[s] = Math.exp(scores[s] - max));
        for (let s = 0; s <= t; s++) for (let j = 0; j < dh; j++) z[t][head * dh + j] += (scores[s] / sum) * v[s][head * dh + j];
      }
    }
    x = x.map((r, t) => add(r, affine(z[t], b.W_O.data, b.b_O.data, d)));
    const post = x.map((r) => affine(layerNorm(r, b.ln2, c.lnEps), b.W_in.data, b.b_in.data, c.dMlp).map(activation(c.activation)));
    x = x.map((r, t) => add(r, affine(post[t], b.W_out.data, b.b_out.data, d)));
    if (editResidPost) x.forEach((row, t) => editResidPost(residPost.length, t, row));
    mlpPost.push(post);
    residPost.push(x);
  }
  const logits = x.map((r) => affine(layerNorm(r, w.lnFinal, c.lnEps), w.W_U.data, w.b_U.data, c.dVocab));
  return { residPost, mlpPost, logits };
}

export function layerNorm(x: Float64Array, ln: LayerNormWeights, eps: number): Float64Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i] - mean) ** 2;
  variance /= n;
  const scale = 1 / Math.sqrt(variance + eps);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (x[i] - mean) * scale * (ln.w ? ln.w.data[i] : 1) + (ln.b ? ln.b.data[i] : 0);
  return out;
}

/** x [in] @ W [in, out] + b [out]. */
function affine(x: Float64Array, W: Float32Array, b: Float32Array, out: number): Float64Array {
  const y = new Float64Array(out);
  for (let j = 0; j < out; j++) y[j] = b[j];
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    for (let j = 0; j < out; j++) y[j] += xi * W[i * out + j];
  }
  return y;
}

function add(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v + b[i]);
}

export function geluNew(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

function activation(kind: TransformerWeights['config']['activation']): (x: number) => number {
  switch (kind) {
    case 'gelu_new':
      return geluNew;
    case 'relu':
      return (x) => Math.max(0, x);
    default:
      throw new Error(`forward64: activation ${kind} is not needed by the demo models`);
  }
}
