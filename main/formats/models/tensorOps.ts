/**
 * The few layout moves loaders need to reach the canonical [in, out], head-major layout. They copy
 * (sources may be read-only views into a file buffer) and are exact: no arithmetic on values.
 */
import { tensor32, type Tensor32 } from '../tensor';

/** Columns [start, end) of a 2-D [rows, cols] tensor. */
export function columns(t: Tensor32, start: number, end: number): Tensor32 {
  const [rows, cols] = t.shape;
  const width = end - start;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(t.data.subarray(r * cols + start, r * cols + end), r * width);
  return tensor32(out, [rows, width]);
}

/** Elements [start, end) of a 1-D tensor. */
export function slice1d(t: Tensor32, start: number, end: number): Tensor32 {
  return tensor32(t.data.slice(start, end), [end - start]);
}

/** Tiled so both sides stay in cache: a naive loop over a [50257, 768] embedding is ~5x slower. */
export function transpose2d(t: Tensor32): Tensor32 {
  const [rows, cols] = t.shape;
  const src = t.data;
  const out = new Float32Array(rows * cols);
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(r0 + B, rows);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(c0 + B, cols);
      for (let r = r0; r < r1; r++) {
        const base = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = src[base + c];
      }
    }
  }
  return tensor32(out, [cols, rows]);
}

/** Same values, new shape (row-major order is unchanged, so no copy is needed). */
export function reshape(t: Tensor32, shape: number[]): Tensor32 {
  return tensor32(t.data, shape);
}

/** [nHeads, dIn, dHead] -> [dIn, nHeads*dHead] with column h*dHead + j (TransformerLens W_Q/W_K/W_V). */
export function headsToColumns(t: Tensor32): Tensor32 {
  const [nHeads, dIn, dHead] = t.shape;
  const width = nHeads * dHead;
  const out = new Float32Array(dIn * width);
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < dIn; i++) {
      const src = (h * dIn + i) * dHead;
      out.set(t.data.subarray(src, src + dHead), i * width + h * dHead);
    }
  }
  return tensor32(out, [dIn, width]);
}

/** [dIn, nHeads*dHead] -> [nHeads, dIn, dHead]: the inverse of headsToColumns (for writers). */
export function columnsToHeads(t: Tensor32, nHeads: number): Tensor32 {
  const [dIn, width] = t.shape;
  const dHead = width / nHeads;
  const out = new Float32Array(dIn * width);
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < dIn; i++) {
      const dst = (h * dIn + i) * dHead;
      out.set(t.data.subarray(i * width + h * dHead, i * width + (h + 1) * dHead), dst);
    }
  }
  return tensor32(out, [nHeads, dIn, dHead]);
}
