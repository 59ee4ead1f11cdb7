import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDemoBundle } from '../main/demo/demoBundle';
import type { DeviceChoice } from '../main/engine/executionProviders';
import { randomTransformer } from '../main/engine/randomWeights';
import { writeGpt2Directory } from '../main/formats/models/gpt2Writer';
import { runTrainSae } from '../main/train/trainRun';
import { TrainSaeParamsSchema } from '../preload/contract/train';

/**
 * (j) Whole-job throughput: a GPT-2-shaped model at the bench's width (4 layers, d_model 512, the
 * demo's vocabulary and text) feeding a TopK SAE d_sae 4096, k 40, batch 4096 at
 * blocks.3.hook_resid_post: tokens/s of the whole job (model forward, shuffling, steps) beside
 * the train step alone, from the run's own accounting (sae_lens' 1000-step dead window: no AuxK
 * in so short a run).
 */
export async function trainJobBench(device: DeviceChoice, steps = 12): Promise<string[]> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-wb-trainjob-'));
  try {
    const demo = ensureDemoBundle(home);
    const modelDir = path.join(home, 'model-512');
    const model = randomTransformer({ nLayers: 4, dModel: 512, nHeads: 8, dVocab: 225, nCtx: 128, seed: 3 });
    model.b_U.data.fill(0); // GPT2LMHeadModel has no output bias
    writeGpt2Directory(modelDir, model);
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(demo.models.standard, f), path.join(modelDir, f));
    const params = TrainSaeParamsSchema.parse({ model: modelDir, hooks: ['blocks.3.hook_resid_post'], dataset: demo.dataset, k: 40, dSae: 4096, tokens: 4096 * steps, batchSize: 4096, bufferBatches: 4, evalTokens: 2048, device, loopDataset: true, deadWindowTokens: 4096 * 1000 });
    const runDir = path.join(home, 'run');
    const t0 = performance.now();
    const res = await runTrainSae(params, { runDir, outDir: path.join(runDir, 'saes'), home, log: () => {}, progress: () => {}, stopRequested: () => null });
    const wall = (performance.now() - t0) / 1000;
    return [
      `(j) whole training job, GPT-2-shaped 4 x 512 model -> TopK SAE d_sae 4096, k 40, batch 4096, ${res.tokens.toLocaleString()} tokens on ${res.executionProvider}:`,
      `    whole job (model forward + shuffling + steps): ${Math.round(res.tokensPerSecond).toLocaleString()} tokens/s; train step alone: ${Math.round(res.stepTokensPerSecond).toLocaleString()} tokens/s (${((100 * res.tokensPerSecond) / res.stepTokensPerSecond).toFixed(0)}% of the step rate)`,
      `    wall time incl. setup, held-out evals (CE/KL splices) and export: ${wall.toFixed(1)} s`,
    ];
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}
