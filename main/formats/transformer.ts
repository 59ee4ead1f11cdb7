import type { Tensor32 } from './tensor';

/**
 * The canonical decoder-only transformer every loader produces (HF GPT-2, TransformerLens
 * HookedTransformer, later NeoX / Llama) and every engine graph consumes. Layouts are fixed so
 * graph builders never care where the weights came from:
 *   all matrices are [in, out] (x @ W), heads concatenated head-major: column h*dHead + j.
 */
export interface TransformerConfig {
  /** Where the weights came from, for display only (e.g. "gpt2", "hooked-transformer"). */
  sourceFormat: string;
  nLayers: number;
  dModel: number;
  nHeads: number;
  /**
   * Grouped-query attention: K/V heads, each shared by nHeads / nKvHeads consecutive query heads
   * (query head h reads KV head floor(h / (nHeads / nKvHeads)), as HF repeat_kv). Absent means nHeads.
   */
  nKvHeads?: number;
  dHead: number;
  dMlp: number;
  dVocab: number;
  /** Maximum context (learned positional embedding rows). */
  nCtx: number;
  /**
   * 'LN': LayerNorm with affine w,b; 'LNPre': weights folded, normalise without affine;
   * 'RMS': Llama RMSNorm x / sqrt(mean(x^2) + lnEps) * w (no mean subtraction, b null).
   */
  normalization: 'LN' | 'LNPre' | 'RMS';
  lnEps: number;
  activation: 'gelu_new' | 'gelu' | 'relu' | 'silu';
  /**
   * 'learned': W_pos rows are added to the embedding. 'rotary': positions rotate Q and K (see
   * `rotary`); W_pos is then all zeros so learned-position code paths stay valid.
   */
  positional: 'learned' | 'rotary';
  /** Rotary only: NeoX/Llama rotate-half applied to the first `dims` of each head, frequencies base^(-2i/dims). */
  rotary?: { dims: number; base: number };
  /** GPT-NeoX / GPT-J parallel residual: x + attn(ln1(x)) + mlp(ln2(x)). Absent means sequential. */
  parallelAttnMlp?: boolean;
  /** Llama SwiGLU MLP: W_out(act(x W_gate) * (x W_in + b_in)) + b_out; blocks then carry W_gate. */
  gatedMlp?: boolean;
  /** Attention scores are divided by sqrt(dHead) unless the source says otherwise. */
  attnScale: number;
  bosTokenId: number | null;
  eosTokenId: number | null;
  /** Whether text input gets a BOS token by default (TransformerLens default_prepend_bos). */
  prependBos: boolean;
  /** Name of the model (from its config or directory), for display and SAE matching. */
  name: string;
}

export interface LayerNormWeights {
  /** null under LNPre (folded): normalise only. */
  w: Tensor32 | null;
  b: Tensor32 | null;
}

export interface TransformerBlockWeights {
  ln1: LayerNormWeights;
  /** W_Q [dModel, nHeads*dHead], b_Q [nHeads*dHead]; W_K, W_V [dModel, nKvHeads*dHead], biases [nKvHeads*dHead]. */
  W_Q: Tensor32;
  W_K: Tensor32;
  W_V: Tensor32;
  b_Q: Tensor32;
  b_K: Tensor32;
  b_V: Tensor32;
  /** [nHeads*dHead, dModel]; b_O [dModel]. */
  W_O: Tensor32;
  b_O: Tensor32;
  ln2: LayerNormWeights;
  /** [dModel, dMlp], b_in [dMlp]; W_out [dMlp, dModel], b_out [dModel]. */
  W_in: Tensor32;
  b_in: Tensor32;
  W_out: Tensor32;
  b_out: Tensor32;
  /** Gated MLPs only: [dModel, dMlp], the activated branch (Llama gate_proj); W_in is then up_proj. */
  W_gate?: Tensor32;
}

export interface TransformerWeights {
  config: TransformerConfig;
  /** [dVocab, dModel] */
  W_E: Tensor32;
  /** [nCtx, dModel] */
  W_pos: Tensor32;
  blocks: TransformerBlockWeights[];
  lnFinal: LayerNormWeights;
  /** [dModel, dVocab], b_U [dVocab] (zeros when the source has none). */
  W_U: Tensor32;
  b_U: Tensor32;
}

/** TransformerLens hook points the engine can return, per DESIGN.md section 5. */
export type HookName =
  | 'hook_embed'
  | 'hook_pos_embed'
  | `blocks.${number}.hook_resid_pre`
  | `blocks.${number}.hook_attn_out`
  | `blocks.${number}.hook_resid_mid`
  | `blocks.${number}.hook_mlp_out`
  | `blocks.${number}.hook_resid_post`
  | 'ln_final.hook_normalized';
