/**
 * One SAE training step as an ONNX graph: forward, the hand-derived backward, the AuxK term,
 * global gradient-norm clipping and the Adam update, in one ORT run. Semantics follow sae_lens
 * 6.x TopK training (DESIGN.md section 7); see trainStepReference.ts for the same step in float64.
 *
 * Sparse-aware ("sparse" formulation): the encoder forward is the only dense GEMM. The decoder
 * gathers the k selected rows per token (a block of tokens at a time, which bounds the memory);
 * the decoder and encoder weight gradients are per-latent
 * row sums of k updates per token, summed in an order fixed by the batch (latentRowSums.ts), so a
 * step gives the same bits on every run and thread count. The "dense" formulation of the
 * same step (scatter acts to [B, d_sae], three more GEMMs) exists for the bench and as a
 * cross-check in tests.
 *
 * Decoder-norm rescaling (rescale_acts_by_decoder_norm): selection uses pre * ||W_dec[j]||, the
 * feature act is relu(pre * n) and decode divides by n again, so the reconstruction is
 * sum relu(pre_j) W_dec[j] + b_dec and, as in autograd, no gradient flows through n (it cancels
 * exactly): the norm only decides which latents are selected.
 *
 * AuxK (only in the `auxK` variant, run while some latents are dead): the top k_aux raw
 * pre-activations (rescaled, no ReLU) among the dead latents reconstruct the detached residual
 * x - x_hat through W_dec, WITHOUT b_dec (DESIGN.md section 7 and Gao et al.; sae_lens 6.x decodes
 * with b_dec, which also sends an AuxK gradient to b_dec: we do not). It is computed densely in
 * the subspace of dead latents ([B, n_dead] GEMMs), which costs little while few are dead.
 */
import { GraphBuilder, type Value } from '../engine/onnx/graphBuilder';
import { latentRowSums, latentRuns, latentValueSums } from './latentRowSums';
import { PARAM_NAMES, paramShape, type ParamName } from './saeParams';

export type SaeActivation = 'topk' | 'batchtopk';

export interface TrainStepSpec {
  dIn: number;
  dSae: number;
  /** TopK: latents per token. BatchTopK: average latents per token (k * batch kept per batch). */
  k: number;
  activation: SaeActivation;
  /** Tokens per step (fixed: BatchTopK's budget is k * batchSize). */
  batchSize: number;
  auxK: boolean;
  formulation: 'sparse' | 'dense';
  beta1: number;
  beta2: number;
  /** Global gradient-norm clipping (torch clip_grad_norm_), sae_lens uses 1.0. */
  clipNorm: number;
  /** Tests: also output the raw (unclipped) gradients as grad_<param>. */
  exposeGradients?: boolean;
  /**
   * A crosscoder over this many models (issue 19; float64 reference in
   * reference/crosscoderStepReference.ts): each input row is the models' activations side by
   * side, dIn / models each, and each decoder row the models' decoders side by side. Then the
   * selection norm is the SUM of the per-model decoder norms, the encoder reads x as it is (no
   * b_dec subtracted), and "model_stats" gives each model's sse and total_var.
   */
  crosscoderModels?: number;
}

/** Per-step scalars the graph returns in "stats", in this order. */
export const STAT_NAMES = ['mse', 'aux', 'sse', 'total_var', 'l0_sum', 'grad_norm', 'min_positive_act', 'capped_tokens'] as const;
export type StatName = (typeof STAT_NAMES)[number];
/** Per model of a crosscoder, the scalars in "model_stats" [models, 2], in this order. */
export const MODEL_STAT_NAMES = ['sse', 'total_var'] as const;
/** min_positive_act when no latent fired. */
export const NO_POSITIVE_ACT = 3e38;

/** BatchTopK candidates per token: the cap on how many latents one token can get (sae_lens has none). */
export function batchTopKCandidates(k: number, dSae: number): number {
  return Math.min(dSae, 4 * k);
}

