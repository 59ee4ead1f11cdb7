import { randomSae, randomTensor, seededRandom } from '../main/engine/randomWeights';
import { runSae } from '../main/engine/runner';
import { releaseSessions } from '../main/engine/session';
import type { DeviceChoice } from '../main/engine/executionProviders';
import { matmulBaseline } from './matmulBaseline';
import { fmt, time } from './timing';

/** (b) TopK SAE encode of n x d_in activations vs the raw encoder MatMul of the same shape. */
export async function saeEncodeBench(device: DeviceChoice, n = 4096, dIn = 512, dSae = 4096, k = 40, reps = 7): Promise<string[]> {
  const sae = randomSae({ dIn, dSae, k, rescaleActsByDecoderNorm: true, seed: 3 });
  const x = randomTensor(seededRandom(4), [n, dIn], 1);
  const sparse = await runSae(sae, x, ['feature_indices', 'feature_values'], { device });
  const base = await matmulBaseline(n, dIn, dSae, device, reps);
  const reduced = await matmulBaseline(n, dIn, dSae, device, reps, true);
  const sparseT = await time(() => runSae(sae, x, ['feature_indices', 'feature_values'], { device }), { reps });
  const denseT = await time(() => runSae(sae, x, ['feature_acts'], { device }), { reps: Math.max(3, reps - 2) });
  const roundT = await time(() => runSae(sae, x, ['feature_indices', 'feature_values', 'sae_out'], { device }), { reps: Math.max(3, reps - 2) });
  await releaseSessions();
  const b = base.timing.best;
  return [
    `(b) TopK SAE [${n}x${dIn}] -> ${dSae} latents, k=${k} on ${sparse.report.running}:`,
    `    raw MatMul [${n}x${dIn}]@[${dIn}x${dSae}]:    ${fmt(base.timing)}`,
    `    MatMul + ReduceMax (small output):    ${fmt(reduced.timing)}`,
    `    encode, sparse out (indices+values): ${fmt(sparseT)} -> MatMul/encode = ${(b / sparseT.best).toFixed(2)}x (target >= 0.9x); vs MatMul+ReduceMax ${(reduced.timing.best / sparseT.best).toFixed(2)}x`,
    `    encode, dense feature_acts:          ${fmt(denseT)} -> ${(b / denseT.best).toFixed(2)}x`,
    `    encode + sparse decode (sae_out):    ${fmt(roundT)} -> ${(b / roundT.best).toFixed(2)}x`,
  ];
}
