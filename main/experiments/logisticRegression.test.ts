import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random/seededRandom';
import { newtonReference } from './testing/reference';
import { denseDesign, logisticObjective, predictLogistic, sigmoid, sparseDesign, trainLogistic } from './logisticRegression';

function dataset(seed: number, n: number, d: number) {
  const rng = new SeededRandom(seed);
  const trueW = Array.from({ length: d }, () => rng.normal());
  const x = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
  const y = x.map((row) => (rng.next() < sigmoid(row.reduce((a, v, j) => a + v * trueW[j], 0) - 0.5) ? 1 : 0));
  return { x, y };
}

describe('logistic regression', () => {
  it('reaches the float64 Newton optimum (dense)', () => {
    const { x, y } = dataset(3, 300, 5);
    const model = trainLogistic(denseDesign(x.flat(), 300, 5), y, { l2: 0.01 });
    const ref = newtonReference(x, y, 0.01);
    expect(model.converged).toBe(true);
    for (let j = 0; j < 5; j++) expect(model.w[j]).toBeCloseTo(ref[j], 6);
    expect(model.b).toBeCloseTo(ref[5], 6);
  });

  it('reaches the same optimum from a sparse design, and stays finite on separable data', () => {
    const { x, y } = dataset(5, 200, 6);
    // Zero out most entries: the sparse design holds only the rest.
    const xs = x.map((row, i) => row.map((v, j) => ((i + j) % 3 === 0 ? v : 0)));
    const rowStart = new Int32Array(201);
    const cols: number[] = [];
    const vals: number[] = [];
    xs.forEach((row, i) => {
      row.forEach((v, j) => {
        if (v !== 0) {
          cols.push(j);
          vals.push(v);
        }
      });
      rowStart[i + 1] = cols.length;
    });
    const model = trainLogistic(sparseDesign(rowStart, Int32Array.from(cols), Float64Array.from(vals), 6), y, { l2: 0.05 });
    const ref = newtonReference(xs, y, 0.05);
    for (let j = 0; j < 6; j++) expect(model.w[j]).toBeCloseTo(ref[j], 6);
    expect(model.b).toBeCloseTo(ref[6], 6);
    // Perfectly separable: the penalty keeps the optimum finite and the fit right.
    const sep = Array.from({ length: 40 }, (_, i) => [i < 20 ? -1 - i / 20 : 1 + i / 40]);
    const ys = sep.map((r) => (r[0] > 0 ? 1 : 0));
    const fit = trainLogistic(denseDesign(sep.flat(), 40, 1), ys, { l2: 1e-3 });
    expect(fit.converged).toBe(true);
    expect(Number.isFinite(fit.w[0])).toBe(true);
    expect(Array.from(predictLogistic(fit, denseDesign(sep.flat(), 40, 1))).map((p) => (p > 0.5 ? 1 : 0))).toEqual(ys);
    expect(fit.w[0]).toBeCloseTo(newtonReference(sep, ys, 1e-3)[0], 4);
  });

  it('the gradient is the derivative of the objective', () => {
    const { x, y } = dataset(9, 50, 3);
    const X = denseDesign(x.flat(), 50, 3);
    const theta = Float64Array.from([0.3, -0.2, 0.5, 0.1]);
    const { g } = logisticObjective(X, y, 0.1, theta);
    for (let j = 0; j < 4; j++) {
      const h = 1e-6;
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[j] += h;
      down[j] -= h;
      expect(g[j]).toBeCloseTo((logisticObjective(X, y, 0.1, up).f - logisticObjective(X, y, 0.1, down).f) / (2 * h), 7);
    }
  });
});
