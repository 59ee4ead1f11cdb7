import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDemoBundle } from '../main/demo/demoBundle';
import type { DeviceChoice } from '../main/engine/executionProviders';
import { randomTensor, randomTransformer, seededRandom } from '../main/engine/randomWeights';
import { writeGpt2Directory } from '../main/formats/models/gpt2Writer';
import { runTrainCrosscoder } from '../main/train/crosscoderRun';
import { freshTrainState } from '../main/train/saeParams';
import { SaeStepRunner, type StepSpec } from '../main/train/stepRunner';
import { TrainCrosscoderParamsSchema } from '../preload/contract/crosscoder';
import { fmt, timeInterleaved } from './timing';

/**
 * (x) The BatchTopK crosscoder train step at d_in 2 x 512, d_sae 4096, k 40, batch 4096 as a
 * multiple of the single-SAE BatchTopK step (d_in 512, same d_sae, k, batch) measured in the same
 * run, interleaved. The crosscoder's encoder GEMM reads 2 x d_in and its decoder rows are 2 x d_in
 * wide, so about 2x is the expectation; target <= 2.2x.
 */
export async function crosscoderStepBench(device: DeviceChoice, n = 4096, dIn = 512, dSae = 4096, k = 40, reps = 5): Promise<string[]> {
  const spec = (models: number): StepSpec => ({ dIn: models * dIn, dSae, k, activation: 'batchtopk', batchSize: n, formulation: 'sparse', beta1: 0.9, beta2: 0.999, clipNorm: 1, ...(models > 1 ? { crosscoderModels: models } : {}) });
  const sae = await SaeStepRunner.create(spec(1), freshTrainState({ dIn, dSae }, 1), device);
  const cc = await SaeStepRunner.create(spec(2), freshTrainState({ dIn: 2 * dIn, dSae }, 1), device);
  const x1 = randomTensor(seededRandom(2), [n, dIn], 1).data;
  const x2 = randomTensor(seededRandom(3), [n, 2 * dIn], 1).data;
  let t = 1;
  const opts = () => ({ lr: 1e-4, t: t++, dead: [] as number[], auxCoefficient: 1 });
  const [saeT, ccT] = await timeInterleaved([() => sae.step(x1, opts()), () => cc.step(x2, opts())], { reps });
  const ep = cc.report.running;
  await Promise.all([sae.release(), cc.release()]);
  return [
    `(x) crosscoder train step, BatchTopK d_in 2 x ${dIn} -> d_sae ${dSae}, k ${k}, batch ${n} tokens on ${ep}:`,
    `    single-SAE BatchTopK step (d_in ${dIn}): ${fmt(saeT)}`,
    `    crosscoder step (d_in 2 x ${dIn}): ${fmt(ccT)} -> ${(ccT.best / saeT.best).toFixed(2)}x the single-SAE step (target <= 2.2x)`,
  ];
}

/**
 * (xj) Whole crosscoder job: two GPT-2-shaped 4 x 512 models (random weights, the demo's
 * vocabulary and text) run on the same windows, paired rows feeding the crosscoder d_sae 4096,
 * k 40, batch 4096 at blocks.3.hook_resid_post: tokens/s of the whole job beside the step alone.
 */
export async function crosscoderJobBench(device: DeviceChoice, steps = 8): Promise<string[]> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-wb-ccjob-'));
  try {
    const demo = ensureDemoBundle(home);
    const dirs = [3, 4].map((seed) => {
      const dir = path.join(home, `model-512-${seed}`);
      const model = randomTransformer({ nLayers: 4, dModel: 512, nHeads: 8, dVocab: 225, nCtx: 128, seed, name: `bench-512-${seed}` });
      model.b_U.data.fill(0);
      writeGpt2Directory(dir, model);
      for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(demo.models.standard, f), path.join(dir, f));
      return dir;
    });
    const params = TrainCrosscoderParamsSchema.parse({ modelA: dirs[0], modelB: dirs[1], hookA: 'blocks.3.hook_resid_post', dataset: demo.dataset, k: 40, dSae: 4096, tokens: 4096 * steps, batchSize: 4096, bufferBatches: 4, evalTokens: 2048, normTokens: 4096, device, loopDataset: true, deadWindowTokens: 4096 * 1000 });
    const runDir = path.join(home, 'run');
    const t0 = performance.now();
    const res = await runTrainCrosscoder(params, { runDir, outDir: runDir, home, log: () => {}, progress: () => {}, stopRequested: () => null });
    const wall = (performance.now() - t0) / 1000;
    return [
      `(xj) whole crosscoder job, two GPT-2-shaped 4 x 512 models -> crosscoder d_sae 4096, k 40, batch 4096, ${res.tokens.toLocaleString()} tokens on ${res.executionProvider}:`,
      `    whole job (both model forwards + shuffling + steps): ${Math.round(res.tokensPerSecond).toLocaleString()} tokens/s; train step alone: ${Math.round(res.stepTokensPerSecond).toLocaleString()} tokens/s (${((100 * res.tokensPerSecond) / res.stepTokensPerSecond).toFixed(0)}% of the step rate)`,
      `    wall time incl. setup, input scales, held-out eval and export: ${wall.toFixed(1)} s`,
    ];
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}
