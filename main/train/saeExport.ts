/**
 * A trained SAE as a sae_lens 6.x folder that `SAE.load_from_disk` loads:
 *  - cfg.json: the inference config sae_lens writes (TopK: architecture "topk", k,
 *    rescale_acts_by_decoder_norm true as sae_lens keeps it; BatchTopK: "jumprelu"), with the
 *    nested `metadata` (hook_name, model_name, context_size, prepend_bos, dataset_path, final_l0...);
 *  - sae_weights.safetensors: exactly W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc, b_dec
 *    (+ threshold [d_sae] for JumpReLU). First the input scale s of `expected_average_only_in` is
 *    folded as sae_lens' fold_activation_norm_scaling_factor does at the end of training (W_enc *= s,
 *    W_dec /= s, b_dec /= s; cfg.json then says normalize_activations "none", and the SAE reads raw
 *    activations), then the decoder norms (W_enc *= n, b_enc *= n, W_dec /= n, n clamped at 1e-8),
 *    as sae_lens' process_state_dict_for_saving_inference. The scale and the mode are recorded in
 *    training_config.json and the cfg's metadata (`activation_norm_scaling_factor`);
 *  - sparsity.safetensors: "sparsity" = log10(firing frequency + 1e-10);
 *  - training_config.json: how it was trained, beside it.
 * Written through the output rule (outputs/outputPath): staged, then each file renamed into place
 * with cfg.json last; only these files are ever replaced, nothing else in the folder is touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SAE_CFG_FILE, SAE_SPARSITY_FILE, SAE_WEIGHTS_FILE } from '../formats/saeConfig';
import { writeSafetensors } from '../formats/safetensors';
import { writeOutputFolder, type PlannedOutput } from '../outputs/outputPath';
import { TRAINING_CONFIG_FILE } from './trainOutput';
import type { SaeShape, SaeTensors } from './saeParams';
import type { SaeActivation } from './trainStepGraph';

const MIN_NORM = 1e-8;

export interface SaeExport {
  shape: SaeShape;
  params: SaeTensors;
  activation: SaeActivation;
  k: number;
  /** BatchTopK's threshold on rescaled pre-activations (becomes the JumpReLU threshold). */
  threshold: number;
  /** The input scale the SAE trained with (1: none; expected_average_only_in: sqrt(d_in) / mean ||x||). */
  inputScale: number;
  hookName: string;
  modelName: string;
  contextSize: number;
  prependBos: boolean;
  datasetPath: string;
  finalL0: number;
  sparsity: Float32Array;
  /** Extra metadata (held-out metrics, tokens trained). */
  metadata: Record<string, unknown>;
  trainingConfig: Record<string, unknown>;
}

/**
 * sae_lens' inference weights from the training layout: the input scale folded first (sae_lens'
 * fold_activation_norm_scaling_factor, in float64 here), then the decoder norms. With TopK's
 * decoder-norm rescaling the folded SAE's feature acts are the training ones / inputScale (acts in
 * raw units) and its reconstruction of raw x is the training one / inputScale: the same SAE.
 */
export function foldedWeights(params: SaeTensors, s: SaeShape, inputScale = 1): { W_enc: Float32Array; W_dec: Float32Array; b_enc: Float32Array; b_dec: Float32Array } {
  const W_enc = new Float32Array(s.dIn * s.dSae);
  const W_dec = new Float32Array(s.dSae * s.dIn);
  const b_enc = new Float32Array(s.dSae);
  for (let j = 0; j < s.dSae; j++) {
    // ||W_dec[j] / inputScale||, as sae_lens' fold_W_dec_norm sees it after the scale fold.
    let q = 0;
    for (let i = 0; i < s.dIn; i++) q += (params.W_dec[j * s.dIn + i] / inputScale) ** 2;
    const n = Math.max(Math.sqrt(q), MIN_NORM);
    b_enc[j] = params.b_enc[j] * n;
    for (let i = 0; i < s.dIn; i++) {
      W_enc[i * s.dSae + j] = params.W_encT[j * s.dIn + i] * inputScale * n;
      W_dec[j * s.dIn + i] = params.W_dec[j * s.dIn + i] / inputScale / n;
    }
  }
  return { W_enc, W_dec, b_enc, b_dec: Float32Array.from(params.b_dec, (b) => b / inputScale) };
}

