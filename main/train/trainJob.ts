/**
 * The "Train SAE" job kind: one or several SAEs (one per hook, fed from one model pass) trained in
 * a worker, pausable (pause = checkpoint and stop), resumed from the last checkpoint after a pause,
 * a crash or a restart. Heavy imports stay inside run().
 */
import path from 'node:path';
import { defineJobKind } from '../jobs/kind';
import { modelLabelOfFolder } from '../library/identity';
import { planOutput } from '../outputs/outputPath';
import { TRAIN_SAE_KIND, TrainSaeParamsSchema, type TrainSaeParams } from '../../preload/contract/train';
import { saeFoldersOutput, type TrainOutputRule } from './trainOutput';

/** Where a job's SAEs go when the params name no folder. */
export function trainOutDir(runDir: string, params: Pick<TrainSaeParams, 'out'>): string {
  return params.out ? path.resolve(params.out) : path.join(runDir, 'saes');
}

/** A job's `out` came over the API (or a queued CLI `jobs add`): absolute paths only. */
function outputRule(params: TrainSaeParams): TrainOutputRule {
  return { origin: { surface: 'api' }, overwrite: params.overwrite, option: 'out' };
}

export const trainSaeJob = defineJobKind<TrainSaeParams>({
  kind: TRAIN_SAE_KIND,
  description: 'Train TopK or BatchTopK SAEs (sae_lens format) on a model\'s activations at one or several hooks, with checkpoints, evals and quality gates.',
  params: TrainSaeParamsSchema,
  title: (p) => `Train SAE · ${modelLabelOfFolder(p.model)} · ${p.hooks.join(', ')}`,
  resource: (p) => (p.device === 'cpu' ? 'cpu' : 'gpu'),
  pausable: true,
  maxAttempts: 3,
  // A bad `out` (relative, on /proc, inside the model, over an SAE without overwrite) is refused
  // when the job is added, not after the run.
  checkParams(params) {
    if (params.out) planOutput(saeFoldersOutput(params, params.out, outputRule(params)));
  },
  async run(ctx, params) {
    const { runTrainSae } = await import('./trainRun');
    return runTrainSae(params, {
      runDir: ctx.runDir,
      outDir: trainOutDir(ctx.runDir, params),
      output: outputRule(params),
      home: ctx.home,
      log: (level, message) => ctx.log(level, message),
      progress: (fraction, message, detail) => ctx.progress(fraction, message, detail),
      stopRequested: () => ctx.stopReason(),
      onCheckpoint: (step) => ctx.saveCheckpoint({ step, file: 'checkpoint.safetensors' }),
    });
  },
});
