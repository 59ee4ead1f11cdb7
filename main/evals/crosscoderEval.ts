/**
 * A crosscoder judged on paired activations of its two models, by the metrics defined once in
 * saeMetrics.ts: each model's FVE (pooled over tokens, float64), the L0 of the shared latents,
 * dead % (never fired on these tokens), L2 ratios, and each latent's firing count. The crosscoder
 * runs through the engine exactly as saved (crosscoderSae.ts), in row chunks so the dense
 * latents of a chunk stay small.
 */
import { crosscoderAsSae, pairRows } from '../engine/crosscoderSae';
import type { DeviceChoice, EpReport } from '../engine/executionProviders';
import { requireFiniteOutputs } from '../engine/finiteOutputs';
import { runSae } from '../engine/runner';
import type { CrosscoderWeights } from '../formats/crosscoder';
import { ReconstructionAccumulator } from './saeMetrics';

export interface CrosscoderMetrics {
  tokens: number;
  fve_a: number;
  fve_b: number;
  l0: number;
  dead_pct: number;
  l2_ratio_a: number;
  l2_ratio_b: number;
}

export interface CrosscoderEvaluation {
  metrics: CrosscoderMetrics;
  fireCounts: Float64Array;
  report: EpReport | null;
}

/** Rows per engine call: the dense latents of a chunk stay near 32 MB. */
function chunkRows(dSae: number): number {
  return Math.max(64, Math.min(8192, Math.floor((8 * 1024 * 1024) / dSae)));
}

/**
 * `xA`, `xB`: [rows, d_in] activations of the same tokens in models A and B (raw units).
 * `onChunk` sees each chunk's dense latents and reconstructions (analyses that need more).
 */
export async function evaluateCrosscoder(
  cc: CrosscoderWeights,
  xA: Float32Array,
  xB: Float32Array,
  opts: { device: DeviceChoice; onChunk?: (c: { first: number; rows: number; acts: Float32Array; xhat: Float32Array; pair: Float32Array }) => void; onProgress?: (fraction: number) => void },
): Promise<CrosscoderEvaluation> {
  const { dIn: d, dSae } = cc.config;
  const rows = xA.length / d;
  const sae = crosscoderAsSae(cc);
  const accA = new ReconstructionAccumulator(d, dSae);
  const accB = new ReconstructionAccumulator(d, dSae);
  const chunk = chunkRows(dSae);
  let report: EpReport | null = null;
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const n = Math.min(chunk, rows - r0);
    const a = xA.subarray(r0 * d, (r0 + n) * d);
    const b = xB.subarray(r0 * d, (r0 + n) * d);
    const pair = pairRows(a, b, d);
    const run = await runSae(sae, { data: pair, shape: [n, 2 * d] }, ['feature_acts', 'sae_out'], { device: opts.device });
    report = run.report;
    const acts = run.outputs.feature_acts!.data as Float32Array;
    const xhat = run.outputs.sae_out!.data as Float32Array;
    requireFiniteOutputs({ sae_out: run.outputs.sae_out as { data: Float32Array; shape: number[] } }, 'the crosscoder evaluation');
    const hatA = new Float32Array(n * d);
    const hatB = new Float32Array(n * d);
    for (let r = 0; r < n; r++) {
      hatA.set(xhat.subarray(2 * r * d, (2 * r + 1) * d), r * d);
      hatB.set(xhat.subarray((2 * r + 1) * d, (2 * r + 2) * d), r * d);
    }
    accA.addRows(a, hatA, n, (r, visit) => {
      for (let j = 0; j < dSae; j++) if (acts[r * dSae + j] !== 0) visit(j);
    });
    accB.addRows(b, hatB, n, () => {});
    opts.onChunk?.({ first: r0, rows: n, acts, xhat, pair });
    opts.onProgress?.(Math.min(1, (r0 + n) / rows));
  }
  return {
    metrics: { tokens: rows, fve_a: accA.fve(), fve_b: accB.fve(), l0: accA.l0(), dead_pct: accA.deadPercent(), l2_ratio_a: accA.l2Ratio(), l2_ratio_b: accB.l2Ratio() },
    fireCounts: accA.fireCounts,
    report,
  };
}
