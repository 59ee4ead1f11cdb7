import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDemoBundle } from '../main/demo/demoBundle';
import type { DeviceChoice } from '../main/engine/executionProviders';
import { runTrainSae } from '../main/train/trainRun';
import { TrainSaeParamsSchema } from '../preload/contract/train';
import { runSae } from '../main/engine/runner';
import { ReconstructionAccumulator } from '../main/evals/saeMetrics';
import type { SaeWeights } from '../main/formats/sae';
import { mulberry32, weightedSampler } from '../main/random/seededRandom';
import { foldedWeights } from '../main/train/saeExport';
import { freshTrainState } from '../main/train/saeParams';
import { SaeStepRunner } from '../main/train/stepRunner';

/**
 * (lr) How the default lr was chosen: held-out FVE of TopK SAEs on the demo's adhd
 * blocks.2.hook_resid_post at two widths and two token budgets, for lrs around sae_lens' 3e-4.
 * Activations are cached on disk after the first run, so the later runs cost the SAE steps only.
 */
export async function lrStudy(device: DeviceChoice, opts: { widths?: number[]; budgets?: number[]; lrs?: number[] } = {}): Promise<string[]> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-wb-lrstudy-'));
  try {
    const demo = ensureDemoBundle(home);
    const widths = opts.widths ?? [64, 256];
    const budgets = opts.budgets ?? [100_000, 400_000];
    const lrs = opts.lrs ?? [3e-4, 1e-3, 3e-3, 1e-2];
    const lines = [`(lr) held-out FVE, TopK k 8, batch 1024, demo adhd blocks.2.hook_resid_post (d_in 64); rows: d_sae x tokens, columns: lr`];
    lines.push(`    ${'d_sae / tokens'.padEnd(18)}${lrs.map((l) => l.toExponential(0).padStart(9)).join('')}   best`);
    const wins = new Map<number, number>();
    for (const dSae of widths) {
      for (const tokens of budgets) {
        const fves: number[] = [];
        for (const lr of lrs) {
          const runDir = fs.mkdtempSync(path.join(home, 'run-'));
          const params = TrainSaeParamsSchema.parse({ model: demo.models.adhd, hooks: ['blocks.2.hook_resid_post'], dataset: demo.dataset, k: 8, dSae, tokens, batchSize: 1024, lr, evalTokens: 8192, loopDataset: true, cacheActivations: true, device });
          const res = await runTrainSae(params, { runDir, outDir: path.join(runDir, 'saes'), home, log: () => {}, progress: () => {}, stopRequested: () => null });
          fves.push(res.saes[0].eval.fve);
          fs.rmSync(runDir, { recursive: true, force: true });
        }
        const best = lrs[fves.indexOf(Math.max(...fves))];
        wins.set(best, (wins.get(best) ?? 0) + 1);
        lines.push(`    ${`${dSae} / ${tokens / 1000}k`.padEnd(18)}${fves.map((f) => f.toFixed(4).padStart(9)).join('')}   ${best.toExponential(0)}`);
      }
    }
    lines.push(`    best lr per setting: ${[...wins].map(([lr, n]) => `${lr.toExponential(0)} x${n}`).join(', ')}`);
    return lines;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** Synthetic activations with a known sparse structure: x = sum of a few of `features` unit directions + noise. */
function syntheticSource(dIn: number, features: number, active: number, seed: number) {
  const rand = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const dict = new Float32Array(features * dIn);
  for (let f = 0; f < features; f++) {
    let n = 0;
    for (let i = 0; i < dIn; i++) n += (dict[f * dIn + i] = normal()) ** 2;
    for (let i = 0; i < dIn; i++) dict[f * dIn + i] /= Math.sqrt(n);
  }
  const offset = Float32Array.from({ length: dIn }, () => normal() * 2);
  // Zipf-like frequencies: feature f is drawn with probability ~ 1 / (f + 10).
  const pick = weightedSampler(Float64Array.from({ length: features }, (_, f) => 1 / (f + 10)), rand);
  return (rows: number): Float32Array => {
    const x = new Float32Array(rows * dIn);
    for (let r = 0; r < rows; r++) {
      const row = x.subarray(r * dIn, (r + 1) * dIn);
      row.set(offset);
      for (let a = 0; a < active; a++) {
        const f = pick();
        const m = -Math.log(1 - rand()) * 3;
        for (let i = 0; i < dIn; i++) row[i] += m * dict[f * dIn + i];
      }
      for (let i = 0; i < dIn; i++) row[i] += normal() * 0.05;
    }
    return x;
  };
}

/**
 * (lr, wide) The same question at the bench's width: d_in 512 -> d_sae 4096, k 40, batch 4096, on
 * synthetic activations (4096 Zipf-distributed unit directions, 20 active per token), since the
 * demo is the only model on this machine. Held-out FVE on 16384 fresh rows.
 */
export async function lrStudyWide(device: DeviceChoice, opts: { budgets?: number[]; lrs?: number[] } = {}): Promise<string[]> {
  const dIn = 512;
  const dSae = 4096;
  const batch = 4096;
  const budgets = opts.budgets ?? [1 << 19, 1 << 20];
  const lrs = opts.lrs ?? [3e-4, 1e-3, 3e-3, 1e-2];
  const source = syntheticSource(dIn, 4096, 20, 5);
  const heldOut = source(16384);
  const lines = [`(lr, wide) held-out FVE, TopK d_in ${dIn} -> d_sae ${dSae}, k 40, batch ${batch}, synthetic sparse activations; rows: tokens, columns: lr`];
  lines.push(`    ${'tokens'.padEnd(12)}${lrs.map((l) => l.toExponential(0).padStart(9)).join('')}   best`);
  for (const tokens of budgets) {
    const fves: number[] = [];
    for (const lr of lrs) {
      const shape = { dIn, dSae };
      const runner = await SaeStepRunner.create({ dIn, dSae, k: 40, activation: 'topk', batchSize: batch, formulation: 'sparse', beta1: 0.9, beta2: 0.999, clipNorm: 1 }, freshTrainState(shape, 1), device);
      const data = syntheticSource(dIn, 4096, 20, 5);
      data(16384); // the held-out rows come first in the same stream; training starts after them
      const since = new Float64Array(dSae);
      const window = Math.max(1, Math.floor(tokens / batch / 10));
      for (let step = 0; step < Math.floor(tokens / batch); step++) {
        const dead: number[] = [];
        since.forEach((s, j) => s > window && dead.push(j));
        const res = await runner.step(data(batch), { lr, t: step + 1, dead, auxCoefficient: 1 });
        res.fireCounts.forEach((c, j) => (since[j] = c > 0 ? 0 : since[j] + 1));
      }
      const w = foldedWeights(runner.state().params, shape);
      const sae: SaeWeights = {
        config: { architecture: 'topk', dIn, dSae, k: 40, hookName: 'synthetic', hookLayer: null, modelName: null, dtype: 'float32', applyBDecToInput: true, normalizeActivations: 'none', rescaleActsByDecoderNorm: true, contextSize: null, prependBos: null, inputScalingFactor: null, cfgGeneration: 'v6', raw: {} },
        W_enc: { data: w.W_enc, shape: [dIn, dSae] },
        W_dec: { data: w.W_dec, shape: [dSae, dIn] },
        b_enc: { data: w.b_enc, shape: [dSae] },
        b_dec: { data: w.b_dec, shape: [dIn] },
        threshold: null,
      };
      const out = (await runSae(sae, { data: heldOut, shape: [16384, dIn] }, ['sae_out'], { device })).outputs.sae_out!.data as Float32Array;
      const acc = new ReconstructionAccumulator(dIn, dSae);
      acc.addRows(heldOut, out, 16384, () => {});
      fves.push(acc.fve());
      await runner.release();
    }
    lines.push(`    ${tokens.toLocaleString('en-US').padEnd(12)}${fves.map((f) => f.toFixed(4).padStart(9)).join('')}   ${lrs[fves.indexOf(Math.max(...fves))].toExponential(0)}`);
  }
  return lines;
}
