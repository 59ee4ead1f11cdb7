/**
 * Grouped-query attention (Llama 2/3, Mistral): nKvHeads key/value heads, each shared by
 * nHeads / nKvHeads consecutive query heads, as Hugging Face repeat_kv lays them out: query head
 * h reads KV head floor(h / group).
 */
import { WorkbenchError } from '../errors';
import type { TransformerConfig } from '../formats/transformer';
import type { GraphBuilder, Value } from './onnx/graphBuilder';

/** The number of KV heads, checked to divide the query heads. */
export function kvHeadsOf(c: Pick<TransformerConfig, 'name' | 'nHeads' | 'nKvHeads'>): number {
  const kv = c.nKvHeads ?? c.nHeads;
  if (!Number.isInteger(kv) || kv <= 0 || c.nHeads % kv !== 0) {
    throw new WorkbenchError(
      'ENGINE_UNKNOWN_ARCHITECTURE',
      `Model "${c.name}": nKvHeads ${kv} does not divide nHeads ${c.nHeads}.`,
      'Grouped-query attention needs a whole number of query heads per key/value head; check num_key_value_heads in config.json.',
    );
  }
  return kv;
}

/** The KV head query head `h` reads. */
export function kvHeadFor(h: number, nHeads: number, nKvHeads: number): number {
  return Math.floor(h / (nHeads / nKvHeads));
}

/**
 * x [batch, seq, nKvHeads, dHead] -> [batch, seq, nHeads, dHead], each KV head repeated for its
 * group of query heads (consecutive, so query head h gets KV head floor(h / group)).
 */
export function repeatKvHeads(g: GraphBuilder, x: Value, nKvHeads: number, nHeads: number, dHead: number, seqLen: Value): Value {
  const group = nHeads / nKvHeads;
  if (group === 1) return x;
  // Expand broadcasts bidirectionally, so [b, s, kv, 1, dh] with [1, 1, 1, group, 1] repeats in place.
  const repeated = g.expand(g.unsqueeze(x, [3]), g.ints([1, 1, 1, group, 1]));
  return g.reshape(repeated, g.concat([g.ints([-1]), seqLen, g.ints([nHeads, dHead])], 0));
}
