/**
 * Rotary position embeddings with Hugging Face GPT-NeoX semantics (also Llama's): the first
 * `dims` of each head rotate, in "rotate_half" layout: dimension i pairs with i + dims/2 (not
 * with its neighbour, as GPT-J's interleaved layout would), both turned by the angle
 * position * base^(-2i/dims). Dimensions from `dims` to dHead pass through unchanged.
 */
import { WorkbenchError } from '../errors';
import type { TransformerConfig } from '../formats/transformer';
import type { GraphBuilder, Value } from './onnx/graphBuilder';

export interface RotarySettings {
  dims: number;
  base: number;
}

/** The rotary settings of a rotary model, checked against its head size. */
export function rotaryOf(c: TransformerConfig): RotarySettings {
  const r = c.rotary;
  if (!r || !Number.isInteger(r.dims) || r.dims <= 0 || r.dims % 2 !== 0 || r.dims > c.dHead || !(r.base > 0)) {
    throw new WorkbenchError(
      'ENGINE_UNKNOWN_ARCHITECTURE',
      `Model "${c.name}": rotary positions need an even rotary.dims in 2..${c.dHead} (d_head) and a positive base; got ${JSON.stringify(r ?? null)}.`,
      'Load the model with a loader that records rotary settings (e.g. rotary_pct and rotary_emb_base of a GPT-NeoX config.json).',
    );
  }
  return r;
}

/** cos and sin of position * inv_freq[i], [positions, dims/2] row-major, in float64. */
export function rotaryTables(r: RotarySettings, positions: number): { cos: Float64Array; sin: Float64Array } {
  const half = r.dims / 2;
  const cos = new Float64Array(positions * half);
  const sin = new Float64Array(positions * half);
  for (let p = 0; p < positions; p++)
    for (let i = 0; i < half; i++) {
      const angle = p * Math.pow(r.base, (-2 * i) / r.dims);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  return { cos, sin };
}

/** Rotates one head vector (dHead values at `offset` in `x`) in place for `position`; float64 reference. */
export function rotateHeadInPlace(x: Float64Array, offset: number, position: number, r: RotarySettings, tables: { cos: Float64Array; sin: Float64Array }): void {
  const half = r.dims / 2;
  for (let i = 0; i < half; i++) {
    const c = tables.cos[position * half + i];
    const s = tables.sin[position * half + i];
    const a = x[offset + i];
    const b = x[offset + i + half];
    // x*cos + rotate_half(x)*sin with rotate_half(x) = [-x2, x1].
    x[offset + i] = a * c - b * s;
    x[offset + i + half] = b * c + a * s;
  }
}

/**
 * Graph form for x [batch, seq, heads, dHead]: returns x rotated by sequence index 0..seq-1
 * (right padding leaves real tokens at their true positions). Tables cover nCtx positions and
 * are sliced to the sequence length; build one RotaryGraph per graph so they are shared.
 */
export class RotaryGraph {
  private cos: Value | null = null;
  private sin: Value | null = null;

  constructor(
    private readonly g: GraphBuilder,
    private readonly r: RotarySettings,
    private readonly dHead: number,
    private readonly nCtx: number,
    private readonly seqLen: Value,
  ) {}

  private tables(): [Value, Value] {
    if (!this.cos || !this.sin) {
      const half = this.r.dims / 2;
      const t = rotaryTables(this.r, this.nCtx);
      // [seq, 1, half] so they broadcast over batch and heads.
      const prepare = (data: Float64Array, name: string) => {
        const all = this.g.initializerF32(Float32Array.from(data), [this.nCtx, half], name);
        return this.g.unsqueeze(this.g.slice(all, this.g.ints([0]), this.seqLen, this.g.ints([0])), [1]);
      };
      this.cos = prepare(t.cos, 'rotary_cos');
      this.sin = prepare(t.sin, 'rotary_sin');
    }
    return [this.cos, this.sin];
  }

  apply(x: Value): Value {
    const { g } = this;
    const half = this.r.dims / 2;
    const [cos, sin] = this.tables();
    const part = (from: number, to: number) => g.slice(x, g.ints([from]), g.ints([to]), g.ints([3]));
    const x1 = part(0, half);
    const x2 = part(half, this.r.dims);
    const first = g.sub(g.mul(x1, cos), g.mul(x2, sin));
    const second = g.add(g.mul(x2, cos), g.mul(x1, sin));
    const parts = [first, second];
    if (this.r.dims < this.dHead) parts.push(part(this.r.dims, this.dHead));
    return g.concat(parts, 3);
  }
}