/**
 * BatchTopK's threshold in the folded SAE: the training threshold is on rescaled pre-activations of
 * scaled inputs, which the fold divides by inputScale. (sae_lens' own BatchTopK save keeps the
 * unscaled threshold; dividing is what keeps encode on raw inputs identical.)
 */
export function foldedThreshold(threshold: number, inputScale = 1): number {
  return threshold / inputScale;
}

/**
 * The sae_lens release whose v6 cfg layout (nested `metadata`) this export follows. sae_lens'
 * loader reads `metadata.sae_lens_version` to tell a v6 cfg from an older flat one: without it the
 * nested metadata is dropped on load (hook_name and model_name become None).
 */
export const SAE_LENS_CONFIG_VERSION = '6.18.0';

export function saeLensConfig(e: SaeExport): Record<string, unknown> {
  const base = {
    d_in: e.shape.dIn,
    d_sae: e.shape.dSae,
    dtype: 'float32',
    device: 'cpu',
    apply_b_dec_to_input: true,
    normalize_activations: 'none',
    reshape_activations: 'none',
  };
  const metadata = {
    sae_lens_version: SAE_LENS_CONFIG_VERSION,
    sae_lens_training_version: SAE_LENS_CONFIG_VERSION,
    model_name: e.modelName,
    hook_name: e.hookName,
    hook_head_index: null,
    context_size: e.contextSize,
    prepend_bos: e.prependBos,
    dataset_path: e.datasetPath,
    model_class_name: 'HookedTransformer',
    final_l0: e.finalL0,
    trained_with: 'sae-workbench',
    training_architecture: e.activation,
    ...e.metadata,
  };
  return e.activation === 'topk'
    ? { architecture: 'topk', ...base, k: e.k, rescale_acts_by_decoder_norm: true, metadata }
    : { architecture: 'jumprelu', ...base, metadata };
}

/** The four files of one SAE into `dir` (created if missing). */
export function writeSaeLensFiles(dir: string, e: SaeExport): void {
  fs.mkdirSync(dir, { recursive: true });
  const w = foldedWeights(e.params, e.shape, e.inputScale);
  const { dIn, dSae } = e.shape;
  const tensors = {
    W_enc: { dtype: 'F32' as const, shape: [dIn, dSae], data: w.W_enc },
    W_dec: { dtype: 'F32' as const, shape: [dSae, dIn], data: w.W_dec },
    b_enc: { dtype: 'F32' as const, shape: [dSae], data: w.b_enc },
    b_dec: { dtype: 'F32' as const, shape: [dIn], data: w.b_dec },
    ...(e.activation === 'batchtopk' ? { threshold: { dtype: 'F32' as const, shape: [dSae], data: new Float32Array(dSae).fill(foldedThreshold(e.threshold, e.inputScale)) } } : {}),
  };
  writeSafetensors(path.join(dir, SAE_WEIGHTS_FILE), tensors);
  writeSafetensors(path.join(dir, SAE_SPARSITY_FILE), { sparsity: { dtype: 'F32', shape: [dSae], data: e.sparsity } });
  fs.writeFileSync(path.join(dir, SAE_CFG_FILE), `${JSON.stringify(saeLensConfig(e), null, 2)}\n`);
  fs.writeFileSync(path.join(dir, TRAINING_CONFIG_FILE), `${JSON.stringify(e.trainingConfig, null, 2)}\n`);
}

/** Every hook's SAE, each in `<out>/<hook>/`, into a planned output folder (trainOutput.saeFoldersOutput). */
export function writeSaeLensFolders(planned: PlannedOutput, exports: readonly SaeExport[]): string[] {
  const { dir } = writeOutputFolder(planned, (stage) => exports.forEach((e) => writeSaeLensFiles(path.join(stage, e.hookName), e)), { completeMarker: SAE_CFG_FILE });
  return exports.map((e) => path.join(dir, e.hookName));
}
