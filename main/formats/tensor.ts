/** A dense float32 tensor in row-major order: the currency between loaders, engine and training. */
export interface Tensor32 {
  data: Float32Array;
  shape: number[];
}

export function tensor32(data: Float32Array, shape: number[]): Tensor32 {
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`tensor32: ${data.length} values for shape [${shape.join(', ')}] (${n} expected)`);
  return { data, shape };
}

/** The float64 Euclidean norm of each row of a row-major [n, d] matrix (decoder rows, per latent). */
export function rowNorms(W: ArrayLike<number>, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += W[i * d + j] ** 2;
    out[i] = Math.sqrt(s);
  }
  return out;
}
