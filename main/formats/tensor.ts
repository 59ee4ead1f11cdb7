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