export const TRAIN_INPUTS = {
  x: 'x',
  adamStep: 'adam_step',
  adamEps: 'adam_eps',
  deadIdx: 'dead_idx',
  kAux: 'k_aux',
  auxCoef: 'aux_coef',
} as const;

export const paramInput = (p: ParamName) => p;
export const momentInput = (which: 'm' | 'v', p: ParamName) => `${which}_${p}`;
export const newName = (input: string) => `new_${input}`;
export const gradName = (p: ParamName) => `grad_${p}`;

interface Selection {
  /** [B, K'] latent ids. */
  idx: Value;
  /** [B, K'] feature acts relu(pre * n) (zero where not selected by BatchTopK). */
  act: Value;
  /** K' per token. */
  width: number;
  /** BatchTopK: tokens whose last candidate was kept (the per-token cap may have bitten). */
  capped: Value | null;
}

function select(g: GraphBuilder, spec: TrainStepSpec, hp: Value): Selection {
  if (spec.activation === 'topk') {
    const [hv, idx] = g.topK(hp, g.ints([spec.k]));
    return { idx, act: g.relu(hv), width: spec.k, capped: null };
  }
  // BatchTopK: the k * B largest of relu(hp) over the whole batch, found among each token's
  // top `width` candidates (exact unless a token holds more than `width` of the batch's top).
  const width = batchTopKCandidates(spec.k, spec.dSae);
  const [hv, idx] = g.topK(hp, g.ints([width]));
  const rv = g.relu(hv);
  const flat = g.reshape(rv, g.ints([-1]));
  const keep = spec.k * spec.batchSize;
  const [, chosen] = g.topK(flat, g.ints([keep]));
  const ones = g.expand(g.scalar(1), g.ints([keep]));
  const mask = g.reshape(g.scatterElements(g.constantOfShape(g.shape(flat)), chosen, ones, 0), g.ints([-1, width]));
  const act = g.mul(rv, mask);
  const last = g.slice(act, g.ints([width - 1]), g.ints([width]), g.ints([1]));
  const capped = width < spec.dSae ? g.op('ReduceSum', [g.cast(g.greater(last, g.scalar(0)), 'float32')], { keepdims: { int: 0 } })[0] : g.scalar(0);
  return { idx, act, width, capped };
}

function reduceSumAxis0(g: GraphBuilder, v: Value): Value {
  return g.op('ReduceSum', [v, g.ints([0])], { keepdims: { int: 0 } })[0];
}

function sumAll(g: GraphBuilder, v: Value): Value {
  return g.op('ReduceSum', [v], { keepdims: { int: 0 } })[0];
}

/**
 * ScatterND "add" is only deterministic when every row index is distinct (ORT runs index rows on
 * its thread pool unsynchronised): AuxK's dead latents are; the per-token selections are not
 * (latentRowSums.ts handles those).
 */
function scatterAddDistinctRows(g: GraphBuilder, data: Value, rowIdx: Value, updates: Value): Value {
  return g.op('ScatterND', [data, rowIdx, updates], { reduction: { string: 'add' } })[0];
}

/** Decoder rows gathered at once, at most (floats): bounds the step's largest intermediate. */
const DECODE_BLOCK_FLOATS = 2 ** 24;

/**
 * The sparse decoder, a block of tokens at a time: per token, the K' selected decoder rows
 * [K', d] give x_hat = c @ rows + b_dec, the error e = x_hat - x and dL/dc = rows @ (gScale e).
 * All of it is per token, so blocks change no number; they keep the gathered rows (335 MB at
 * B 4096, k 40, d 512) to one block's worth, and fresh memory is what the first steps pay for most.
 */
