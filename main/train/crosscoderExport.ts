/**
 * A trained crosscoder from the training layout (saeParams with d_in = 2 d: W_encT row j =
 * [enc_A_j | enc_B_j], W_dec row j = [dec_A_j | dec_B_j], b_dec = [b_dec_A | b_dec_B]) to the
 * saved format (formats/crosscoder.ts: W_enc [2, d, d_sae], W_dec [2, d_sae, d], b_dec [2, d],
 * threshold [d_sae]), written through the output rule with cfg.json last. Nothing is folded: the
 * saved encoding selects by f_j * (||W_dec[0][j]|| + ||W_dec[1][j]||), as training did.
 */
import path from 'node:path';
import { writeCrosscoderFiles, type CrosscoderConfig, type CrosscoderWeights } from '../formats/crosscoder';
import { SAE_SPARSITY_FILE } from '../formats/saeConfig';
import { writeSafetensors } from '../formats/safetensors';
import { writeOutputFolder, type PlannedOutput } from '../outputs/outputPath';
import { writeFileSync } from 'node:fs';
import { CROSSCODER_CFG_FILE } from '../formats/crosscoder';
import type { SaeTensors } from './saeParams';
import { TRAINING_CONFIG_FILE } from './trainOutput';

type SavedConfig = Omit<CrosscoderConfig, 'raw' | 'formatVersion'>;

export function crosscoderFromTraining(params: SaeTensors, config: SavedConfig, threshold: number): CrosscoderWeights {
  const { dIn: d, dSae } = config;
  const W_enc = new Float32Array(2 * d * dSae);
  const W_dec = new Float32Array(2 * dSae * d);
  for (let j = 0; j < dSae; j++) {
    for (let m = 0; m < 2; m++) {
      for (let i = 0; i < d; i++) {
        W_enc[(m * d + i) * dSae + j] = params.W_encT[j * 2 * d + m * d + i];
        W_dec[(m * dSae + j) * d + i] = params.W_dec[j * 2 * d + m * d + i];
      }
    }
  }
  return {
    config: { ...config, formatVersion: 1, raw: {} },
    W_enc: { data: W_enc, shape: [2, d, dSae] },
    b_enc: { data: Float32Array.from(params.b_enc), shape: [dSae] },
    W_dec: { data: W_dec, shape: [2, dSae, d] },
    b_dec: { data: Float32Array.from(params.b_dec), shape: [2, d] },
    threshold: { data: new Float32Array(dSae).fill(threshold), shape: [dSae] },
  };
}

/** cfg.json (with `extra`), the weights, README.md, sparsity.safetensors and training_config.json into a planned folder. */
export function writeCrosscoderFolder(planned: PlannedOutput, cc: CrosscoderWeights, extra: Record<string, unknown>, sparsity: Float32Array, trainingConfig: Record<string, unknown>): string {
  const { dir } = writeOutputFolder(
    planned,
    (stage) => {
      writeSafetensors(path.join(stage, SAE_SPARSITY_FILE), { sparsity: { dtype: 'F32', shape: [cc.config.dSae], data: sparsity } });
      writeFileSync(path.join(stage, TRAINING_CONFIG_FILE), `${JSON.stringify(trainingConfig, null, 2)}\n`);
      writeCrosscoderFiles(stage, cc, extra);
    },
    { completeMarker: CROSSCODER_CFG_FILE },
  );
  return dir;
}
