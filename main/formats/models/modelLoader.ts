import type { TransformerConfig, TransformerWeights } from '../transformer';

/** What a model directory holds, read from configs and safetensors headers only (no weights). */
export interface ModelDescription {
  /** The loader's format id, e.g. "hf-gpt2", "hooked-transformer". */
  format: string;
  /** As the source names it, e.g. "GPT2LMHeadModel", "HookedTransformer". */
  architecture: string;
  config: TransformerConfig;
  /** Weight files, relative to the directory. */
  weightFiles: string[];
  /** Exact number of stored values across the weight files (buffers included). */
  paramCount: number;
  weightDtypes: string[];
}

/**
 * One model format. Adding a format (GPT-NeoX, Llama) is one file implementing this plus one line
 * in the registry: `detect` must be cheap and must not throw on foreign folders.
 */
export interface ModelLoader {
  format: string;
  /** Short description for error messages listing what is supported. */
  label: string;
  /** Whether this loader owns the directory, judged from its config file(s) only. */
  detect(dir: string): boolean;
  describe(dir: string): ModelDescription;
  load(dir: string): TransformerWeights;
}
