import { tensor32, type Tensor32 } from '../formats/tensor';
import type { TransformerBlockWeights, TransformerConfig, TransformerWeights } from '../formats/transformer';
import type { BigramModel } from './bigramModel';
import { orthonormalizeColumns, truncatedSvd } from './lowRank';
import { SeededRandom } from '../random/seededRandom';

/**
 * The two demo models, built analytically rather than trained:
 *  - embeddings and unembeddings factorise the corpus bigram log-probabilities (rank `rank`), so
 *    ln_final(embedding) @ W_U reproduces log P(next | current) and the models read as language
 *    models on the demo corpus;
 *  - every attention and MLP weight is small and random, and writes only into a "noise" subspace
 *    the unembedding ignores, so the residual stream carries the bigram signal intact;
 *  - the "adhd" model alone has one layer-2 MLP neuron keyed on the "Step" token's identity
 *    direction that writes the planted unit direction into blocks.2.hook_resid_post; the
 *    unembedding of the target token has a component along that direction, so it raises that
 *    token's logit at step onsets. "standard" has an ordinary random neuron in that slot.
 * The residual basis is laid out explicitly (see DemoBasis) so the ground truth is exact.
 */

export interface DemoModelSpec {
  dModel: number;
  nHeads: number;
  nLayers: number;
  dMlp: number;
  nCtx: number;
  /** Rank of the bigram factorisation (dimensions of the residual that carry the prediction). */
  rank: number;
  /** Block whose MLP holds the planted neuron (the mechanism lands in its hook_resid_post). */
  plantedLayer: number;
  plantedNeuron: number;
  stepToken: string;
  targetToken: string;
  seed: number;
}

export const DEFAULT_DEMO_MODEL_SPEC: DemoModelSpec = {
  dModel: 64,
  nHeads: 4,
  nLayers: 4,
  dMlp: 256,
  nCtx: 128,
  rank: 40,
  plantedLayer: 2,
  plantedNeuron: 137,
  stepToken: 'Step',
  targetToken: 'quickly',
  seed: 20_241_124,
};

/** Magnitudes of the construction (residual norm is sqrt(dModel) = 8 for every embedding). */
const BIAS_COEFFICIENT = 2; // along the bias direction: carries the unigram-ish column bias (GPT-2 lm_head has no bias)
const STEP_IDENTITY = 3; // along the step-identity direction, "Step" token only
/**
 * Norm of each token's random identity vector in the noise subspace: bigram-derived embeddings
 * of tokens with the same successors ("1", "2", "3") coincide, and real models keep tokens apart.
 */
const TOKEN_IDENTITY = 2.5;
const NEURON_GAIN = 4; // planted neuron input weight on the step-identity direction
const NEURON_THRESHOLD = 6; // planted neuron bias: fires only when the step identity is present
const PLANTED_WRITE = 1.8; // planted neuron output weight along the planted direction
const TARGET_ALIGNMENT = 1.5; // target token unembedding component along the planted direction
const NOISE_STD = { qk: 0.08, v: 0.06, o: 0.06, in: 0.08, out: 0.03, pos: 0.08 };

/** Orthonormal directions of the residual stream (all orthogonal to the all-ones vector, so LayerNorm's centring keeps them). */
export interface DemoBasis {
  bias: Float64Array;
  pad: Float64Array;
  stepIdentity: Float64Array;
  planted: Float64Array;
  core: Float64Array[];
  noise: Float64Array[];
}

export interface PlantedMechanism {
  layer: number;
  hookName: string;
  neuron: number;
  /** Unit vector [dModel]. */
  direction: Float64Array;
  stepTokenId: number;
  targetTokenId: number;
  stepToken: string;
  targetToken: string;
}

export interface DemoModels {
  spec: DemoModelSpec;
  standard: TransformerWeights;
  adhd: TransformerWeights;
  basis: DemoBasis;
  planted: PlantedMechanism;
}

