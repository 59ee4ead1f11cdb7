/**
 * The trainable tensors of one SAE in the training layout, their Adam moments, and the sae_lens
 * 6.x initialisation. The encoder is kept transposed (W_encT [d_sae, d_in], row j = encoder of
 * latent j) so the sparse weight gradient is a row scatter like the decoder's, and the encoder
 * forward is one Gemm with transB; the export transposes it back to sae_lens' W_enc [d_in, d_sae].
 */
import { SeededRandom } from '../random/seededRandom';
import { rowNorms } from '../formats/tensor';

export const PARAM_NAMES = ['W_encT', 'b_enc', 'W_dec', 'b_dec'] as const;
export type ParamName = (typeof PARAM_NAMES)[number];

export type SaeTensors = Record<ParamName, Float32Array>;

export interface SaeShape {
  dIn: number;
  dSae: number;
}

/** Each parameter's shape in the training layout. */
export function paramShape(name: ParamName, s: SaeShape): number[] {
  switch (name) {
    case 'W_encT':
    case 'W_dec':
      return [s.dSae, s.dIn];
    case 'b_enc':
      return [s.dSae];
    case 'b_dec':
      return [s.dIn];
  }
}

export function paramSize(name: ParamName, s: SaeShape): number {
  return paramShape(name, s).reduce((a, b) => a * b, 1);
}

export function zeroTensors(s: SaeShape): SaeTensors {
  return Object.fromEntries(PARAM_NAMES.map((n) => [n, new Float32Array(paramSize(n, s))])) as SaeTensors;
}

export function cloneTensors(t: SaeTensors): SaeTensors {
  return Object.fromEntries(PARAM_NAMES.map((n) => [n, Float32Array.from(t[n])])) as SaeTensors;
}

/** The optimizer's view of one SAE: parameters and Adam's first and second moments. */
export interface SaeTrainState {
  params: SaeTensors;
  m: SaeTensors;
  v: SaeTensors;
}

/** sae_lens `decoder_init_norm`: Anthropic's April 2024 "heuristic" initialisation. */
export const DECODER_INIT_NORM = 0.1;

/**
 * sae_lens 6.x TopK init: W_dec rows kaiming-uniform (torch's default a=0, fan_in = d_in, so
 * U(-sqrt(6/d_in), sqrt(6/d_in))), each row then scaled to norm 0.1; W_enc = W_dec^T; b_enc =
 * b_dec = 0. The draws come from the project's seeded PRNG, so a seed gives the same SAE
 * everywhere (not torch's numbers: the distribution is what matches).
 */
export function initSaeParams(s: SaeShape, seed: number): SaeTensors {
  const rng = new SeededRandom(seed);
  const t = zeroTensors(s);
  const bound = Math.sqrt(6 / s.dIn);
  for (let j = 0; j < s.dSae; j++) {
    const row = new Float64Array(s.dIn);
    let sq = 0;
    for (let i = 0; i < s.dIn; i++) {
      row[i] = (rng.next() * 2 - 1) * bound;
      sq += row[i] * row[i];
    }
    const scale = DECODER_INIT_NORM / Math.sqrt(sq);
    for (let i = 0; i < s.dIn; i++) t.W_dec[j * s.dIn + i] = row[i] * scale;
  }
  t.W_encT.set(t.W_dec);
  return t;
}

export function freshTrainState(s: SaeShape, seed: number): SaeTrainState {
  return { params: initSaeParams(s, seed), m: zeroTensors(s), v: zeroTensors(s) };
}

/** ||W_dec[j]|| per latent, float64. */
export function decoderRowNorms(W_dec: Float32Array, s: SaeShape): Float64Array {
  return rowNorms(W_dec, s.dSae, s.dIn);
}
