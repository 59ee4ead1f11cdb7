/**
 * Float64 references for experiment metrics (tests only): documents run window by window through
 * referenceForward, an optional edit of the hook's rows, and the metric taken straight from its
 * definition, so the engine path (edit sessions, splices, window targets, scoring) is checked end
 * to end.
 */
import { referenceForward } from '../../engine/reference/modelReference';
import type { TransformerWeights } from '../../formats/transformer';

export interface ReferenceDoc {
  tokens: number[];
  /** Scored positions (document positions). */
  scored: boolean[];
}

/** Rows [len * d] of the hook for one window, edited in place or replaced; `start` is the window's document offset. */
export type ReferenceEdit = (acts: Float64Array, len: number, start: number) => Float64Array;

export function referenceMetric(
  weights: TransformerWeights,
  docs: ReferenceDoc[],
  hook: string,
  contextSize: number,
  metric: { kind: 'ce' | 'logit'; token?: number },
  edit?: ReferenceEdit,
): number {
  const V = weights.config.dVocab;
  let sum = 0;
  let count = 0;
  for (const doc of docs) {
    for (let start = 0; start < doc.tokens.length; start += contextSize) {
      const window = doc.tokens.slice(start, start + contextSize);
      const clean = referenceForward(weights, window);
      const logits = edit ? referenceForward(weights, [], { hook, activation: edit(Float64Array.from(clean.hooks.get(hook)!), window.length, start) }).logits : clean.logits;
      window.forEach((_, p) => {
        const q = start + p;
        if (!doc.scored[q]) return;
        const row = logits.subarray(p * V, (p + 1) * V);
        if (metric.kind === 'logit') sum += row[metric.token!];
        else {
          const max = Math.max(...row);
          const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
          sum += lse - row[doc.tokens[q + 1]];
        }
        count++;
      });
    }
  }
  return sum / count;
}

/** Float64 reference: Newton's method on the same objective, solving H step = g by Gaussian elimination. */
export function newtonReference(x: number[][], y: number[], l2: number): Float64Array {
  const n = x.length;
  const d = x[0].length;
  const theta = new Float64Array(d + 1);
  for (let it = 0; it < 100; it++) {
    const g = new Float64Array(d + 1);
    const H = Array.from({ length: d + 1 }, () => new Float64Array(d + 1));
    for (let i = 0; i < n; i++) {
      const xi = [...x[i], 1];
      const z = xi.reduce((a, v, j) => a + v * theta[j], 0);
      const p = 1 / (1 + Math.exp(-z));
      for (let j = 0; j <= d; j++) {
        g[j] += ((p - y[i]) * xi[j]) / n;
        for (let k = 0; k <= d; k++) H[j][k] += (p * (1 - p) * xi[j] * xi[k]) / n;
      }
    }
    for (let j = 0; j < d; j++) {
      g[j] += l2 * theta[j];
      H[j][j] += l2;
    }
    // Solve H s = g.
    const A = H.map((row, j) => [...row, g[j]]);
    for (let c = 0; c <= d; c++) {
      let piv = c;
      for (let r = c + 1; r <= d; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
      [A[c], A[piv]] = [A[piv], A[c]];
      for (let r = 0; r <= d; r++) {
        if (r === c) continue;
        const f = A[r][c] / A[c][c];
        for (let k = c; k <= d + 1; k++) A[r][k] -= f * A[c][k];
      }
    }
    const s = A.map((row, j) => row[d + 1] / row[j]);
    for (let j = 0; j <= d; j++) theta[j] -= s[j];
    if (Math.max(...s.map(Math.abs)) < 1e-14) break;
  }
  return theta;
}

