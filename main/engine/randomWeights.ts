import type { SaeArchitecture, SaeConfig, SaeNormalization, SaeWeights } from '../formats/sae';
import type { Tensor32 } from '../formats/tensor';
import type { TransformerBlockWeights, TransformerConfig, TransformerWeights } from '../formats/transformer';

/** The project's one seeded PRNG, named as the engine's tests and benches call it. */
export { mulberry32 as seededRandom } from '../random/seededRandom';
import { mulberry32 as seededRandom } from '../random/seededRandom';

/** Standard normal samples (Box-Muller) scaled by `std`. */
export function randomTensor(rand: () => number, shape: number[], std: number, mean = 0): Tensor32 {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    data[i] = mean + r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) data[i + 1] = mean + r * Math.sin(2 * Math.PI * v);
  }
  return { data, shape };
}

export type RandomModelOptions = Partial<Omit<TransformerConfig, 'dHead'>> & {
  seed?: number;
  /** false: all biases zero, as in Llama (whose checkpoints have none). */
  biases?: boolean;
};

/**
 * A GPT-2-shaped model with random weights (std 0.02 like GPT-2 init, LN weights near 1).
 * `positional: 'rotary'` (W_pos zeros; rotary dims default to half the head) and
 * `parallelAttnMlp` give a GPT-NeoX-shaped one; `normalization: 'RMS'`, `nKvHeads`, `gatedMlp`
 * and `biases: false` a Llama-shaped one.
 */
export function randomTransformer(opts: RandomModelOptions = {}): TransformerWeights {
  const nHeads = opts.nHeads ?? 4;
  const dModel = opts.dModel ?? 32;
  const dHead = dModel / nHeads;
  const positional = opts.positional ?? 'learned';
  const config: TransformerConfig = {
    sourceFormat: 'random',
    nLayers: opts.nLayers ?? 2,
    dModel,
    nHeads,
    dHead,
    dMlp: opts.dMlp ?? 4 * dModel,
    dVocab: opts.dVocab ?? 50,
    nCtx: opts.nCtx ?? 64,
    normalization: opts.normalization ?? 'LN',
    lnEps: opts.lnEps ?? 1e-5,
    activation: opts.activation ?? 'gelu_new',
    positional,
    ...(positional === 'rotary' ? { rotary: opts.rotary ?? { dims: Math.max(2, 2 * Math.floor(dHead / 4)), base: 10000 } } : {}),
    ...(opts.parallelAttnMlp !== undefined ? { parallelAttnMlp: opts.parallelAttnMlp } : {}),
    ...(opts.nKvHeads !== undefined ? { nKvHeads: opts.nKvHeads } : {}),
    ...(opts.gatedMlp !== undefined ? { gatedMlp: opts.gatedMlp } : {}),
    attnScale: opts.attnScale ?? Math.sqrt(dModel / nHeads),
    bosTokenId: opts.bosTokenId ?? 0,
    eosTokenId: opts.eosTokenId ?? 0,
    prependBos: opts.prependBos ?? true,
    name: opts.name ?? 'random-gpt2',
  };
  const rand = seededRandom(opts.seed ?? 1);
  const hd = config.nHeads * config.dHead;
  const kvd = (config.nKvHeads ?? config.nHeads) * config.dHead;
  const std = 0.02 * Math.sqrt(768 / dModel); // keep activations O(1) at tiny widths
  const ln = () => {
    if (config.normalization === 'RMS') return { w: randomTensor(rand, [dModel], 0.1, 1), b: null };
    return config.normalization === 'LN' ? { w: randomTensor(rand, [dModel], 0.1, 1), b: randomTensor(rand, [dModel], 0.1) } : { w: null, b: null };
  };
  // Drawn either way so a model's other weights do not depend on whether its biases are kept.
  const bias = (n: number): Tensor32 => {
    const t = randomTensor(rand, [n], std);
    if (opts.biases === false) t.data.fill(0);
    return t;
  };
  const blocks: TransformerBlockWeights[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    blocks.push({
      ln1: ln(),
      W_Q: randomTensor(rand, [dModel, hd], std * 4),
      W_K: randomTensor(rand, [dModel, kvd], std * 4),
      W_V: randomTensor(rand, [dModel, kvd], std),
      b_Q: bias(hd),
      b_K: bias(kvd),
      b_V: bias(kvd),
      W_O: randomTensor(rand, [hd, dModel], std),
      b_O: bias(dModel),
      ln2: ln(),
      W_in: randomTensor(rand, [dModel, config.dMlp], std * 2),
      b_in: bias(config.dMlp),
      W_out: randomTensor(rand, [config.dMlp, dModel], std),
      b_out: bias(dModel),
      ...(config.gatedMlp ? { W_gate: randomTensor(rand, [dModel, config.dMlp], std * 4) } : {}),
    });
  }
  return {
    config,
    W_E: randomTensor(rand, [config.dVocab, dModel], std * 5),
    W_pos: positional === 'rotary' ? { data: new Float32Array(config.nCtx * dModel), shape: [config.nCtx, dModel] } : randomTensor(rand, [config.nCtx, dModel], std),
    blocks,
    lnFinal: ln(),
    W_U: randomTensor(rand, [dModel, config.dVocab], std * 5),
    b_U: bias(config.dVocab),
  };
}

