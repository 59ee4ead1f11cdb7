/**
 * Truncated SVD of a small dense float64 matrix by subspace (block power) iteration with
 * Gram-Schmidt re-orthonormalisation: enough for a few hundred rows, no dependency needed.
 */
export interface TruncatedSvd {
  rank: number;
  rows: number;
  cols: number;
  /** [rows, rank] row-major, orthonormal columns. */
  U: Float64Array;
  /** [rank], descending. */
  S: Float64Array;
  /** [cols, rank] row-major, orthonormal columns. */
  V: Float64Array;
}

/** A = U diag(S) V^T restricted to the top `rank` singular triples. */
export function truncatedSvd(A: Float64Array, rows: number, cols: number, rank: number, iterations = 60): TruncatedSvd {
  // Deterministic start: a fixed pseudo-random block (no RNG needed, results must be reproducible).
  let V: Float64Array = new Float64Array(cols * rank);
  for (let i = 0; i < cols * rank; i++) V[i] = Math.sin(i * 12.9898 + 78.233) * 43758.5453 % 1;
  orthonormalizeColumns(V, cols, rank);
  let U: Float64Array = new Float64Array(rows * rank);
  for (let it = 0; it < iterations; it++) {
    U = multiply(A, rows, cols, V, rank, false);
    orthonormalizeColumns(U, rows, rank);
    V = multiply(A, rows, cols, U, rank, true);
    orthonormalizeColumns(V, cols, rank);
  }
  // Rayleigh-Ritz on the converged subspaces: B = U^T A V is small; its own SVD via the eigen-
  // decomposition of B^T B (Jacobi) rotates U, V onto the singular vectors.
  U = multiply(A, rows, cols, V, rank, false);
  const B = new Float64Array(rank * rank);
  orthonormalizeColumns(U, rows, rank);
  const AV = multiply(A, rows, cols, V, rank, false);
  for (let i = 0; i < rank; i++) for (let j = 0; j < rank; j++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += U[r * rank + i] * AV[r * rank + j];
    B[i * rank + j] = s;
  }
  const { values, vectors } = symmetricEigen(gram(B, rank), rank);
  const order = [...values.keys()].sort((a, b) => values[b] - values[a]);
  const S = new Float64Array(rank);
  const Vout = new Float64Array(cols * rank);
  const Uout = new Float64Array(rows * rank);
  order.forEach((src, dst) => {
    S[dst] = Math.sqrt(Math.max(values[src], 0));
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let j = 0; j < rank; j++) s += V[c * rank + j] * vectors[j * rank + src];
      Vout[c * rank + dst] = s;
    }
  });
  // U = A V / S, exact for the final V.
  const AVout = multiply(A, rows, cols, Vout, rank, false);
  for (let r = 0; r < rows; r++) for (let j = 0; j < rank; j++) Uout[r * rank + j] = S[j] > 0 ? AVout[r * rank + j] / S[j] : 0;
  return { rank, rows, cols, U: Uout, S, V: Vout };
}

/** A [rows, cols] times X; with `transposeA`, A^T X (X then has `rows` rows). */
function multiply(A: Float64Array, rows: number, cols: number, X: Float64Array, k: number, transposeA: boolean): Float64Array {
  if (!transposeA) {
    const out = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
      const a = A[r * cols + c];
      if (a === 0) continue;
      for (let j = 0; j < k; j++) out[r * k + j] += a * X[c * k + j];
    }
    return out;
  }
  const out = new Float64Array(cols * k);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    const a = A[r * cols + c];
    if (a === 0) continue;
    for (let j = 0; j < k; j++) out[c * k + j] += a * X[r * k + j];
  }
  return out;
}

/** Modified Gram-Schmidt on the columns of M [n, k], in place. */
export function orthonormalizeColumns(M: Float64Array, n: number, k: number): void {
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < j; i++) {
      let dot = 0;
      for (let r = 0; r < n; r++) dot += M[r * k + i] * M[r * k + j];
      for (let r = 0; r < n; r++) M[r * k + j] -= dot * M[r * k + i];
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += M[r * k + j] ** 2;
    norm = Math.sqrt(norm);
    if (norm < 1e-300) throw new Error(`orthonormalizeColumns: column ${j} is degenerate`);
    for (let r = 0; r < n; r++) M[r * k + j] /= norm;
  }
}

function gram(B: Float64Array, k: number): Float64Array {
  const G = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    let s = 0;
    for (let r = 0; r < k; r++) s += B[r * k + i] * B[r * k + j];
    G[i * k + j] = s;
  }
  return G;
}

/** Cyclic Jacobi eigen-decomposition of a small symmetric matrix: vectors are columns. */
function symmetricEigen(input: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(input);
  const Vm = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Vm[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q] ** 2;
    if (off < 1e-24) break;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) {
      const apq = A[p * n + q];
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let r = 0; r < n; r++) {
        const arp = A[r * n + p];
        const arq = A[r * n + q];
        A[r * n + p] = c * arp - s * arq;
        A[r * n + q] = s * arp + c * arq;
      }
      for (let r = 0; r < n; r++) {
        const apr = A[p * n + r];
        const aqr = A[q * n + r];
        A[p * n + r] = c * apr - s * aqr;
        A[q * n + r] = s * apr + c * aqr;
      }
      for (let r = 0; r < n; r++) {
        const vrp = Vm[r * n + p];
        const vrq = Vm[r * n + q];
        Vm[r * n + p] = c * vrp - s * vrq;
        Vm[r * n + q] = s * vrp + c * vrq;
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = A[i * n + i];
  return { values, vectors: Vm };
}
