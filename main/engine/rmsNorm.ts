/**
 * Llama RMSNorm, as Hugging Face LlamaRMSNorm: y = x / sqrt(mean(x^2) + eps) * w, with no mean
 * subtraction and no bias. Graph form and the float64 reference sit together so they cannot drift.
 */
import type { GraphBuilder, Value } from './onnx/graphBuilder';

/** x [..., d] normalised over the last axis and scaled by w [d]. */
export function rmsNormGraph(g: GraphBuilder, x: Value, w: Value, eps: number): Value {
  const meanSquare = g.reduceMean(g.mul(x, x), [-1]);
  return g.mul(g.div(x, g.sqrt(g.add(meanSquare, g.scalar(eps)))), w);
}

/** Float64 reference over `rows` rows of width w.length in x (row-major). */
export function rmsNormRows(x: ArrayLike<number>, rows: number, w: ArrayLike<number>, eps: number): Float64Array {
  const d = w.length;
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let sq = 0;
    for (let i = 0; i < d; i++) sq += x[r * d + i] ** 2;
    const inv = 1 / Math.sqrt(sq / d + eps);
    for (let i = 0; i < d; i++) out[r * d + i] = x[r * d + i] * inv * w[i];
  }
  return out;
}
