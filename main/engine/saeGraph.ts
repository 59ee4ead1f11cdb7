import { WorkbenchError } from '../errors';
import type { SaeWeights } from '../formats/sae';
import { GraphBuilder, type Value } from './onnx/graphBuilder';
import { rowNorms } from '../formats/tensor';

export const SAE_INPUT = 'x';
export type SaeOutput = 'feature_acts' | 'sae_out' | 'sae_error' | 'feature_indices' | 'feature_values';

export interface SaeGraphSpec {
  outputs: SaeOutput[];
  /** For feature_indices/feature_values on non-TopK SAEs: how many of the largest to return. */
  sparseK?: number;
}

/**
 * Encoder with b_dec subtraction and decoder-norm rescaling folded in (float64 at build time):
 * pre = (x - b_dec) @ W_enc + b_enc, times ||W_dec[j]||  ==  x @ W' + b'. One GEMM at run time.
 */
function foldedEncoder(sae: SaeWeights): { W: Float32Array; b: Float32Array } {
  const { dSae, dIn, applyBDecToInput, rescaleActsByDecoderNorm } = sae.config;
  const norms = rescaleActsByDecoderNorm ? rowNorms(sae.W_dec.data, sae.config.dSae, sae.config.dIn) : null;
  const W = new Float32Array(dIn * dSae);
  const b = new Float64Array(dSae);
  for (let j = 0; j < dSae; j++) b[j] = sae.b_enc.data[j];
  if (applyBDecToInput) for (let i = 0; i < dIn; i++) for (let j = 0; j < dSae; j++) b[j] -= sae.b_dec.data[i] * sae.W_enc.data[i * dSae + j];
  for (let i = 0; i < dIn; i++) for (let j = 0; j < dSae; j++) W[i * dSae + j] = sae.W_enc.data[i * dSae + j] * (norms ? norms[j] : 1);
  return { W, b: Float32Array.from(b, (v, j) => v * (norms ? norms[j] : 1)) };
}

/** Decoder rows divided by their norms when acts were rescaled by them. */
function foldedDecoder(sae: SaeWeights): Float32Array {
  if (!sae.config.rescaleActsByDecoderNorm) return sae.W_dec.data;
  const { dSae, dIn } = sae.config;
  const norms = rowNorms(sae.W_dec.data, sae.config.dSae, sae.config.dIn);
  const W = new Float32Array(dSae * dIn);
  for (let j = 0; j < dSae; j++) for (let i = 0; i < dIn; i++) W[j * dIn + i] = norms[j] === 0 ? 0 : sae.W_dec.data[j * dIn + i] / norms[j];
  return W;
}

export function checkSae(sae: SaeWeights): void {
  const c = sae.config;
  if (c.architecture === 'topk' && (!c.k || c.k < 1 || c.k > c.dSae)) throw new WorkbenchError('ENGINE_SAE_CONFIG', `SAE for "${c.hookName}": TopK k=${c.k} is not in 1..d_sae=${c.dSae}.`, 'Fix "k" in cfg.json.');
  if (c.architecture === 'jumprelu' && !sae.threshold) throw new WorkbenchError('ENGINE_SAE_CONFIG', `JumpReLU SAE for "${c.hookName}" has no threshold tensor.`, 'sae_weights.safetensors must hold "threshold" [d_sae].');
  if (!['topk', 'standard', 'jumprelu'].includes(c.architecture)) throw new WorkbenchError('ENGINE_UNKNOWN_ARCHITECTURE', `SAE architecture "${c.architecture}" is not supported.`, 'Supported: topk, standard, jumprelu.');
  if (!['none', 'constant_norm_rescale', 'layer_norm', 'expected_average_only_in'].includes(c.normalizeActivations)) throw new WorkbenchError('ENGINE_SAE_CONFIG', `SAE normalize_activations "${c.normalizeActivations}" is not supported.`, 'Supported: none, constant_norm_rescale, layer_norm, expected_average_only_in.');
}

/**
 * SAE encode/decode graph with sae_lens v6 semantics. Input "x" [n, d_in]; outputs by name.
 * TopK decodes sparsely (gather k decoder rows per token) so decode costs k/d_sae of a dense one.
 */
export function buildSaeGraph(sae: SaeWeights, spec: SaeGraphSpec): Uint8Array {
  return saeGraphBuilder(sae, spec).toBytes();
}

