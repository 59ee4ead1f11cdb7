/**
 * What a training run writes, for the output rule (outputs/outputPath): the run's own files in
 * its run folder, and one sae_lens folder per hook in the output folder, all planned as one
 * folder output each, so `train --out DIR` may add to a folder that holds other things
 * (DIR/<hook>/notes/ survives) and, with --overwrite, replaces only these files.
 * Light on purpose: the train.sae job kind checks its `out` with it when the job is added.
 */
import { SAE_CFG_FILE, SAE_SPARSITY_FILE, SAE_WEIGHTS_FILE } from '../formats/saeConfig';
import type { OutputRequest, OutputSurface } from '../outputs/outputPath';
import type { TrainSaeParams } from '../../preload/contract/train';
import { CHECKPOINT_FILE } from './checkpoint';
import { METRICS_FILE } from './metricsLog';

export const PARAMS_FILE = 'params.json';
export const TRAINING_CONFIG_FILE = 'training_config.json';

/** The files of one exported SAE folder; cfg.json marks it complete (renamed into place last). */
export const SAE_FOLDER_FILES = [SAE_WEIGHTS_FILE, SAE_SPARSITY_FILE, TRAINING_CONFIG_FILE, SAE_CFG_FILE] as const;
/** The files a run keeps in its run folder (the CLI's --out). */
export const RUN_FILES = [PARAMS_FILE, CHECKPOINT_FILE, METRICS_FILE] as const;

/** How the user asked for the output: from where, whether to overwrite, by which option. */
export interface TrainOutputRule {
  origin: OutputSurface;
  overwrite: boolean;
  option: string;
}

type Sources = Pick<TrainSaeParams, 'model' | 'dataset' | 'hooks'>;

function inputs(params: Sources, rule: TrainOutputRule): OutputRequest['inputs'] {
  const cli = rule.origin.surface === 'cli';
  return [
    { label: cli ? '--model' : 'the model', path: params.model },
    { label: cli ? '--dataset' : 'the dataset', path: params.dataset },
  ];
}

/** One sae_lens folder per hook inside `outDir`, as one output folder. */
export function saeFoldersOutput(params: Sources, outDir: string, rule: TrainOutputRule): OutputRequest {
  return { ...rule, path: outDir, kind: 'folder', files: params.hooks.flatMap((h) => SAE_FOLDER_FILES.map((f) => `${h}/${f}`)), inputs: inputs(params, rule) };
}

/** The run's own files (params, checkpoint, metrics) in `runDir`. */
export function runFilesOutput(params: Sources, runDir: string, rule: TrainOutputRule): OutputRequest {
  return { ...rule, path: runDir, kind: 'folder', files: RUN_FILES, inputs: inputs(params, rule) };
}
