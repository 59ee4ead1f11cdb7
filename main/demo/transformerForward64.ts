import { referenceForward, type ResidPostEdit } from '../engine/reference/modelReference';
import type { TransformerWeights } from '../formats/transformer';

/**
 * The float64 reference forward, shaped for the demo's measurements: per-layer rows of
 * resid_post and of the MLP's post-activation, and per-position logits. It checks the planted
 * mechanism and measures cross-entropy at generation time and in tests (tiny models, short
 * sequences); the app itself runs models through the ONNX engine.
 */
export interface Forward64 {
  /** [nLayers][seq][dModel]: blocks.L.hook_resid_post. */
  residPost: Float64Array[][];
  /** [nLayers][seq][dMlp]: blocks.L.mlp.hook_post. */
  mlpPost: Float64Array[][];
  /** [seq][dVocab] */
  logits: Float64Array[];
}

/** Called on each block's resid_post row before it flows on: ablation and steering. */
export type ResidEdit = ResidPostEdit;

export function forward64(w: TransformerWeights, tokens: number[], editResidPost?: ResidEdit): Forward64 {
  const c = w.config;
  if (tokens.length > c.nCtx) throw new Error(`forward64: ${tokens.length} tokens exceed nCtx ${c.nCtx}`);
  const { hooks, logits } = referenceForward(w, tokens, undefined, editResidPost);
  const layers = Array.from({ length: c.nLayers }, (_, l) => l);
  return {
    residPost: layers.map((l) => rows(hooks.get(`blocks.${l}.hook_resid_post`)!, c.dModel)),
    mlpPost: layers.map((l) => rows(hooks.get(`blocks.${l}.mlp.hook_post`)!, c.dMlp)),
    logits: rows(logits, c.dVocab),
  };
}

function rows(flat: Float64Array, width: number): Float64Array[] {
  return Array.from({ length: flat.length / width }, (_, i) => flat.subarray(i * width, (i + 1) * width));
}
