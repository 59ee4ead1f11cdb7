/**
 * One BatchTopK crosscoder training step in float64, written from the definitions of issue 19 in
 * per-model terms (two encoders, two decoders, two decoder biases), with per-token loops (tests
 * only). It reads and writes the training layout (saeParams with d_in = 2 x d: W_encT row j =
 * [enc_A_j | enc_B_j], W_dec row j = [dec_A_j | dec_B_j], b_dec = [b_dec_A | b_dec_B]), so the
 * test also checks that the graph's side-by-side layout means what the definitions say:
 *   pre_j = u_A . We[A][j] + u_B . We[B][j] + b_enc_j       (u_m: normalised inputs, no b_dec)
 *   v_j   = relu(pre_j) * (||Wd[A][j]|| + ||Wd[B][j]||)     selection value
 *   BatchTopK: the k x B largest v over the batch (no per-token cap), a_j = relu(pre_j) there
 *   x_hat_m = a @ Wd[m] + bd[m];   loss = sum_m sum_tokens ||x_hat_m - u_m||^2 / B
 *   AuxK: per token the top k_aux of pre_j * N_j among dead latents reconstruct the detached
 *   residual of both models through Wd (no bd); k_aux = (2 d) / 2, scale min(n_dead / k_aux, 1)
 * then torch's clip_grad_norm_ and Adam (clippedAdam, shared with the SAE reference).
 */
import { PARAM_NAMES, type SaeTensors } from '../saeParams';
import { clippedAdam, to64, type Tensors64 } from './trainStepReference';

export interface CrosscoderReferenceSpec {
  /** Width of ONE model's activations (the training layout is 2 x dIn wide). */
  dIn: number;
  dSae: number;
  k: number;
  beta1: number;
  beta2: number;
  eps: number;
  clipNorm: number;
}

const MODELS = 2;

interface Forward {
  /** u[b][m]: model m's (normalised) input of token b. */
  u: Float64Array[][];
  pre: Float64Array[];
  sumNorms: Float64Array;
  selected: { latent: number; act: number }[][];
  /** e[b][m] = x_hat_m - u_m. */
  e: Float64Array[][];
}

const enc = (p: Tensors64, d: number, m: number, j: number, i: number) => p.W_encT[j * MODELS * d + m * d + i];
const dec = (p: Tensors64, d: number, m: number, j: number, i: number) => p.W_dec[j * MODELS * d + m * d + i];

function forward(spec: CrosscoderReferenceSpec, p: Tensors64, x: ArrayLike<number>, B: number): Forward {
  const { dIn: d, dSae } = spec;
  const sumNorms = new Float64Array(dSae);
  for (let j = 0; j < dSae; j++) {
    for (let m = 0; m < MODELS; m++) {
      let q = 0;
      for (let i = 0; i < d; i++) q += dec(p, d, m, j, i) ** 2;
      sumNorms[j] += Math.sqrt(q);
    }
  }
  const u = Array.from({ length: B }, (_, b) => Array.from({ length: MODELS }, (_, m) => Float64Array.from({ length: d }, (_, i) => x[b * MODELS * d + m * d + i])));
  const pre = u.map((ub) =>
    Float64Array.from({ length: dSae }, (_, j) => {
      let acc = p.b_enc[j];
      for (let m = 0; m < MODELS; m++) for (let i = 0; i < d; i++) acc += ub[m][i] * enc(p, d, m, j, i);
      return acc;
    }),
  );
  const flat: { b: number; j: number; v: number }[] = [];
  pre.forEach((pb, b) => pb.forEach((v, j) => flat.push({ b, j, v: Math.max(0, v) * sumNorms[j] })));
  flat.sort((s, t) => t.v - s.v || s.b * dSae + s.j - (t.b * dSae + t.j));
  const selected: Forward['selected'] = pre.map(() => []);
  for (const f of flat.slice(0, spec.k * B)) if (f.v > 0) selected[f.b].push({ latent: f.j, act: Math.max(0, pre[f.b][f.j]) });
  const e = selected.map((sel, b) =>
    Array.from({ length: MODELS }, (_, m) => {
      const em = Float64Array.from({ length: d }, (_, i) => p.b_dec[m * d + i] - u[b][m][i]);
      for (const { latent, act } of sel) for (let i = 0; i < d; i++) em[i] += act * dec(p, d, m, latent, i);
      return em;
    }),
  );
  return { u, pre, sumNorms, selected, e };
}

function auxSettings(d: number, nDead: number): { kAux: number; scale: number } {
  const half = d; // (2 d) / 2: the SAE rule over the crosscoder's 2 x d_in input
  return { kAux: Math.min(half, nDead), scale: Math.min(nDead / half, 1) };
}

function auxChoice(spec: CrosscoderReferenceSpec, f: Forward, dead: number[]): { latent: number; pre: number }[][] {
  const { kAux } = auxSettings(spec.dIn, dead.length);
  return f.pre.map((pb) =>
    [...dead]
      .sort((a, b) => pb[b] * f.sumNorms[b] - pb[a] * f.sumNorms[a] || a - b)
      .slice(0, kAux)
      .map((j) => ({ latent: j, pre: pb[j] })),
  );
}