/** The SAE graph unserialized, so very wide SAEs can go to external data files. */
export function saeGraphBuilder(sae: SaeWeights, spec: SaeGraphSpec): GraphBuilder {
  checkSae(sae);
  const c = sae.config;
  const g = new GraphBuilder(`sae-${c.hookName}`);
  const wants = new Set(spec.outputs);
  const x = g.input(SAE_INPUT, 'float32', ['n', c.dIn]);

  // Input normalisation and its inverse for the reconstruction.
  let xn: Value = x;
  let undo: (v: Value) => Value = (v) => v;
  if (c.normalizeActivations === 'constant_norm_rescale') {
    const coeff = g.div(g.scalar(Math.sqrt(c.dIn)), g.sqrt(g.reduceSumSquare(x, [-1])));
    xn = g.mul(x, coeff);
    undo = (v) => g.div(v, coeff);
  } else if (c.normalizeActivations === 'layer_norm') {
    // sae_lens: x - mean, divided by (unbiased std + 1e-5); out: * std + mean.
    const mu = g.reduceMean(x, [-1]);
    const centered = g.sub(x, mu);
    const std = g.sqrt(g.mul(g.reduceSumSquare(centered, [-1]), g.scalar(1 / (c.dIn - 1))));
    xn = g.div(centered, g.add(std, g.scalar(1e-5)));
    undo = (v) => g.add(g.mul(v, std), mu);
  } else if (c.normalizeActivations === 'expected_average_only_in' && c.inputScalingFactor !== null) {
    // Unfolded checkpoint: scale in, and scale back out so x_hat lives where x does (as folding would).
    const f = c.inputScalingFactor;
    xn = g.mul(x, g.scalar(f));
    undo = (v) => g.mul(v, g.scalar(1 / f));
  }

  // The bias rides in the MatMul as an extra weight row against a column of ones: ORT's Gemm (and
  // MatMul+Add, which it fuses into Gemm) ran ~1.5x slower than MatMul at [4096x512]@[512x4096].
  const enc = foldedEncoder(sae);
  const Wb = new Float32Array((c.dIn + 1) * c.dSae);
  Wb.set(enc.W);
  Wb.set(enc.b, c.dIn * c.dSae);
  const ones = g.expand(g.scalar(1), g.concat([g.shape(xn, 0, 1), g.ints([1])], 0));
  const pre = g.matmul(g.concat([xn, ones], 1), g.initializerF32(Wb, [c.dIn + 1, c.dSae], 'W_enc_b'));
  const Wdec = g.initializerF32(foldedDecoder(sae), [c.dSae, c.dIn], 'W_dec');
  const bdec = g.initializerF32(sae.b_dec.data, [c.dIn], 'b_dec');

  let dense: Value | null = null;
  let sparse: { idx: Value; vals: Value } | null = null;
  if (c.architecture === 'topk') {
    const [v, idx] = g.topK(pre, g.ints([c.k as number]));
    sparse = { idx, vals: g.relu(v) };
    if (wants.has('feature_acts')) dense = g.scatterElements(g.constantOfShape(g.shape(pre)), idx, sparse.vals, 1);
  } else {
    dense = c.architecture === 'standard' ? g.relu(pre) : g.where(g.greater(pre, g.initializerF32(sae.threshold!.data, [c.dSae], 'threshold')), g.relu(pre), g.scalar(0));
    if (wants.has('feature_indices') || wants.has('feature_values')) {
      const k = spec.sparseK ?? 64;
      if (k < 1 || k > c.dSae) throw new WorkbenchError('ENGINE_SAE_SPARSE_K', `sparseK ${k} is not in 1..d_sae=${c.dSae}.`, 'Ask for fewer top latents.');
      const [v, idx] = g.topK(dense, g.ints([k]));
      sparse = { idx, vals: v };
    }
  }

  if (wants.has('sae_out') || wants.has('sae_error')) {
    let xhat: Value;
    if (c.architecture === 'topk' && sparse) {
      const rows = g.gather(Wdec, sparse.idx); // [n, k, d_in]
      xhat = g.reshape(g.matmul(g.unsqueeze(sparse.vals, [1]), rows), g.ints([0, c.dIn]));
      xhat = g.add(xhat, bdec);
    } else {
      xhat = g.add(g.matmul(dense as Value, Wdec), bdec);
    }
    xhat = undo(xhat);
    if (wants.has('sae_out')) g.output(xhat, 'sae_out', 'float32', ['n', c.dIn]);
    if (wants.has('sae_error')) g.output(g.sub(x, xhat), 'sae_error', 'float32', ['n', c.dIn]);
  }
  if (wants.has('feature_acts')) g.output(dense as Value, 'feature_acts', 'float32', ['n', c.dSae]);
  const kOut = c.architecture === 'topk' ? (c.k as number) : (spec.sparseK ?? 64);
  if (wants.has('feature_indices')) g.output(sparse!.idx, 'feature_indices', 'int64', ['n', kOut]);
  if (wants.has('feature_values')) g.output(sparse!.vals, 'feature_values', 'float32', ['n', kOut]);
  return g;
}

export function saeSpecKey(spec: SaeGraphSpec): string {
  return `sae|${[...spec.outputs].sort().join(',')}|k=${spec.sparseK ?? ''}`;
}