function sparseDecode(g: GraphBuilder, t: { x: Value; c: Value; idx: Value; W_dec: Value; b_dec: Value }, B: number, width: number, dIn: number, gScale: number): { e: Value; dc: Value } {
  const block = Math.max(1, Math.floor(DECODE_BLOCK_FLOATS / (width * dIn)));
  const es: Value[] = [];
  const dcs: Value[] = [];
  for (let from = 0; from < B; from += block) {
    const to = Math.min(B, from + block);
    const part = (v: Value) => (to - from === B ? v : g.slice(v, g.ints([from]), g.ints([to]), g.ints([0])));
    const rows = g.gather(t.W_dec, part(t.idx)); // [b, K', d]
    const xhat = g.add(g.reshape(g.matmul(g.unsqueeze(part(t.c), [1]), rows), g.ints([-1, dIn])), t.b_dec);
    const e = g.sub(xhat, part(t.x));
    es.push(e);
    dcs.push(g.reshape(g.matmul(rows, g.unsqueeze(g.mul(e, g.scalar(gScale)), [2])), g.ints([-1, width]))); // [b, K']
  }
  return es.length === 1 ? { e: es[0], dc: dcs[0] } : { e: g.concat(es, 0), dc: g.concat(dcs, 0) };
}

export function buildTrainStepGraph(spec: TrainStepSpec): GraphBuilder {
  const { dIn, dSae } = spec;
  const g = new GraphBuilder(`train-${spec.crosscoderModels ? 'crosscoder-' : ''}${spec.activation}-${spec.formulation}${spec.auxK ? '-auxk' : ''}`);
  const B = spec.batchSize;
  const x = g.input(TRAIN_INPUTS.x, 'float32', [B, dIn]);
  const adamStep = g.input(TRAIN_INPUTS.adamStep, 'float32', []);
  const adamEps = g.input(TRAIN_INPUTS.adamEps, 'float32', []);
  const shapeOf = (p: ParamName) => paramShape(p, { dIn, dSae });
  const P = {} as Record<ParamName, Value>;
  const M = {} as Record<ParamName, Value>;
  const V = {} as Record<ParamName, Value>;
  for (const p of PARAM_NAMES) {
    P[p] = g.input(paramInput(p), 'float32', shapeOf(p));
    M[p] = g.input(momentInput('m', p), 'float32', shapeOf(p));
    V[p] = g.input(momentInput('v', p), 'float32', shapeOf(p));
  }
  const invB = 1 / B;

  // Forward.
  const models = spec.crosscoderModels ?? 0;
  const s = models ? x : g.sub(x, P.b_dec);
  const nrm = models ? crosscoderNorms(g, P.W_dec, models, dSae, dIn) : g.sqrt(g.reduceSumSquare(P.W_dec, [1], false)); // [F]
  // pre * n = s @ (n * W_encT)^T + n * b_enc: scaling the F encoder rows costs F x d, not B x F.
  const hp = g.gemm(s, g.mul(P.W_encT, g.unsqueeze(nrm, [1])), g.mul(P.b_enc, nrm), true); // [B, F]: the one dense GEMM
  const sel = select(g, spec, hp);
  const nSel = g.gather(nrm, sel.idx); // [B, K']
  const c = g.div(sel.act, nSel); // = relu(pre) at the selected latents
  const firedBool = g.greater(sel.act, g.scalar(0)); // [B, K']
  const fired = g.cast(firedBool, 'float32');

  let e: Value;
  let dcSparse: Value | null = null;
  let dense: { A: Value; mask: Value } | null = null;
  if (spec.formulation === 'sparse') {
    ({ e, dc: dcSparse } = sparseDecode(g, { x, c, idx: sel.idx, W_dec: P.W_dec, b_dec: P.b_dec }, B, sel.width, dIn, 2 * invB));
  } else {
    const zerosBF = g.constantOfShape(g.shape(hp));
    dense = { A: g.scatterElements(zerosBF, sel.idx, c, 1), mask: g.scatterElements(zerosBF, sel.idx, fired, 1) };
    e = g.sub(g.add(g.matmul(dense.A, P.W_dec), P.b_dec), x);
  }
  const sse = g.reduceSumSquare(e, [0, 1], false);
  const mse = g.mul(sse, g.scalar(invB));
  const xc = g.sub(x, g.reduceMean(x, [0]));
  const totalVar = g.reduceSumSquare(xc, [0, 1], false);

  // Backward of the MSE: dL/dx_hat = 2 e / B.
  const gOut = g.mul(e, g.scalar(2 * invB)); // [B, d]
  const grad = {} as Record<ParamName, Value>;
  let fireCounts: Value;
  if (spec.formulation === 'sparse') {
    const dpre = g.mul(dcSparse!, fired);
    // Row sums in an order fixed by the batch (latentRowSums.ts): ScatterND's "add" races across
    // threads. Entries that did not fire add nothing (c = dpre = fired = 0) and are left out.
    const runs = latentRuns(g, sel.idx, B, sel.width, dSae, firedBool);
    [grad.W_dec, grad.W_encT] = latentRowSums(g, runs, [{ coef: c, source: gOut }, { coef: dpre, source: s }], dIn);
    const perLatent = latentValueSums(g, runs, g.concat([g.unsqueeze(dpre, [2]), g.unsqueeze(fired, [2])], 2), 2); // [F, 2]
    grad.b_enc = g.reshape(g.slice(perLatent, g.ints([0]), g.ints([1]), g.ints([1])), g.ints([dSae]));
    fireCounts = g.reshape(g.slice(perLatent, g.ints([1]), g.ints([2]), g.ints([1])), g.ints([dSae]));
  } else {
    const dPre = g.mul(g.op('Gemm', [gOut, P.W_dec], { transB: { int: 1 } })[0], dense!.mask); // [B, F]
    grad.W_dec = g.op('Gemm', [dense!.A, gOut], { transA: { int: 1 } })[0];
    grad.W_encT = g.op('Gemm', [dPre, s], { transA: { int: 1 } })[0];
    grad.b_enc = reduceSumAxis0(g, dPre);
    fireCounts = reduceSumAxis0(g, dense!.mask);
  }

  let aux: Value = g.scalar(0);
  if (spec.auxK) {
    const deadIdx = g.input(TRAIN_INPUTS.deadIdx, 'int64', ['n_dead']);
    const kAux = g.input(TRAIN_INPUTS.kAux, 'int64', [1]);
    const auxCoef = g.input(TRAIN_INPUTS.auxCoef, 'float32', []);
    const hpD = g.gather(hp, deadIdx, 1); // [B, n_dead]
    const [av, ai] = g.topK(hpD, kAux);
    const cA = g.div(av, g.gather(g.gather(nrm, deadIdx), ai)); // raw pre-activations of the chosen dead latents
    const zerosBD = g.constantOfShape(g.shape(hpD));
    const AD = g.scatterElements(zerosBD, ai, cA, 1);
    const maskD = g.scatterElements(zerosBD, ai, g.expand(g.scalar(1), g.shape(av)), 1);
    const WdecD = g.gather(P.W_dec, deadIdx); // [n_dead, d]
    const ea = g.add(g.matmul(AD, WdecD), e); // reconstruction - (x - x_hat)
    aux = g.mul(g.reduceSumSquare(ea, [0, 1], false), g.mul(auxCoef, g.scalar(invB)));
    const ga = g.mul(ea, g.mul(auxCoef, g.scalar(2 * invB)));
    const dPreD = g.mul(g.op('Gemm', [ga, WdecD], { transB: { int: 1 } })[0], maskD);
    const deadRows = g.unsqueeze(deadIdx, [1]);
    grad.W_dec = scatterAddDistinctRows(g, grad.W_dec, deadRows, g.op('Gemm', [AD, ga], { transA: { int: 1 } })[0]);
    grad.W_encT = scatterAddDistinctRows(g, grad.W_encT, deadRows, g.op('Gemm', [dPreD, s], { transA: { int: 1 } })[0]);
    grad.b_enc = scatterAddDistinctRows(g, grad.b_enc, deadRows, reduceSumAxis0(g, dPreD));
  }
  // s = x - b_dec feeds every encoder row: dL/db_dec = sum_b dL/dx_hat - (dL/db_enc) @ W_encT.
  const viaEncoder = models ? null : g.reshape(g.matmul(g.unsqueeze(grad.b_enc, [0]), P.W_encT), g.ints([dIn]));
  grad.b_dec = viaEncoder ? g.sub(reduceSumAxis0(g, gOut), viaEncoder) : reduceSumAxis0(g, gOut);

  // Clipping by the global norm (torch: coef = max_norm / (norm + 1e-6), clamped at 1), folded
  // into Adam's moment updates.
  const sq = PARAM_NAMES.map((p) => g.reduceSumSquare(grad[p], shapeOf(p).map((_, i) => i), false));
  const gradNorm = g.sqrt(sq.reduce((a, b) => g.add(a, b)));
  const clip = g.op('Min', [g.scalar(1), g.div(g.scalar(spec.clipNorm), g.add(gradNorm, g.scalar(1e-6)))])[0];
  const cm = g.mul(clip, g.scalar(1 - spec.beta1));
  const cv = g.mul(g.mul(clip, clip), g.scalar(1 - spec.beta2));
  for (const p of PARAM_NAMES) {
    const m = g.add(g.mul(M[p], g.scalar(spec.beta1)), g.mul(grad[p], cm));
    const v = g.add(g.mul(V[p], g.scalar(spec.beta2)), g.mul(g.mul(grad[p], grad[p]), cv));
    // p - lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps), with sqrt(bc2) moved into adam_step / adam_eps.
    const next = g.sub(P[p], g.mul(g.div(m, g.add(g.sqrt(v), adamEps)), adamStep));
    g.output(next, newName(paramInput(p)), 'float32', shapeOf(p));
    g.output(m, newName(momentInput('m', p)), 'float32', shapeOf(p));
    g.output(v, newName(momentInput('v', p)), 'float32', shapeOf(p));
    if (spec.exposeGradients) g.output(grad[p], gradName(p), 'float32', shapeOf(p));
  }

  const l0Sum = sumAll(g, fired);
  const minPositive = g.op('ReduceMin', [g.where(g.greater(sel.act, g.scalar(0)), sel.act, g.scalar(NO_POSITIVE_ACT))], { keepdims: { int: 0 } })[0];
  const stats: Record<StatName, Value> = { mse, aux, sse, total_var: totalVar, l0_sum: l0Sum, grad_norm: gradNorm, min_positive_act: minPositive, capped_tokens: sel.capped ?? g.scalar(0) };
  g.output(g.concat(STAT_NAMES.map((n) => g.unsqueeze(stats[n], [0])), 0), 'stats', 'float32', [STAT_NAMES.length]);
  g.output(fireCounts, 'fire_counts', 'float32', [dSae]);
  if (models) g.output(modelStats(g, e, xc, models, B, dIn), 'model_stats', 'float32', [models, MODEL_STAT_NAMES.length]);
  return g;
}