function auxError(spec: CrosscoderReferenceSpec, p: Tensors64, e: Float64Array[][], choice: { latent: number; pre: number }[][]): Float64Array[][] {
  const d = spec.dIn;
  return choice.map((ch, b) =>
    e[b].map((em, m) => {
      const ea = Float64Array.from(em);
      for (const { latent, pre } of ch) for (let i = 0; i < d; i++) ea[i] += pre * dec(p, d, m, latent, i);
      return ea;
    }),
  );
}

export interface CrosscoderReferenceLoss {
  /** Per model: sum over tokens of ||x_hat_m - u_m||^2 / B. */
  mse: [number, number];
  aux: number;
  selected: { latent: number; act: number }[][];
}

/** x_hat - u per token and model, for the detached residual of finite differences. */
export function crosscoderReferenceError(spec: CrosscoderReferenceSpec, p: Tensors64, x: ArrayLike<number>, B: number): Float64Array[][] {
  return forward(spec, p, x, B).e;
}

export function crosscoderReferenceLoss(spec: CrosscoderReferenceSpec, p: Tensors64, x: ArrayLike<number>, B: number, dead: number[], auxCoefficient: number, detachedError?: Float64Array[][]): CrosscoderReferenceLoss {
  const f = forward(spec, p, x, B);
  const mse: [number, number] = [0, 0];
  for (const eb of f.e) eb.forEach((em, m) => em.forEach((v) => (mse[m] += (v * v) / B)));
  let aux = 0;
  if (dead.length > 0) {
    const ea = auxError(spec, p, detachedError ?? f.e, auxChoice(spec, f, dead));
    let q = 0;
    for (const r of ea) for (const em of r) for (const v of em) q += v * v;
    aux = (auxCoefficient * auxSettings(spec.dIn, dead.length).scale * q) / B;
  }
  return { mse, aux, selected: f.selected };
}

export function crosscoderReferenceGradients(spec: CrosscoderReferenceSpec, p: Tensors64, x: ArrayLike<number>, B: number, dead: number[], auxCoefficient: number): Tensors64 {
  const { dIn: d, dSae } = spec;
  const f = forward(spec, p, x, B);
  const grad = Object.fromEntries(PARAM_NAMES.map((n) => [n, new Float64Array(p[n].length)])) as Tensors64;
  const dpre = f.pre.map(() => new Float64Array(dSae));
  const addDecoder = (j: number, coef: number, g: Float64Array[], b: number) => {
    for (let m = 0; m < MODELS; m++) {
      let dot = 0;
      for (let i = 0; i < d; i++) {
        grad.W_dec[j * MODELS * d + m * d + i] += coef * g[m][i];
        dot += g[m][i] * dec(p, d, m, j, i);
      }
      dpre[b][j] += dot;
    }
  };
  for (let b = 0; b < B; b++) {
    const gOut = f.e[b].map((em) => em.map((v) => (2 * v) / B));
    for (let m = 0; m < MODELS; m++) for (let i = 0; i < d; i++) grad.b_dec[m * d + i] += gOut[m][i];
    for (const { latent, act } of f.selected[b]) addDecoder(latent, act, gOut, b);
  }
  if (dead.length > 0) {
    const choice = auxChoice(spec, f, dead);
    const ea = auxError(spec, p, f.e, choice);
    const w = (2 * auxCoefficient * auxSettings(d, dead.length).scale) / B;
    choice.forEach((ch, b) => {
      const ga = ea[b].map((em) => em.map((v) => v * w));
      for (const { latent, pre } of ch) addDecoder(latent, pre, ga, b);
    });
  }
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < dSae; j++) {
      const g = dpre[b][j];
      if (g === 0) continue;
      grad.b_enc[j] += g;
      for (let m = 0; m < MODELS; m++) for (let i = 0; i < d; i++) grad.W_encT[j * MODELS * d + m * d + i] += g * f.u[b][m][i];
    }
  }
  return grad;
}

export function crosscoderReferenceStep(
  spec: CrosscoderReferenceSpec,
  state: { params: SaeTensors; m: SaeTensors; v: SaeTensors },
  x: ArrayLike<number>,
  B: number,
  options: { lr: number; t: number; dead: number[]; auxCoefficient: number },
): { params: Tensors64; m: Tensors64; v: Tensors64; gradNorm: number; loss: CrosscoderReferenceLoss; minSelected: number } {
  const p = to64(state.params);
  const loss = crosscoderReferenceLoss(spec, p, x, B, options.dead, options.auxCoefficient);
  const f = forward(spec, p, x, B);
  let minSelected = Number.POSITIVE_INFINITY;
  f.selected.forEach((sel) => sel.forEach((s) => (minSelected = Math.min(minSelected, s.act * f.sumNorms[s.latent]))));
  const grad = crosscoderReferenceGradients(spec, p, x, B, options.dead, options.auxCoefficient);
  return { ...clippedAdam(spec, p, state, grad, options), loss, minSelected };
}
