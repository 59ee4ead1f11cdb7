/**
 * The "Train crosscoder" job kind: a BatchTopK crosscoder over two models' paired activations,
 * trained in a worker, pausable (pause = checkpoint and stop), resumed from the last checkpoint
 * after a pause, a crash or a restart. Heavy imports stay inside run().
 */
import path from 'node:path';
import { defineJobKind } from '../jobs/kind';
import { modelLabelOfFolder } from '../library/identity';
import { planOutput } from '../outputs/outputPath';
import { TRAIN_CROSSCODER_KIND, TrainCrosscoderParamsSchema, type TrainCrosscoderParams } from '../../preload/contract/crosscoder';
import { crosscoderFolderOutput } from './crosscoderOutput';
import type { TrainOutputRule } from './trainOutput';

/** Where a job's crosscoder goes when the params name no folder. */
export function crosscoderOutDir(runDir: string, params: Pick<TrainCrosscoderParams, 'out'>): string {
  return params.out ? path.resolve(params.out) : path.join(runDir, 'crosscoder');
}

function outputRule(params: TrainCrosscoderParams): TrainOutputRule {
  return { origin: { surface: 'api' }, overwrite: params.overwrite, option: 'out' };
}

export const trainCrosscoderJob = defineJobKind<TrainCrosscoderParams>({
  kind: TRAIN_CROSSCODER_KIND,
  description: 'Train a BatchTopK crosscoder: one dictionary over the paired activations of two models (same tokenizer) at one hook each, with checkpoints, held-out per-model FVE and Δnorm bands.',
  params: TrainCrosscoderParamsSchema,
  title: (p) => `Train crosscoder · ${modelLabelOfFolder(p.modelA)} ↔ ${modelLabelOfFolder(p.modelB)} · ${p.hookA}${p.hookB && p.hookB !== p.hookA ? ` / ${p.hookB}` : ''}`,
  resource: (p) => (p.device === 'cpu' ? 'cpu' : 'gpu'),
  pausable: true,
  maxAttempts: 3,
  checkParams(params) {
    if (params.out) planOutput(crosscoderFolderOutput(params, params.out, outputRule(params)));
  },
  async run(ctx, params) {
    const { runTrainCrosscoder } = await import('./crosscoderRun');
    return runTrainCrosscoder(params, {
      runDir: ctx.runDir,
      outDir: crosscoderOutDir(ctx.runDir, params),
      output: outputRule(params),
      home: ctx.home,
      log: (level, message) => ctx.log(level, message),
      progress: (fraction, message, detail) => ctx.progress(fraction, message, detail),
      stopRequested: () => ctx.stopReason(),
      onCheckpoint: (step) => ctx.saveCheckpoint({ step, file: 'checkpoint.safetensors' }),
    });
  },
});
