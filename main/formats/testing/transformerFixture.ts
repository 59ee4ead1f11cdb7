import type { Tensor32 } from '../tensor';
import type { TransformerConfig, TransformerWeights } from '../transformer';
import { SeededRandom } from '../../random/seededRandom';

export function tinyConfig(over: Partial<TransformerConfig> = {}): TransformerConfig {
  return {
    sourceFormat: 'gpt2',
    nLayers: 2,
    dModel: 8,
    nHeads: 2,
    dHead: 4,
    dMlp: 32,
    dVocab: 11,
    nCtx: 6,
    normalization: 'LN',
    lnEps: 1e-5,
    activation: 'gelu_new',
    positional: 'learned',
    attnScale: 2,
    bosTokenId: 10,
    eosTokenId: 10,
    prependBos: true,
    name: 'tiny',
    ...over,
  };
}

/** Seeded random canonical weights; `tied` makes W_U = W_E^T like GPT-2. */
export function randomTransformer(config: TransformerConfig, seed: number, tied = true): TransformerWeights {
  const rng = new SeededRandom(seed);
  const t = (...shape: number[]): Tensor32 => ({ data: rng.floats(shape.reduce((a, b) => a * b, 1), 0.5), shape });
  const { dModel: d, nHeads: H, dHead: dh, dMlp, dVocab, nCtx } = config;
  const ln = () => (config.normalization === 'LN' ? { w: t(d), b: t(d) } : { w: null, b: null });
  const W_E = t(dVocab, d);
  let W_U: Tensor32;
  if (tied) {
    const data = new Float32Array(d * dVocab);
    for (let v = 0; v < dVocab; v++) for (let i = 0; i < d; i++) data[i * dVocab + v] = W_E.data[v * d + i];
    W_U = { data, shape: [d, dVocab] };
  } else {
    W_U = t(d, dVocab);
  }
  return {
    config,
    W_E,
    W_pos: t(nCtx, d),
    blocks: Array.from({ length: config.nLayers }, () => ({
      ln1: ln(),
      W_Q: t(d, H * dh),
      W_K: t(d, H * dh),
      W_V: t(d, H * dh),
      b_Q: t(H * dh),
      b_K: t(H * dh),
      b_V: t(H * dh),
      W_O: t(H * dh, d),
      b_O: t(d),
      ln2: ln(),
      W_in: t(d, dMlp),
      b_in: t(dMlp),
      W_out: t(dMlp, d),
      b_out: t(d),
    })),
    lnFinal: ln(),
    W_U,
    b_U: tied ? { data: new Float32Array(dVocab), shape: [dVocab] } : t(dVocab),
  };
}

/** Every tensor of a TransformerWeights as plain arrays keyed by path, for exact comparisons. */
export function flattenWeights(w: TransformerWeights): Record<string, { shape: number[]; values: number[] } | null> {
  const out: Record<string, { shape: number[]; values: number[] } | null> = {};
  const add = (k: string, x: Tensor32 | null) => {
    out[k] = x ? { shape: [...x.shape], values: Array.from(x.data) } : null;
  };
  add('W_E', w.W_E);
  add('W_pos', w.W_pos);
  add('W_U', w.W_U);
  add('b_U', w.b_U);
  add('lnFinal.w', w.lnFinal.w);
  add('lnFinal.b', w.lnFinal.b);
  w.blocks.forEach((b, i) => {
    for (const [k, v] of Object.entries(b)) {
      if (k === 'ln1' || k === 'ln2') {
        add(`${i}.${k}.w`, (v as { w: Tensor32 | null }).w);
        add(`${i}.${k}.b`, (v as { b: Tensor32 | null }).b);
      } else add(`${i}.${k}`, v as Tensor32);
    }
  });
  return out;
}
