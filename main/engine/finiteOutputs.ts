/**
 * The per-batch check long jobs (index, training, experiments) and interactive runs call on what
 * the engine produced, before it is stored or shown: weights that loaded finite can still
 * overflow on some input, and a NaN stored in an index or a checkpoint silently spoils everything
 * computed from it. Cheap (one pass over the values) next to the forward pass that made them.
 */
import { WorkbenchError } from '../errors';
import { countNonFinite, describeNonFinite } from '../formats/finiteValues';

export interface EngineOutput {
  data: Float32Array | BigInt64Array | ArrayLike<number>;
  shape: readonly number[];
}

/**
 * Throws NONFINITE_OUTPUT when any float32 output holds NaN or ±Inf, naming `where` (e.g.
 * "batch 17 of the index of gpt2 / dataset x"), the output, the counts and the first bad row.
 * Non-float outputs (token ids, feature indices) are skipped.
 */
export function requireFiniteOutputs(outputs: Record<string, EngineOutput | null | undefined>, where: string): void {
  for (const [name, t] of Object.entries(outputs)) {
    if (!t || !(t.data instanceof Float32Array)) continue;
    const count = countNonFinite(t.data);
    if (count.nan + count.inf === 0) continue;
    const width = t.shape.length > 1 ? t.shape[t.shape.length - 1] : t.data.length;
    let first = 0;
    while (first < t.data.length && Number.isFinite(t.data[first])) first++;
    throw new WorkbenchError(
      'NONFINITE_OUTPUT',
      `${where}: ${name} [${t.shape.join(', ')}] holds ${describeNonFinite(count, t.data.length)} (the first in row ${Math.floor(first / width)}); nothing from it was kept.`,
      'The model or SAE overflows on this input (float32 range) or its weights are damaged; check them with `sae-workbench inspect`, or try other inputs.',
    );
  }
}
