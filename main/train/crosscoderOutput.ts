/**
 * What a crosscoder run writes, for the output rule (outputs/outputPath): its run files (params,
 * checkpoint, metrics, inputs) in the run folder and the crosscoder's files in the output folder,
 * each planned as one folder output (the CLI's --out is both). Light on purpose: the
 * train.crosscoder job kind checks its `out` with it when the job is added.
 */
import { CROSSCODER_CFG_FILE, CROSSCODER_README_FILE, CROSSCODER_WEIGHTS_FILE } from '../formats/crosscoder';
import { SAE_SPARSITY_FILE } from '../formats/saeConfig';
import type { OutputRequest } from '../outputs/outputPath';
import type { TrainCrosscoderParams } from '../../preload/contract/crosscoder';
import { CHECKPOINT_FILE } from './checkpoint';
import { METRICS_FILE } from './metricsLog';
import { PARAMS_FILE, TRAINING_CONFIG_FILE, type TrainOutputRule } from './trainOutput';

/** What a resume must find unchanged, by name (a mismatch names what changed). */
export const INPUTS_FILE = 'inputs.json';

/** The crosscoder's own files; cfg.json, renamed into place last, marks the folder complete. */
export const CROSSCODER_FOLDER_FILES = [CROSSCODER_WEIGHTS_FILE, SAE_SPARSITY_FILE, CROSSCODER_README_FILE, TRAINING_CONFIG_FILE, CROSSCODER_CFG_FILE] as const;
export const CROSSCODER_RUN_FILES = [PARAMS_FILE, CHECKPOINT_FILE, METRICS_FILE, INPUTS_FILE] as const;

type Sources = Pick<TrainCrosscoderParams, 'modelA' | 'modelB' | 'dataset'>;

function inputs(params: Sources, rule: TrainOutputRule): OutputRequest['inputs'] {
  const cli = rule.origin.surface === 'cli';
  return [
    { label: cli ? '--model-a' : 'model A', path: params.modelA },
    { label: cli ? '--model-b' : 'model B', path: params.modelB },
    { label: cli ? '--dataset' : 'the dataset', path: params.dataset },
  ];
}

export function crosscoderFolderOutput(params: Sources, outDir: string, rule: TrainOutputRule): OutputRequest {
  return { ...rule, path: outDir, kind: 'folder', files: CROSSCODER_FOLDER_FILES, inputs: inputs(params, rule) };
}

export function crosscoderRunFilesOutput(params: Sources, runDir: string, rule: TrainOutputRule): OutputRequest {
  return { ...rule, path: runDir, kind: 'folder', files: CROSSCODER_RUN_FILES, inputs: inputs(params, rule) };
}
