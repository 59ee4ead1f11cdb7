import type { DeviceChoice } from '../main/engine/executionProviders';
import { validHookNames } from '../main/engine/hooks';
import { randomSae, randomTensor, randomTransformer, seededRandom } from '../main/engine/randomWeights';
import { referenceForward } from '../main/engine/reference/modelReference';
import { referenceSae } from '../main/engine/reference/saeReference';
import { runModel, runSae } from '../main/engine/runner';
import { relativeError } from '../main/engine/testing';

/**
 * Correctness on the chosen EP (the unit tests pin CPU): a tiny model's every hook and logits and
 * a TopK SAE against the float64 references. Run before trusting a GPU's bench figures.
 */
export async function engineCheck(device: DeviceChoice): Promise<string[]> {
  const model = randomTransformer({ nLayers: 3, dModel: 32, nHeads: 4, seed: 11 });
  const rand = seededRandom(3);
  const tokens = [12, 7, 4].map((len) => Array.from({ length: len }, () => Math.floor(rand() * 50)));
  const hooks = validHookNames(3);
  const run = await runModel(model, tokens, hooks, { logits: true, device });
  let worst = 0;
  tokens.forEach((seq, s) => {
    const ref = referenceForward(model, seq);
    for (const h of hooks) worst = Math.max(worst, relativeError(run.hooks[h][s].data, ref.hooks.get(h)!));
    worst = Math.max(worst, relativeError(run.logits![s].data, ref.logits));
  });
  const sae = randomSae({ dIn: 32, dSae: 128, k: 8, rescaleActsByDecoderNorm: true });
  const x = randomTensor(seededRandom(9), [24, 32], 1.5, 0.3);
  const enc = await runSae(sae, x, ['feature_acts', 'sae_out'], { device });
  const ref = referenceSae(sae, x.data, 24);
  const saeErr = Math.max(relativeError(enc.outputs.feature_acts!.data as Float32Array, ref.featureActs), relativeError(enc.outputs.sae_out!.data as Float32Array, ref.saeOut));
  const ok = worst < 1e-4 && saeErr < 1e-4;
  return [`check on ${run.report.running} (SAE on ${enc.report.running}): model max rel err ${worst.toExponential(2)} over ${hooks.length} hooks + logits, SAE ${saeErr.toExponential(2)} -> ${ok ? 'OK' : 'MISMATCH'}`];
}
