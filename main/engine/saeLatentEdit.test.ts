import { describe, expect, it } from 'vitest';
import type { SaeNormalization } from '../formats/sae';
import { randomSae, seededRandom } from './randomWeights';
import { referenceSae, referenceSaeDecode } from './reference/saeReference';
import { encodeFeatureColumns, spliceLatents } from './saeLatentEdit';
import { relativeError } from './testing';

const rand = seededRandom(11);
const n = 12;
const dIn = 24;
const x = { data: Float32Array.from({ length: n * dIn }, () => (rand() * 2 - 1) * 2), shape: [n, dIn] };
const features = [3, 17, 40];

const variants: { name: string; architecture: 'topk' | 'standard' | 'jumprelu'; normalizeActivations: SaeNormalization; rescaleActsByDecoderNorm: boolean; inputScalingFactor?: number }[] = [
  { name: 'topk', architecture: 'topk', normalizeActivations: 'none', rescaleActsByDecoderNorm: false },
  { name: 'topk, decoder-norm rescaling, constant_norm_rescale', architecture: 'topk', normalizeActivations: 'constant_norm_rescale', rescaleActsByDecoderNorm: true },
  { name: 'standard, layer_norm', architecture: 'standard', normalizeActivations: 'layer_norm', rescaleActsByDecoderNorm: false },
  { name: 'jumprelu, unfolded expected_average_only_in', architecture: 'jumprelu', normalizeActivations: 'expected_average_only_in', rescaleActsByDecoderNorm: false, inputScalingFactor: 0.7 },
];

describe('SAE latent splice', () => {
  for (const v of variants) {
    it(`${v.name}: x' = x_hat(edited latents) + (x - x_hat) as the float64 reference computes it`, async () => {
      const sae = randomSae({ dIn, dSae: 64, k: 10, seed: 5, ...v });
      const ref = referenceSae(sae, x.data, n);
      const cols = await encodeFeatureColumns(sae, x, features, { device: 'cpu' });
      features.forEach((f, j) => {
        for (let r = 0; r < n; r++) expect(cols[r * 3 + j]).toBeCloseTo(ref.featureActs[r * 64 + f], 4);
      });
      // Every chosen latent set to a new value (zero for one, a constant for another, doubled for the third).
      const target = new Float32Array(n * 3);
      for (let r = 0; r < n; r++) [target[r * 3], target[r * 3 + 1], target[r * 3 + 2]] = [0, 1.5, 2 * cols[r * 3 + 2]];
      const out = spliceLatents(sae, x, features, cols, target);
      const edited = Float64Array.from(ref.featureActs);
      for (let r = 0; r < n; r++) features.forEach((f, j) => (edited[r * 64 + f] = target[r * 3 + j]));
      const expected = referenceSaeDecode(sae, edited, x.data, n).map((v, i) => v + (x.data[i] - ref.saeOut[i]));
      expect(relativeError(out.data, expected)).toBeLessThan(1e-5);
      // Unchanged latents leave x exactly as it was.
      expect(Array.from(spliceLatents(sae, x, features, cols, cols).data)).toEqual(Array.from(x.data));
    });
  }

  it('one value per feature applies to every row, and bad feature ids are refused', async () => {
    const sae = randomSae({ dIn, dSae: 64, k: 10, seed: 8 });
    const cols = await encodeFeatureColumns(sae, x, [5], { device: 'cpu' });
    const perRow = spliceLatents(sae, x, [5], cols, new Float32Array(n).fill(0.25));
    const shared = spliceLatents(sae, x, [5], cols, [0.25]);
    expect(Array.from(shared.data)).toEqual(Array.from(perRow.data));
    await expect(encodeFeatureColumns(sae, x, [64])).rejects.toMatchObject({ code: 'SAE_FEATURE_OUT_OF_RANGE' });
  });
});
