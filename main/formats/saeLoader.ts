/**
 * A sae_lens SAE directory (cfg.json + sae_weights.safetensors [+ sparsity.safetensors]) as the
 * canonical SaeWeights, every tensor checked against the config.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WorkbenchError } from '../errors';
import { requireFiniteWeights } from './finiteValues';
import { readSaeConfig, SAE_SPARSITY_FILE, SAE_WEIGHTS_FILE } from './saeConfig';
import type { SaeConfig, SaeWeights } from './sae';
import { readSafetensors, toFloat32, type Safetensors } from './safetensors';
import type { Tensor32 } from './tensor';

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function tensorWithShape(st: Safetensors, name: string, expected: number[], cfg: SaeConfig): Tensor32 {
  if (!st.has(name)) {
    throw new WorkbenchError('SAE_WEIGHTS_INVALID', `${st.file}: has no tensor "${name}" (${cfg.architecture} SAE needs ${shapeText(expected)}; the file has: ${[...st.tensors.keys()].join(', ') || 'none'}).`, 'The weights do not match cfg.json; re-download the SAE or check its architecture.');
  }
  const t = st.get(name);
  if (!sameShape(t.shape, expected)) {
    throw new WorkbenchError('SAE_WEIGHTS_INVALID', `${st.file}: tensor "${name}" has shape ${shapeText(t.shape)} but cfg.json (d_in ${cfg.dIn}, d_sae ${cfg.dSae}) needs ${shapeText(expected)}.`, 'cfg.json and sae_weights.safetensors belong to different SAEs; re-download the SAE.');
  }
  return { data: toFloat32(t), shape: [...expected] };
}

export function loadSae(dir: string): SaeWeights {
  const config = readSaeConfig(dir);
  const file = join(dir, SAE_WEIGHTS_FILE);
  if (!existsSync(file)) throw new WorkbenchError('SAE_WEIGHTS_MISSING', `${dir}: has cfg.json but no ${SAE_WEIGHTS_FILE}.`, 'The download is incomplete; download the SAE again.');
  const st = readSafetensors(file);
  requireFiniteWeights(file, 'SAE');
  const { dIn, dSae } = config;
  const W_enc = tensorWithShape(st, 'W_enc', [dIn, dSae], config);
  let W_dec = tensorWithShape(st, 'W_dec', [dSae, dIn], config);
  const b_enc = tensorWithShape(st, 'b_enc', [dSae], config);
  const b_dec = tensorWithShape(st, 'b_dec', [dIn], config);

  let threshold: Tensor32 | null = null;
  if (config.architecture === 'jumprelu') {
    if (!st.has('threshold') && st.has('log_threshold')) {
      // sae_lens JumpReLU training checkpoints keep log(threshold); saved SAEs keep threshold.
      const log = tensorWithShape(st, 'log_threshold', [dSae], config);
      threshold = { data: log.data.map(Math.exp), shape: [dSae] };
    } else {
      threshold = tensorWithShape(st, 'threshold', [dSae], config);
    }
  }

  // Pre-6.0 fine-tuned SAEs scale feature activations before decoding; folding the per-feature
  // factor into the decoder rows gives the same reconstruction without a special case downstream.
  if (st.has('scaling_factor')) {
    const s = tensorWithShape(st, 'scaling_factor', [dSae], config).data;
    if (s.some((v) => v !== 1)) {
      const folded = Float32Array.from(W_dec.data);
      for (let i = 0; i < dSae; i++) for (let j = 0; j < dIn; j++) folded[i * dIn + j] *= s[i];
      W_dec = { data: folded, shape: W_dec.shape };
    }
  }
  return { config, W_enc, W_dec, b_enc, b_dec, threshold };
}

/** The log10 feature densities from sparsity.safetensors, or null when the SAE has none. */
export function readSaeSparsity(dir: string, dSae?: number): Float32Array | null {
  const file = join(dir, SAE_SPARSITY_FILE);
  if (!existsSync(file)) return null;
  const st = readSafetensors(file);
  const t = st.get('sparsity');
  if (t.shape.length !== 1 || (dSae !== undefined && t.shape[0] !== dSae)) {
    throw new WorkbenchError('SAE_WEIGHTS_INVALID', `${file}: tensor "sparsity" has shape ${shapeText(t.shape)}; expected [${dSae ?? 'd_sae'}].`, 'The sparsity file belongs to a different SAE; delete it or re-download the SAE.');
  }
  return toFloat32(t);
}