/** Sum over the models of each latent's decoder norm: W_dec [F, M * d] -> [F]. */
function crosscoderNorms(g: GraphBuilder, W_dec: Value, models: number, dSae: number, dIn: number): Value {
  const perModel = g.sqrt(g.reduceSumSquare(g.reshape(W_dec, g.ints([dSae, models, dIn / models])), [2], false)); // [F, M]
  return g.op('ReduceSum', [perModel, g.ints([1])], { keepdims: { int: 0 } })[0];
}

/** Each model's sse and centred sum of squares over the batch: [M, 2]. */
function modelStats(g: GraphBuilder, e: Value, xc: Value, models: number, B: number, dIn: number): Value {
  const perModel = (v: Value) => g.reduceSumSquare(g.reshape(v, g.ints([B, models, dIn / models])), [0, 2], true); // [1, M, 1]
  return g.reshape(g.concat([perModel(e), perModel(xc)], 2), g.ints([models, MODEL_STAT_NAMES.length]));
}

export function trainStepKey(spec: TrainStepSpec): string {
  return `train|${spec.crosscoderModels ? `crosscoder${spec.crosscoderModels}|` : ''}${spec.activation}|${spec.formulation}|${spec.dIn}x${spec.dSae}|k${spec.k}|b${spec.batchSize}|aux${spec.auxK}|${spec.beta1},${spec.beta2},${spec.clipNorm}|g${spec.exposeGradients ?? false}`;
}
