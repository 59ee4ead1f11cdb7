import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { Tensor32 } from '../formats/tensor';
import { randomSae, randomTensor, seededRandom, type RandomSaeOptions } from './randomWeights';
import { referenceSae } from './reference/saeReference';
import { runSae } from './runner';
import { buildSaeGraph } from './saeGraph';
import { relativeError } from './testing';

const N = 24;

function activations(dIn: number, seed: number): Tensor32 {
  // Offset mean so b_dec subtraction and normalisation matter.
  return randomTensor(seededRandom(seed), [N, dIn], 1.5, 0.3);
}

const cases: { label: string; opts: RandomSaeOptions }[] = [
  { label: 'topk', opts: { architecture: 'topk', k: 8 } },
  { label: 'topk, rescale by decoder norm', opts: { architecture: 'topk', k: 5, rescaleActsByDecoderNorm: true } },
  { label: 'topk, no b_dec on input, constant_norm_rescale', opts: { architecture: 'topk', k: 8, applyBDecToInput: false, normalizeActivations: 'constant_norm_rescale' } },
  { label: 'topk, layer_norm', opts: { architecture: 'topk', k: 12, normalizeActivations: 'layer_norm' } },
  { label: 'topk, expected_average_only_in unfolded', opts: { architecture: 'topk', k: 8, normalizeActivations: 'expected_average_only_in', inputScalingFactor: 0.37 } },
  { label: 'standard', opts: { architecture: 'standard' } },
  { label: 'standard, rescale', opts: { architecture: 'standard', rescaleActsByDecoderNorm: true, dSae: 96 } },
  { label: 'jumprelu', opts: { architecture: 'jumprelu' } },
];

/** Indices of nonzero entries per row, sorted, for set comparison. */
function activeSets(acts: ArrayLike<number>, n: number, d: number): number[][] {
  return Array.from({ length: n }, (_, r) => {
    const s: number[] = [];
    for (let j = 0; j < d; j++) if (acts[r * d + j] !== 0) s.push(j);
    return s;
  });
}

