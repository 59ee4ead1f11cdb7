import type { AblateSettings } from '../../preload/api';
import { encodeFeatureColumns, spliceLatents } from '../engine/saeLatentEdit';
import type { Tensor32 } from '../formats/tensor';
import type { ExperimentSae } from './experimentInputs';

/**
 * The latents of a union of features for packed rows [n, d] (encoded once per group), and edits
 * that move a subset of them to new values on editable rows (never a document's BOS).
 */
export class LatentColumns {
  private cols: Float32Array = new Float32Array(0);
  private editable: Uint8Array = new Uint8Array(0);
  private readonly position = new Map<number, number>();

  constructor(private readonly sae: ExperimentSae, readonly features: readonly number[], private readonly device: AblateSettings['device']) {
    features.forEach((f, j) => this.position.set(f, j));
  }

  async prepare(x: Tensor32, editable: Uint8Array): Promise<void> {
    this.cols = await encodeFeatureColumns(this.sae.weights, x, this.features, { device: this.device });
    this.editable = editable;
  }

  /** x' with the latents of `set` moved to `value(row, i, current)` on editable rows. */
  edit(x: Tensor32, set: readonly number[], value: (row: number, i: number, current: number) => number): Tensor32 {
    const rows = this.editable.length;
    const m = set.length;
    const all = this.features.length;
    const js = set.map((f) => this.position.get(f)!);
    const current = new Float32Array(rows * m);
    for (let r = 0; r < rows; r++) for (let i = 0; i < m; i++) current[r * m + i] = this.cols[r * all + js[i]];
    const target = new Float32Array(current);
    for (let r = 0; r < rows; r++) if (this.editable[r]) for (let i = 0; i < m; i++) target[r * m + i] = value(r, i, current[r * m + i]);
    return spliceLatents(this.sae.weights, x, set, current, target);
  }
}
