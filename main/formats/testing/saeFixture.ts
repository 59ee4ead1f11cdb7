import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../safetensors';
import { SeededRandom } from '../../random/seededRandom';

/** A v6 TopK cfg.json as sae_lens 6 writes it, for tests to start from and mutate. */
export function v6TopkCfg(dIn: number, dSae: number, k: number): Record<string, unknown> {
  return {
    architecture: 'topk',
    d_in: dIn,
    d_sae: dSae,
    dtype: 'float32',
    device: 'cpu',
    apply_b_dec_to_input: true,
    normalize_activations: 'none',
    reshape_activations: 'none',
    k,
    rescale_acts_by_decoder_norm: false,
    metadata: {
      sae_lens_version: '6.5.1',
      sae_lens_training_version: '6.5.1',
      dataset_path: 'test/dataset',
      hook_name: 'blocks.1.hook_resid_post',
      model_name: 'tiny-gpt2',
      hook_head_index: null,
      context_size: 64,
      prepend_bos: true,
      exclude_special_tokens: false,
    },
  };
}

/** Random SAE weights with the sae_lens tensor names and shapes. */
export function randomSaeTensors(dIn: number, dSae: number, seed: number, jumprelu = false): Record<string, TensorToWrite> {
  const rng = new SeededRandom(seed);
  const t: Record<string, TensorToWrite> = {
    W_enc: { dtype: 'F32', shape: [dIn, dSae], data: rng.floats(dIn * dSae) },
    W_dec: { dtype: 'F32', shape: [dSae, dIn], data: rng.floats(dSae * dIn) },
    b_enc: { dtype: 'F32', shape: [dSae], data: rng.floats(dSae, 0.1) },
    b_dec: { dtype: 'F32', shape: [dIn], data: rng.floats(dIn, 0.1) },
  };
  if (jumprelu) t.threshold = { dtype: 'F32', shape: [dSae], data: rng.floats(dSae, 0.5).map(Math.abs) };
  return t;
}

/** Write a sae_lens directory: cfg.json + sae_weights.safetensors (+ sparsity.safetensors). */
export function writeSaeDir(dir: string, cfg: unknown, tensors: Record<string, TensorToWrite>, sparsity?: Float32Array): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg, null, 2));
  writeSafetensors(join(dir, 'sae_weights.safetensors'), tensors);
  if (sparsity) writeSafetensors(join(dir, 'sparsity.safetensors'), { sparsity: { dtype: 'F32', shape: [sparsity.length], data: sparsity } });
  return dir;
}