describe('SAE graph vs float64 sae_lens reference', () => {
  for (const { label, opts } of cases) {
    it(label, async () => {
      const sae = randomSae({ dIn: 32, dSae: 128, seed: 5, ...opts });
      const x = activations(32, 9);
      const run = await runSae(sae, x, ['feature_acts', 'sae_out', 'sae_error'], { device: 'cpu' });
      const ref = referenceSae(sae, x.data, N);
      const acts = run.outputs.feature_acts!.data as Float32Array;
      const dSae = sae.config.dSae;
      expect(activeSets(acts, N, dSae)).toEqual(activeSets(ref.featureActs, N, dSae));
      expect(relativeError(acts, ref.featureActs)).toBeLessThan(1e-5);
      expect(relativeError(run.outputs.sae_out!.data as Float32Array, ref.saeOut)).toBeLessThan(1e-5);
      const err = run.outputs.sae_error!.data as Float32Array;
      expect(relativeError(err, x.data.map((v, i) => v - ref.saeOut[i]))).toBeLessThan(1e-4);
      // Non-degenerate: some latents fire, and for TopK never more than k per token.
      const l0 = activeSets(acts, N, dSae).map((s) => s.length);
      expect(Math.max(...l0)).toBeGreaterThan(0);
      if (sae.config.k) expect(Math.max(...l0)).toBeLessThanOrEqual(sae.config.k);
    });
  }

  it('TopK applies ReLU after selection, so L0 can be below k', async () => {
    const sae = randomSae({ dIn: 16, dSae: 64, k: 40, seed: 3 });
    const x = activations(16, 4);
    const run = await runSae(sae, x, ['feature_acts'], { device: 'cpu' });
    const ref = referenceSae(sae, x.data, N);
    const l0 = activeSets(run.outputs.feature_acts!.data as Float32Array, N, 64).map((s) => s.length);
    expect(Math.min(...l0)).toBeLessThan(40);
    expect(relativeError(run.outputs.feature_acts!.data as Float32Array, ref.featureActs)).toBeLessThan(1e-5);
  });

  it('sparse outputs: TopK indices identical to the reference, values within 1e-5', async () => {
    const sae = randomSae({ dIn: 32, dSae: 128, k: 8, rescaleActsByDecoderNorm: true, seed: 8 });
    const x = activations(32, 10);
    const run = await runSae(sae, x, ['feature_indices', 'feature_values'], { device: 'cpu' });
    const ref = referenceSae(sae, x.data, N);
    const idx = run.outputs.feature_indices!.data as BigInt64Array;
    const vals = run.outputs.feature_values!.data as Float32Array;
    expect(run.outputs.feature_indices!.shape).toEqual([N, 8]);
    let maxVal = 0;
    for (let r = 0; r < N; r++) {
      const row = Array.from(ref.featureActs.subarray(r * 128, (r + 1) * 128));
      const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a]);
      const firing = order.filter((j) => row[j] > 0).slice(0, 8);
      const got = Array.from(idx.subarray(r * 8, r * 8 + firing.length), Number);
      expect(got).toEqual(firing);
      for (let t = 0; t < 8; t++) {
        const j = Number(idx[r * 8 + t]);
        expect(Math.abs(vals[r * 8 + t] - row[j])).toBeLessThan(1e-5 * Math.max(1, Math.abs(row[j])));
        maxVal = Math.max(maxVal, vals[r * 8 + t]);
      }
    }
    expect(maxVal).toBeGreaterThan(0.1);
  });

  it('sparse outputs for a standard SAE return its largest activations', async () => {
    const sae = randomSae({ architecture: 'standard', dIn: 32, dSae: 128, seed: 2 });
    const x = activations(32, 12);
    const run = await runSae(sae, x, ['feature_indices', 'feature_values'], { device: 'cpu', sparseK: 4 });
    const ref = referenceSae(sae, x.data, N);
    for (let r = 0; r < N; r++) {
      const sorted = Array.from(ref.featureActs.subarray(r * 128, (r + 1) * 128)).sort((a, b) => b - a).slice(0, 4);
      expect(relativeError((run.outputs.feature_values!.data as Float32Array).subarray(r * 4, r * 4 + 4), sorted)).toBeLessThan(1e-5);
    }
  });

  it('row chunks write into their slices of the result', async () => {
    const sae = randomSae({ dIn: 32, dSae: 128, k: 8, seed: 6 });
    const x = activations(32, 13);
    const whole = await runSae(sae, x, ['feature_acts', 'sae_out', 'feature_indices'], { device: 'cpu' });
    const chunked = await runSae(sae, x, ['feature_acts', 'sae_out', 'feature_indices'], { device: 'cpu', rowChunk: 5 });
    expect(Array.from(chunked.outputs.feature_indices!.data as BigInt64Array)).toEqual(Array.from(whole.outputs.feature_indices!.data as BigInt64Array));
    expect(relativeError(chunked.outputs.feature_acts!.data as Float32Array, whole.outputs.feature_acts!.data as Float32Array)).toBe(0);
    expect(relativeError(chunked.outputs.sae_out!.data as Float32Array, referenceSae(sae, x.data, N).saeOut)).toBeLessThan(1e-5);
  });

  it('the graph itself scatters TopK acts densely (ScatterElements) like the reference', async () => {
    const sae = randomSae({ dIn: 32, dSae: 128, k: 8, rescaleActsByDecoderNorm: true, seed: 15 });
    const x = activations(32, 16);
    const session = await ort.InferenceSession.create(buildSaeGraph(sae, { outputs: ['feature_acts'] }), { logSeverityLevel: 3, executionProviders: ['cpu'] });
    const out = await session.run({ x: new ort.Tensor('float32', x.data, [N, 32]) });
    const ref = referenceSae(sae, x.data, N);
    expect(activeSets(out.feature_acts.data as Float32Array, N, 128)).toEqual(activeSets(ref.featureActs, N, 128));
    expect(relativeError(out.feature_acts.data as Float32Array, ref.featureActs)).toBeLessThan(1e-5);
  });

  it('names both widths when the SAE does not fit the activations', async () => {
    const sae = randomSae({ dIn: 32, dSae: 64 });
    await expect(runSae(sae, activations(24, 1), ['sae_out'])).rejects.toThrow(/d_in 32.*24 wide/);
  });
});
