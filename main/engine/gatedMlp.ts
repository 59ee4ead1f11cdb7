/**
 * Gated (SwiGLU) MLP, as Hugging Face LlamaMLP and TransformerLens GatedMLP:
 * out = W_out(act(x W_gate) * (x W_in + b_in)) + b_out, with W_gate the activated branch.
 */
import { WorkbenchError } from '../errors';
import type { TransformerBlockWeights, TransformerConfig } from '../formats/transformer';
import type { GraphBuilder, Value } from './onnx/graphBuilder';

/** The block's W_gate, or ENGINE_WEIGHTS naming the layer when a gated model lacks it. */
export function gateWeight(c: Pick<TransformerConfig, 'name'>, b: TransformerBlockWeights, layer: number): NonNullable<TransformerBlockWeights['W_gate']> {
  if (!b.W_gate) throw new WorkbenchError('ENGINE_WEIGHTS', `Model "${c.name}": block ${layer} has no W_gate but the config says the MLP is gated.`, 'Load the model with a loader that reads the gate projection (e.g. mlp.gate_proj of a Llama folder).');
  return b.W_gate;
}

/** The hidden activation act(x W_gate) * (x W_in + b_in) [rows, dMlp]; `act` is the model's activation. */
export function gatedHiddenGraph(g: GraphBuilder, x: Value, b: TransformerBlockWeights, W_gate: NonNullable<TransformerBlockWeights['W_gate']>, c: Pick<TransformerConfig, 'dModel' | 'dMlp'>, act: (h: Value) => Value): Value {
  const gate = g.matmul(x, g.initializerF32(W_gate.data, [c.dModel, c.dMlp], 'W_gate'));
  const up = g.gemm(x, g.initializerF32(b.W_in.data, [c.dModel, c.dMlp], 'W_in'), g.initializerF32(b.b_in.data, [c.dMlp], 'b_in'));
  return g.mul(act(gate), up);
}
