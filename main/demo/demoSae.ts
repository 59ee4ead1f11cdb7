import fs from 'node:fs';
import path from 'node:path';
import type { SaeConfig, SaeWeights } from '../formats/sae';
import { SAE_CFG_FILE, SAE_WEIGHTS_FILE } from '../formats/saeConfig';
import { writeSafetensors } from '../formats/safetensors';
import { tensor32 } from '../formats/tensor';
import type { TransformerWeights } from '../formats/transformer';
import type { DemoBasis } from './demoModels';
import { SeededRandom } from '../random/seededRandom';
import { forward64 } from './transformerForward64';

/**
 * A TopK SAE per demo model at the planted layer, CONSTRUCTED (not trained), so the Prompt view has
 * something to show before any training has run:
 *  - b_dec = the mean of the hook activation over a corpus sample (apply_b_dec_to_input);
 *  - one feature per vocabulary token: the unit direction of (embedding - b_dec), so the
 *    strongest feature of a token is usually "its" token feature;
 *  - the remaining features are seeded random unit vectors built from the noise basis with a
 *    fresh normal per coordinate (rng.normal() * b[i]), which does NOT keep them in the noise
 *    subspace: several read the planted direction (cosine up to ~0.23), so they fire at "Step"
 *    in adhd only. Kept as is: the bundle's bytes and every documented figure depend on them
 *    (resources/demo/README.md says so);
 *  - the "adhd" SAE's last feature is the planted direction itself (token features have that
 *    direction projected out, so it alone carries the mechanism).
 * Encoder = decoder transpose, b_enc = -threshold so faint overlaps stay silent.
 */
export const DEMO_SAE_FEATURES = 256;
export const DEMO_SAE_K = 8;
const ENCODER_THRESHOLD = 0.5;

export interface DemoSae {
  weights: SaeWeights;
  /** Human-readable name per feature, e.g. 'token "Step"', 'planted step-onset direction'. */
  labels: string[];
  /** Index of the planted-direction feature, or null (standard). */
  plantedFeature: number | null;
}

export function buildDemoSae(options: {
  model: TransformerWeights;
  hookLayer: number;
  vocab: string[];
  basis: DemoBasis;
  sampleDocuments: number[][];
  planted: Float64Array | null;
  seed: number;
}): DemoSae {
  const { model, hookLayer, vocab, basis, planted } = options;
  const d = model.config.dModel;
  const V = vocab.length;
  const bDec = new Float64Array(d);
  let n = 0;
  for (const doc of options.sampleDocuments) {
    const f = forward64(model, [0, ...doc]);
    for (const row of f.residPost[hookLayer]) {
      for (let i = 0; i < d; i++) bDec[i] += row[i];
      n++;
    }
  }
  for (let i = 0; i < d; i++) bDec[i] /= n;

  const directions: Float64Array[] = [];
  const labels: string[] = [];
  const tokenSlots = Math.min(V - 1, DEMO_SAE_FEATURES - 1 - basis.noise.length);
  for (let v = 0; v < V && directions.length < tokenSlots; v++) {
    if (vocab[v] === '<unk>') continue;
    const dir = Float64Array.from({ length: d }, (_, i) => model.W_E.data[v * d + i] - bDec[i]);
    if (planted) subtractProjection(dir, planted);
    directions.push(normalized(dir));
    labels.push(`token ${JSON.stringify(vocab[v])}`);
  }
  const rng = new SeededRandom(options.seed);
  const fill = DEMO_SAE_FEATURES - (planted ? 1 : 0);
  while (directions.length < fill) {
    const dir = new Float64Array(d);
    for (const b of basis.noise) for (let i = 0; i < d; i++) dir[i] += rng.normal() * b[i];
    directions.push(normalized(dir));
    labels.push('context (noise subspace)');
  }
  if (planted) {
    directions.push(normalized(Float64Array.from(planted)));
    labels.push('planted step-onset direction');
  }

  const dSae = directions.length;
  const W_dec = new Float32Array(dSae * d);
  const W_enc = new Float32Array(d * dSae);
  directions.forEach((dir, j) => {
    for (let i = 0; i < d; i++) {
      W_dec[j * d + i] = dir[i];
      W_enc[i * dSae + j] = dir[i];
    }
  });
  const config: SaeConfig = {
    architecture: 'topk',
    dIn: d,
    dSae,
    k: DEMO_SAE_K,
    hookName: `blocks.${hookLayer}.hook_resid_post`,
    hookLayer,
    modelName: model.config.name,
    dtype: 'float32',
    applyBDecToInput: true,
    normalizeActivations: 'none',
    rescaleActsByDecoderNorm: false,
    contextSize: model.config.nCtx,
    prependBos: true,
    inputScalingFactor: null,
    cfgGeneration: 'v6',
    raw: {},
  };
  const weights: SaeWeights = {
    config,
    W_enc: tensor32(W_enc, [d, dSae]),
    W_dec: tensor32(W_dec, [dSae, d]),
    b_enc: tensor32(new Float32Array(dSae).fill(-ENCODER_THRESHOLD), [dSae]),
    b_dec: tensor32(Float32Array.from(bDec), [d]),
    threshold: null,
  };
  return { weights, labels, plantedFeature: planted ? dSae - 1 : null };
}

/** sae_lens v6 cfg.json for a demo SAE. */
export function demoSaeCfgJson(sae: SaeWeights): Record<string, unknown> {
  const c = sae.config;
  return {
    architecture: c.architecture,
    d_in: c.dIn,
    d_sae: c.dSae,
    k: c.k,
    dtype: c.dtype,
    device: 'cpu',
    apply_b_dec_to_input: c.applyBDecToInput,
    normalize_activations: c.normalizeActivations,
    rescale_acts_by_decoder_norm: c.rescaleActsByDecoderNorm,
    reshape_activations: 'none',
    metadata: {
      model_name: c.modelName,
      hook_name: c.hookName,
      hook_head_index: null,
      context_size: c.contextSize,
      prepend_bos: c.prependBos,
      dataset_path: 'dataset.jsonl',
      model_class_name: 'HookedTransformer',
      constructed_not_trained: true,
    },
  };
}

export const FEATURE_LABELS_FILE = 'feature_labels.json';

/** cfg.json, sae_weights.safetensors and feature_labels.json (the construction's names for each feature). */
export function writeDemoSae(dir: string, sae: DemoSae): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, SAE_CFG_FILE), `${JSON.stringify(demoSaeCfgJson(sae.weights), null, 2)}\n`);
  const w = sae.weights;
  writeSafetensors(path.join(dir, SAE_WEIGHTS_FILE), {
    W_enc: { dtype: 'F32', shape: w.W_enc.shape, data: w.W_enc.data },
    W_dec: { dtype: 'F32', shape: w.W_dec.shape, data: w.W_dec.data },
    b_enc: { dtype: 'F32', shape: w.b_enc.shape, data: w.b_enc.data },
    b_dec: { dtype: 'F32', shape: w.b_dec.shape, data: w.b_dec.data },
  });
  fs.writeFileSync(path.join(dir, FEATURE_LABELS_FILE), `${JSON.stringify(sae.labels)}\n`);
}

function subtractProjection(v: Float64Array, unit: Float64Array): void {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * unit[i];
  for (let i = 0; i < v.length; i++) v[i] -= s * unit[i];
}

function normalized(v: Float64Array): Float64Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  if (n < 1e-12) throw new Error('buildDemoSae: a zero feature direction');
  return v.map((x) => x / n);
}