export interface RandomSaeOptions {
  architecture?: SaeArchitecture;
  dIn?: number;
  dSae?: number;
  k?: number;
  hookName?: string;
  applyBDecToInput?: boolean;
  normalizeActivations?: SaeNormalization;
  rescaleActsByDecoderNorm?: boolean;
  inputScalingFactor?: number | null;
  seed?: number;
}

/** An SAE with random weights; decoder rows are not unit norm so rescaling is exercised. */
export function randomSae(opts: RandomSaeOptions = {}): SaeWeights {
  const dIn = opts.dIn ?? 32;
  const dSae = opts.dSae ?? 128;
  const architecture = opts.architecture ?? 'topk';
  const hookName = opts.hookName ?? 'blocks.1.hook_resid_post';
  const m = /^blocks\.(\d+)\./.exec(hookName);
  const config: SaeConfig = {
    architecture,
    dIn,
    dSae,
    k: architecture === 'topk' ? (opts.k ?? 8) : null,
    hookName,
    hookLayer: m ? Number(m[1]) : null,
    modelName: 'random-gpt2',
    dtype: 'float32',
    applyBDecToInput: opts.applyBDecToInput ?? true,
    normalizeActivations: opts.normalizeActivations ?? 'none',
    rescaleActsByDecoderNorm: opts.rescaleActsByDecoderNorm ?? false,
    contextSize: 64,
    prependBos: true,
    inputScalingFactor: opts.inputScalingFactor ?? null,
    cfgGeneration: 'v6',
    raw: {},
  };
  const rand = seededRandom(opts.seed ?? 7);
  const W_dec = randomTensor(rand, [dSae, dIn], 1 / Math.sqrt(dIn));
  const W_enc: Tensor32 = { data: new Float32Array(dIn * dSae), shape: [dIn, dSae] };
  // W_enc ~ W_dec^T plus noise: realistic enough that pre-activations are spread both ways.
  const noise = randomTensor(rand, [dIn, dSae], 0.3 / Math.sqrt(dIn));
  for (let i = 0; i < dIn; i++) for (let j = 0; j < dSae; j++) W_enc.data[i * dSae + j] = W_dec.data[j * dIn + i] + noise.data[i * dSae + j];
  return {
    config,
    W_enc,
    W_dec,
    b_enc: randomTensor(rand, [dSae], 0.1),
    b_dec: randomTensor(rand, [dIn], 0.1),
    threshold: architecture === 'jumprelu' ? randomTensor(rand, [dSae], 0.1, 0.2) : null,
  };
}
