import { describe, expect, it } from 'vitest';
import { orthonormalizeColumns, truncatedSvd } from './lowRank';
import { SeededRandom } from '../random/seededRandom';

/** A = U diag(S) V^T with known orthonormal U, V and singular values. */
function knownMatrix(rows: number, cols: number, singular: number[], seed: number): Float64Array {
  const rng = new SeededRandom(seed);
  const k = singular.length;
  const U = Float64Array.from({ length: rows * k }, () => rng.normal());
  const V = Float64Array.from({ length: cols * k }, () => rng.normal());
  orthonormalizeColumns(U, rows, k);
  orthonormalizeColumns(V, cols, k);
  const A = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) for (let j = 0; j < k; j++) A[r * cols + c] += U[r * k + j] * singular[j] * V[c * k + j];
  return A;
}

describe('truncatedSvd', () => {
  it('recovers the singular values and reconstructs a low-rank matrix', () => {
    const singular = [9, 5, 3, 2, 1];
    const A = knownMatrix(30, 20, singular, 7);
    const svd = truncatedSvd(A, 30, 20, 5);
    singular.forEach((s, j) => expect(svd.S[j]).toBeCloseTo(s, 8));
    let err = 0;
    for (let r = 0; r < 30; r++) for (let c = 0; c < 20; c++) {
      let v = 0;
      for (let j = 0; j < 5; j++) v += svd.U[r * 5 + j] * svd.S[j] * svd.V[c * 5 + j];
      err = Math.max(err, Math.abs(v - A[r * 20 + c]));
    }
    expect(err).toBeLessThan(1e-9);
  });

  it('keeps the top singular directions when truncating below the true rank', () => {
    const A = knownMatrix(25, 25, [10, 8, 0.5, 0.25], 3);
    const svd = truncatedSvd(A, 25, 25, 2);
    expect(svd.S[0]).toBeCloseTo(10, 6);
    expect(svd.S[1]).toBeCloseTo(8, 6);
    // U's columns stay orthonormal.
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
      let dot = 0;
      for (let r = 0; r < 25; r++) dot += svd.U[r * 2 + i] * svd.U[r * 2 + j];
      expect(dot).toBeCloseTo(i === j ? 1 : 0, 8);
    }
  });
});
