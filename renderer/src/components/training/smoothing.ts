/**
 * TensorBoard's curve smoothing: an exponential moving average with weight w, debiased by
 * 1 - w^t so the first points are not pulled towards zero. w = 0 leaves the values as they are.
 */
export function smoothSeries(values: number[], weight: number): number[] {
  if (weight <= 0) return values;
  let last = 0;
  let n = 0;
  return values.map((v) => {
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - weight ** n);
  });
}