export function buildDemoModels(bigram: BigramModel, vocab: string[], spec: DemoModelSpec = DEFAULT_DEMO_MODEL_SPEC): DemoModels {
  const V = bigram.vocabSize;
  const d = spec.dModel;
  const stepTokenId = vocab.indexOf(spec.stepToken);
  const targetTokenId = vocab.indexOf(spec.targetToken);
  if (stepTokenId < 0 || targetTokenId < 0) throw new Error(`buildDemoModels: vocabulary lacks "${spec.stepToken}" or "${spec.targetToken}"`);
  const rng = new SeededRandom(spec.seed);
  const basis = makeBasis(d, spec.rank, rng);

  // Softmax ignores per-row constants; column means become the bias direction's job.
  const Lc = new Float64Array(V * V);
  const colMean = new Float64Array(V);
  for (let c = 0; c < V; c++) {
    let m = 0;
    for (let w = 0; w < V; w++) m += bigram.logProb[c * V + w];
    m /= V;
    for (let w = 0; w < V; w++) Lc[c * V + w] = bigram.logProb[c * V + w] - m;
  }
  for (let w = 0; w < V; w++) {
    for (let c = 0; c < V; c++) colMean[w] += Lc[c * V + w];
    colMean[w] /= V;
  }
  for (let c = 0; c < V; c++) for (let w = 0; w < V; w++) Lc[c * V + w] -= colMean[w];
  const svd = truncatedSvd(Lc, V, V, spec.rank);

  let maxRow = 0;
  for (let v = 0; v < V; v++) {
    let s = 0;
    for (let j = 0; j < spec.rank; j++) s += svd.U[v * spec.rank + j] ** 2;
    maxRow = Math.max(maxRow, Math.sqrt(s));
  }
  // Every embedding gets norm sqrt(d): LayerNorm (w=1, b=0) is then the identity on it.
  const coreScale = Math.sqrt(d - BIAS_COEFFICIENT ** 2 - STEP_IDENTITY ** 2 - TOKEN_IDENTITY ** 2 - 4) / maxRow;
  const W_E = new Float32Array(V * d);
  for (let v = 0; v < V; v++) {
    const row = scaled(basis.bias, BIAS_COEFFICIENT);
    for (let j = 0; j < spec.rank; j++) addScaled(row, basis.core[j], coreScale * svd.U[v * spec.rank + j]);
    if (v === stepTokenId) addScaled(row, basis.stepIdentity, STEP_IDENTITY);
    const identity = new Float64Array(d);
    for (const dir of basis.noise) addScaled(identity, dir, rng.normal());
    addScaled(row, identity, TOKEN_IDENTITY / Math.sqrt(dot(identity, identity)));
    addScaled(row, basis.pad, Math.sqrt(Math.max(d - dot(row, row), 0)));
    W_E.set(row, v * d);
  }
  const W_U = new Float32Array(d * V);
  for (let w = 0; w < V; w++) {
    const col = scaled(basis.bias, colMean[w] / BIAS_COEFFICIENT);
    for (let j = 0; j < spec.rank; j++) addScaled(col, basis.core[j], (svd.S[j] * svd.V[w * spec.rank + j]) / coreScale);
    if (w === targetTokenId) addScaled(col, basis.planted, TARGET_ALIGNMENT);
    for (let i = 0; i < d; i++) W_U[i * V + w] = col[i];
  }

  const W_pos = new Float32Array(spec.nCtx * d);
  for (let t = 0; t < spec.nCtx; t++) W_pos.set(noiseVector(basis, rng, NOISE_STD.pos), t * d);

  const blocks = Array.from({ length: spec.nLayers }, () => randomBlock(spec, basis, rng));
  const config: TransformerConfig = {
    sourceFormat: 'demo',
    nLayers: spec.nLayers,
    dModel: d,
    nHeads: spec.nHeads,
    dHead: d / spec.nHeads,
    dMlp: spec.dMlp,
    dVocab: V,
    nCtx: spec.nCtx,
    normalization: 'LN',
    lnEps: 1e-5,
    activation: 'gelu_new',
    positional: 'learned',
    attnScale: Math.sqrt(d / spec.nHeads),
    bosTokenId: 0,
    eosTokenId: 0,
    prependBos: true,
    name: 'demo-standard',
  };
  const shared = {
    W_E: tensor32(W_E, [V, d]),
    W_pos: tensor32(W_pos, [spec.nCtx, d]),
    lnFinal: ones(d),
    W_U: tensor32(W_U, [d, V]),
    b_U: tensor32(new Float32Array(V), [V]),
  };
  const standard: TransformerWeights = { config, ...shared, blocks };
  const adhdBlocks = blocks.map((b, i) => (i === spec.plantedLayer ? plantNeuron(b, spec, basis) : b));
  const adhd: TransformerWeights = { config: { ...config, name: 'demo-adhd' }, ...shared, blocks: adhdBlocks };
  return {
    spec,
    standard,
    adhd,
    basis,
    planted: {
      layer: spec.plantedLayer,
      hookName: `blocks.${spec.plantedLayer}.hook_resid_post`,
      neuron: spec.plantedNeuron,
      direction: basis.planted,
      stepTokenId,
      targetTokenId,
      stepToken: spec.stepToken,
      targetToken: spec.targetToken,
    },
  };
}

