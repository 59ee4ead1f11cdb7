/**
 * The whole SAE training step in float64, written straight from the definitions with per-token
 * loops (tests only): sae_lens 6.x TopK / BatchTopK forward with decoder-norm rescaling, MSE
 * summed over d_in and averaged over tokens, AuxK over the dead latents (no b_dec, see
 * trainStepGraph.ts), the gradients by hand, torch's clip_grad_norm_ and torch's Adam.
 * BatchTopK here has no per-token cap (exact sae_lens semantics).
 */
import { PARAM_NAMES, type ParamName, type SaeTensors } from '../saeParams';
import type { SaeActivation } from '../trainStepGraph';

export type Tensors64 = Record<ParamName, Float64Array>;

export interface ReferenceSpec {
  dIn: number;
  dSae: number;
  k: number;
  activation: SaeActivation;
  beta1: number;
  beta2: number;
  eps: number;
  clipNorm: number;
}

export interface ReferenceLoss {
  mse: number;
  aux: number;
  /** Per token, the selected latents and their feature acts relu(pre * n). */
  selected: { latent: number; act: number }[][];
}

export function to64(t: SaeTensors): Tensors64 {
  return Object.fromEntries(PARAM_NAMES.map((n) => [n, Float64Array.from(t[n])])) as Tensors64;
}

interface Forward {
  s: Float64Array[];
  pre: Float64Array[];
  norms: Float64Array;
  selected: { latent: number; act: number }[][];
  e: Float64Array[];
}

/** Indices of `values` sorted by value, largest first (ties: lower index first, as ORT's TopK). */
function order(values: ArrayLike<number>, among: number[]): number[] {
  return [...among].sort((a, b) => values[b] - values[a] || a - b);
}

function forward(spec: ReferenceSpec, p: Tensors64, x: ArrayLike<number>, B: number): Forward {
  const { dIn, dSae } = spec;
  const norms = new Float64Array(dSae);
  for (let j = 0; j < dSae; j++) {
    let q = 0;
    for (let i = 0; i < dIn; i++) q += p.W_dec[j * dIn + i] ** 2;
    norms[j] = Math.sqrt(q);
  }
  const s: Float64Array[] = [];
  const pre: Float64Array[] = [];
  for (let b = 0; b < B; b++) {
    const sb = Float64Array.from({ length: dIn }, (_, i) => x[b * dIn + i] - p.b_dec[i]);
    const pb = new Float64Array(dSae);
    for (let j = 0; j < dSae; j++) {
      let acc = p.b_enc[j];
      for (let i = 0; i < dIn; i++) acc += sb[i] * p.W_encT[j * dIn + i];
      pb[j] = acc;
    }
    s.push(sb);
    pre.push(pb);
  }
  const all = Array.from({ length: dSae }, (_, j) => j);
  let selected: { latent: number; act: number }[][];
  if (spec.activation === 'topk') {
    selected = pre.map((pb) => {
      const hp = pb.map((v, j) => v * norms[j]);
      return order(hp, all)
        .slice(0, spec.k)
        .map((j) => ({ latent: j, act: Math.max(0, hp[j]) }))
        .filter((a) => a.act > 0);
    });
  } else {
    const flat: { b: number; j: number; v: number }[] = [];
    pre.forEach((pb, b) => pb.forEach((v, j) => flat.push({ b, j, v: Math.max(0, v * norms[j]) })));
    flat.sort((u, w) => w.v - u.v || u.b * dSae + u.j - (w.b * dSae + w.j));
    selected = pre.map(() => []);
    for (const f of flat.slice(0, spec.k * B)) if (f.v > 0) selected[f.b].push({ latent: f.j, act: f.v });
  }
  const e = selected.map((sel, b) => {
    const eb = Float64Array.from({ length: dIn }, (_, i) => p.b_dec[i] - x[b * dIn + i]);
    for (const { latent, act } of sel) for (let i = 0; i < dIn; i++) eb[i] += (act / norms[latent]) * p.W_dec[latent * dIn + i];
    return eb;
  });
  return { s, pre, norms, selected, e };
}

/** sae_lens' AuxK settings: k_aux = d_in / 2 (at most n_dead), scale = min(n_dead / (d_in / 2), 1). */
function auxSettings(dIn: number, nDead: number): { kAux: number; scale: number } {
  const half = Math.floor(dIn / 2);
  return { kAux: Math.min(half, nDead), scale: Math.min(nDead / half, 1) };
}

/** Per token: the chosen dead latents and their raw pre-activations (un-rescaled). */
function auxChoice(spec: ReferenceSpec, f: Forward, dead: number[]): { latent: number; pre: number }[][] {
  const { kAux } = auxSettings(spec.dIn, dead.length);
  return f.pre.map((pb) => {
    const hp = pb.map((v, j) => v * f.norms[j]);
    return order(hp, dead)
      .slice(0, kAux)
      .map((j) => ({ latent: j, pre: hp[j] / f.norms[j] }));
  });
}

function auxResidualError(spec: ReferenceSpec, p: Tensors64, e: Float64Array[], choice: { latent: number; pre: number }[][]): Float64Array[] {
  return choice.map((ch, b) => {
    const ea = Float64Array.from(e[b]);
    for (const { latent, pre } of ch) for (let i = 0; i < spec.dIn; i++) ea[i] += pre * p.W_dec[latent * spec.dIn + i];
    return ea;
  });
}

/** x_hat - x per token: the residual AuxK reconstructs (detached from the graph in training). */
export function referenceError(spec: ReferenceSpec, p: Tensors64, x: ArrayLike<number>, B: number): Float64Array[] {
  return forward(spec, p, x, B).e;
}

