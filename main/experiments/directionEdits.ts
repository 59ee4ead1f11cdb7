/**
 * Edits along a direction at chosen rows of packed activations [n, d] (float64 arithmetic):
 *
 *   add      x' = x + c v                       (Neuronpedia's steering: v = W_dec[f], c in activation units)
 *   replace  x' = x - (x . u) u + c u,  u = v / ||v||   (the component along v set to c; c = 0 projects it out)
 */
import type { Tensor32 } from '../formats/tensor';

export function addDirection(x: Tensor32, v: ArrayLike<number>, c: number, rows: Uint8Array): Tensor32 {
  const d = x.shape[1];
  const out = new Float32Array(x.data);
  for (let r = 0; r < rows.length; r++) {
    if (!rows[r]) continue;
    for (let i = 0; i < d; i++) out[r * d + i] = x.data[r * d + i] + c * v[i];
  }
  return { data: out, shape: x.shape };
}

export function unitVector(v: ArrayLike<number>): Float64Array {
  let ss = 0;
  for (let i = 0; i < v.length; i++) ss += v[i] * v[i];
  const norm = Math.sqrt(ss);
  return Float64Array.from(v, (e) => (norm === 0 ? 0 : e / norm));
}

export function replaceComponent(x: Tensor32, v: ArrayLike<number>, c: number, rows: Uint8Array): Tensor32 {
  const d = x.shape[1];
  const u = unitVector(v);
  const out = new Float32Array(x.data);
  for (let r = 0; r < rows.length; r++) {
    if (!rows[r]) continue;
    let dot = 0;
    for (let i = 0; i < d; i++) dot += x.data[r * d + i] * u[i];
    for (let i = 0; i < d; i++) out[r * d + i] = x.data[r * d + i] + (c - dot) * u[i];
  }
  return { data: out, shape: x.shape };
}

/** Row `f` of a [rows, d] matrix. */
export function matrixRow(m: Tensor32, f: number): Float32Array {
  const d = m.shape[1];
  return m.data.subarray(f * d, (f + 1) * d);
}