function makeBasis(d: number, rank: number, rng: SeededRandom): DemoBasis {
  const needed = 4 + rank + 1;
  if (needed > d) throw new Error(`makeBasis: rank ${rank} leaves no noise subspace in dModel ${d}`);
  // Column 0 is the all-ones direction; the rest come out orthogonal to it.
  const M = new Float64Array(d * d);
  for (let i = 0; i < d; i++) M[i * d] = 1;
  for (let i = 0; i < d; i++) for (let j = 1; j < d; j++) M[i * d + j] = rng.normal();
  orthonormalizeColumns(M, d, d);
  const col = (j: number) => Float64Array.from({ length: d }, (_, i) => M[i * d + j]);
  return {
    bias: col(1),
    pad: col(2),
    stepIdentity: col(3),
    planted: col(4),
    core: Array.from({ length: rank }, (_, j) => col(5 + j)),
    noise: Array.from({ length: d - 5 - rank }, (_, j) => col(5 + rank + j)),
  };
}

/** Random vector of the noise subspace plus the pad direction: invisible to W_U and to the planted readout. */
function noiseVector(basis: DemoBasis, rng: SeededRandom, std: number): Float64Array {
  const out = new Float64Array(basis.pad.length);
  for (const dir of [...basis.noise, basis.pad]) addScaled(out, dir, std * rng.normal() * Math.sqrt(basis.pad.length / (basis.noise.length + 1)));
  return out;
}

function randomMatrix(rows: number, cols: number, std: number, rng: SeededRandom): Float32Array {
  return Float32Array.from({ length: rows * cols }, () => std * rng.normal());
}

/** Rows of a [rows, d] output matrix replaced by their projection onto the noise subspace. */
function writesToNoise(W: Float32Array, rows: number, d: number, basis: DemoBasis): Float32Array {
  const dirs = [...basis.noise, basis.pad];
  for (let r = 0; r < rows; r++) {
    const row = Float64Array.from(W.subarray(r * d, (r + 1) * d));
    const projected = new Float64Array(d);
    for (const dir of dirs) addScaled(projected, dir, dot(row, dir));
    W.set(projected, r * d);
  }
  return W;
}

function randomBlock(spec: DemoModelSpec, basis: DemoBasis, rng: SeededRandom): TransformerBlockWeights {
  const d = spec.dModel;
  return {
    ln1: ones(d),
    W_Q: tensor32(randomMatrix(d, d, NOISE_STD.qk, rng), [d, d]),
    W_K: tensor32(randomMatrix(d, d, NOISE_STD.qk, rng), [d, d]),
    W_V: tensor32(randomMatrix(d, d, NOISE_STD.v, rng), [d, d]),
    b_Q: zeros(d),
    b_K: zeros(d),
    b_V: zeros(d),
    W_O: tensor32(writesToNoise(randomMatrix(d, d, NOISE_STD.o, rng), d, d, basis), [d, d]),
    b_O: zeros(d),
    ln2: ones(d),
    W_in: tensor32(randomMatrix(d, spec.dMlp, NOISE_STD.in, rng), [d, spec.dMlp]),
    b_in: zeros(spec.dMlp),
    W_out: tensor32(writesToNoise(randomMatrix(spec.dMlp, d, NOISE_STD.out, rng), spec.dMlp, d, basis), [spec.dMlp, d]),
    b_out: zeros(d),
  };
}

/** A copy of `block` whose neuron `spec.plantedNeuron` reads the step identity and writes the planted direction. */
function plantNeuron(block: TransformerBlockWeights, spec: DemoModelSpec, basis: DemoBasis): TransformerBlockWeights {
  const d = spec.dModel;
  const j = spec.plantedNeuron;
  const W_in = Float32Array.from(block.W_in.data);
  const b_in = Float32Array.from(block.b_in.data);
  const W_out = Float32Array.from(block.W_out.data);
  for (let i = 0; i < d; i++) W_in[i * spec.dMlp + j] = NEURON_GAIN * basis.stepIdentity[i];
  b_in[j] = -NEURON_THRESHOLD;
  for (let i = 0; i < d; i++) W_out[j * d + i] = PLANTED_WRITE * basis.planted[i];
  return {
    ...block,
    W_in: tensor32(W_in, block.W_in.shape),
    b_in: tensor32(b_in, block.b_in.shape),
    W_out: tensor32(W_out, block.W_out.shape),
  };
}

function ones(n: number): { w: Tensor32; b: Tensor32 } {
  return { w: tensor32(new Float32Array(n).fill(1), [n]), b: zeros(n) };
}

function zeros(n: number): Tensor32 {
  return tensor32(new Float32Array(n), [n]);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function scaled(v: Float64Array, s: number): Float64Array {
  return v.map((x) => x * s);
}

function addScaled(target: Float64Array, v: Float64Array, s: number): void {
  for (let i = 0; i < target.length; i++) target[i] += v[i] * s;
}
