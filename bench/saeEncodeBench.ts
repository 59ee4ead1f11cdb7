import { randomSae, randomTensor, seededRandom } from '../main/engine/randomWeights';
import { runSae } from '../main/engine/runner';
import { releaseSessions } from '../main/engine/session';
import type { DeviceChoice } from '../main/engine/executionProviders';
import { matmulBaseline } from './matmulBaseline';
import { medianMs } from './timing';

/** (b) TopK SAE encode of n x d_in activations vs the raw encoder MatMul of the same shape. */
export async function saeEncodeBench(device: DeviceChoice, n = 4096, dIn = 512, dSae = 4096, k = 40): Promise<string[]> {
  const sae = randomSae({ dIn, dSae, k, rescaleActsByDecoderNorm: true, seed: 3 });
  const x = randomTensor(seededRandom(4), [n, dIn], 1);
  const sparse = await runSae(sae, x, ['feature_indices', 'feature_values'], { device });
  const sparseMs = await medianMs(() => runSae(sae, x, ['feature_indices', 'feature_values'], { device }), { reps: 7 });
  const denseMs = await medianMs(() => runSae(sae, x, ['feature_acts'], { device }), { reps: 5 });
  const roundMs = await medianMs(() => runSae(sae, x, ['feature_indices', 'feature_values', 'sae_out'], { device }), { reps: 5 });
  const base = await matmulBaseline(n, dIn, dSae, device);
  await releaseSessions();
  return [
    `(b) TopK SAE encode [${n}x${dIn}] -> ${dSae} latents, k=${k} on ${sparse.report.running}:`,
    `    raw MatMul [${n}x${dIn}]@[${dIn}x${dSae}]: ${base.ms.toFixed(1)} ms`,
    `    encode, sparse out (indices+values): ${sparseMs.toFixed(1)} ms -> ratio MatMul/encode = ${(base.ms / sparseMs).toFixed(2)}x (target >= 0.9x)`,
    `    encode, dense feature_acts:          ${denseMs.toFixed(1)} ms -> ${(base.ms / denseMs).toFixed(2)}x`,
    `    encode + sparse decode (sae_out):    ${roundMs.toFixed(1)} ms -> ${(base.ms / roundMs).toFixed(2)}x`,
  ];
}
