import type { Tensor32 } from './tensor';

export type SaeArchitecture = 'topk' | 'standard' | 'jumprelu';
export type SaeNormalization = 'none' | 'constant_norm_rescale' | 'layer_norm' | 'expected_average_only_in';

/**
 * One sae_lens SAE, whatever cfg.json generation it came from (v6 nested metadata, v4-v5 flat,
 * hook_point vs hook_name, "torch.float32" dtypes), normalised to these fields.
 */
export interface SaeConfig {
  architecture: SaeArchitecture;
  dIn: number;
  dSae: number;
  /** TopK only. */
  k: number | null;
  hookName: string;
  /** From hook_name (blocks.(\d+).), null for hooks outside blocks. */
  hookLayer: number | null;
  modelName: string | null;
  dtype: string;
  applyBDecToInput: boolean;
  normalizeActivations: SaeNormalization;
  rescaleActsByDecoderNorm: boolean;
  contextSize: number | null;
  prependBos: boolean | null;
  /** For expected_average_only_in saved before folding: multiply inputs by this; null if folded/none. */
  inputScalingFactor: number | null;
  /** The cfg.json generation it was read from, for display: "v6", "v5", "v4". */
  cfgGeneration: string;
  /** Everything else the cfg held, untouched. */
  raw: Record<string, unknown>;
}

export interface SaeWeights {
  config: SaeConfig;
  /** [dIn, dSae] */
  W_enc: Tensor32;
  /** [dSae, dIn] */
  W_dec: Tensor32;
  /** [dSae] */
  b_enc: Tensor32;
  /** [dIn] */
  b_dec: Tensor32;
  /** JumpReLU only, [dSae]. */
  threshold: Tensor32 | null;
}