/**
 * MSE and AuxK loss. `detachedError` stands in for x_hat - x inside the AuxK term (training
 * detaches it), so finite differences of this function see what backprop sees.
 */
export function referenceLoss(spec: ReferenceSpec, p: Tensors64, x: ArrayLike<number>, B: number, dead: number[], auxCoefficient: number, detachedError?: Float64Array[]): ReferenceLoss {
  const f = forward(spec, p, x, B);
  let sse = 0;
  for (const eb of f.e) for (const v of eb) sse += v * v;
  let aux = 0;
  if (dead.length > 0) {
    const ea = auxResidualError(spec, p, detachedError ?? f.e, auxChoice(spec, f, dead));
    let q = 0;
    for (const r of ea) for (const v of r) q += v * v;
    aux = (auxCoefficient * auxSettings(spec.dIn, dead.length).scale * q) / B;
  }
  return { mse: sse / B, aux, selected: f.selected };
}

export function referenceGradients(spec: ReferenceSpec, p: Tensors64, x: ArrayLike<number>, B: number, dead: number[], auxCoefficient: number): Tensors64 {
  const { dIn, dSae } = spec;
  const f = forward(spec, p, x, B);
  const grad = Object.fromEntries(PARAM_NAMES.map((n) => [n, new Float64Array(p[n].length)])) as Tensors64;
  const dpre: Float64Array[] = f.pre.map(() => new Float64Array(dSae));
  const dot = (v: Float64Array, j: number) => {
    let q = 0;
    for (let i = 0; i < dIn; i++) q += v[i] * p.W_dec[j * dIn + i];
    return q;
  };
  for (let b = 0; b < B; b++) {
    const gOut = f.e[b].map((v) => (2 * v) / B);
    for (let i = 0; i < dIn; i++) grad.b_dec[i] += gOut[i];
    for (const { latent, act } of f.selected[b]) {
      const c = act / f.norms[latent];
      for (let i = 0; i < dIn; i++) grad.W_dec[latent * dIn + i] += c * gOut[i];
      dpre[b][latent] += dot(gOut, latent);
    }
  }
  if (dead.length > 0) {
    const choice = auxChoice(spec, f, dead);
    const ea = auxResidualError(spec, p, f.e, choice);
    const w = (2 * auxCoefficient * auxSettings(dIn, dead.length).scale) / B;
    choice.forEach((ch, b) => {
      const ga = ea[b].map((v) => v * w);
      for (const { latent, pre } of ch) {
        for (let i = 0; i < dIn; i++) grad.W_dec[latent * dIn + i] += pre * ga[i];
        dpre[b][latent] += dot(ga, latent);
      }
    });
  }
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < dSae; j++) {
      const d = dpre[b][j];
      if (d === 0) continue;
      grad.b_enc[j] += d;
      for (let i = 0; i < dIn; i++) grad.W_encT[j * dIn + i] += d * f.s[b][i];
      // s = x - b_dec
      for (let i = 0; i < dIn; i++) grad.b_dec[i] -= d * p.W_encT[j * dIn + i];
    }
  }
  return grad;
}

export interface ReferenceStep {
  params: Tensors64;
  m: Tensors64;
  v: Tensors64;
  gradNorm: number;
  mse: number;
  aux: number;
}

/** One optimizer step: gradients, torch clip_grad_norm_, torch Adam (bias-corrected, step t >= 1). */
export function referenceStep(
  spec: ReferenceSpec,
  state: { params: SaeTensors; m: SaeTensors; v: SaeTensors },
  x: ArrayLike<number>,
  B: number,
  options: { lr: number; t: number; dead: number[]; auxCoefficient: number },
): ReferenceStep {
  const p = to64(state.params);
  const loss = referenceLoss(spec, p, x, B, options.dead, options.auxCoefficient);
  const grad = referenceGradients(spec, p, x, B, options.dead, options.auxCoefficient);
  return { ...clippedAdam(spec, p, state, grad, options), mse: loss.mse, aux: loss.aux };
}

/** torch clip_grad_norm_ over every gradient, then torch Adam (bias-corrected, step t >= 1); updates `p` in place. */
export function clippedAdam(
  spec: Pick<ReferenceSpec, 'beta1' | 'beta2' | 'eps' | 'clipNorm'>,
  p: Tensors64,
  state: { m: SaeTensors; v: SaeTensors },
  grad: Tensors64,
  options: { lr: number; t: number },
): { params: Tensors64; m: Tensors64; v: Tensors64; gradNorm: number } {
  let sq = 0;
  for (const n of PARAM_NAMES) for (const v of grad[n]) sq += v * v;
  const gradNorm = Math.sqrt(sq);
  const clip = Math.min(1, spec.clipNorm / (gradNorm + 1e-6));
  const bc1 = 1 - spec.beta1 ** options.t;
  const bc2 = 1 - spec.beta2 ** options.t;
  const m = to64(state.m);
  const v = to64(state.v);
  for (const n of PARAM_NAMES) {
    for (let i = 0; i < p[n].length; i++) {
      const g = grad[n][i] * clip;
      m[n][i] = spec.beta1 * m[n][i] + (1 - spec.beta1) * g;
      v[n][i] = spec.beta2 * v[n][i] + (1 - spec.beta2) * g * g;
      const denom = Math.sqrt(v[n][i]) / Math.sqrt(bc2) + spec.eps;
      p[n][i] -= (options.lr / bc1) * (m[n][i] / denom);
    }
  }
  return { params: p, m, v, gradNorm };
}
