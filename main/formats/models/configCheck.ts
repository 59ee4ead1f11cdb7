/**
 * What config.json says against what the weights hold, read from safetensors headers only: the
 * embedding's shape (vocabulary x width), the learned positions (context x width) and the number
 * of layers. Every supported format names these tensors in one of a few ways, so one check serves
 * all loaders. A disagreement is a problem of the model (inspect and the Library list it); loading
 * refuses such a model with the tensor that does not fit.
 */
import type { TransformerConfig } from '../transformer';
import type { SafetensorsEntry } from '../safetensors';

const EMBEDDING = /(?:^|\.)(?:wte\.weight|embed_in\.weight|embed_tokens\.weight|embed\.W_E)$/;
const POSITIONS = /(?:^|\.)(?:wpe\.weight|pos_embed\.W_pos)$/;
/** h.N. (GPT-2), layers.N. (NeoX, Llama), blocks.N. (TransformerLens). */
const LAYER = /(?:^|\.)(?:h|layers|blocks)\.(\d+)\./;

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;
const FIX = 'config.json and the weights belong to different models (or one is damaged): download the model again';

export function configWeightProblems(config: TransformerConfig, entries: Iterable<Pick<SafetensorsEntry, 'name' | 'shape'>>): string[] {
  const problems: string[] = [];
  const list = [...entries];
  const check = (pattern: RegExp, expected: number[], what: string) => {
    const e = list.find((x) => pattern.test(x.name));
    if (e && shapeText(e.shape) !== shapeText(expected)) problems.push(`${e.name} is ${shapeText(e.shape)} but config.json (${what}) implies ${shapeText(expected)}; ${FIX}`);
  };
  check(EMBEDDING, [config.dVocab, config.dModel], `vocabulary ${config.dVocab}, width ${config.dModel}`);
  if (config.positional === 'learned') check(POSITIONS, [config.nCtx, config.dModel], `context ${config.nCtx}, width ${config.dModel}`);
  const layers = new Set<number>();
  for (const e of list) {
    const m = LAYER.exec(e.name);
    if (m) layers.add(Number(m[1]));
  }
  if (layers.size > 0) {
    const held = Math.max(...layers) + 1;
    if (held !== config.nLayers) problems.push(`config.json says ${config.nLayers} layers but the weights hold ${held} (layer indices 0-${held - 1}); ${FIX}`);
  }
  return problems;
}
