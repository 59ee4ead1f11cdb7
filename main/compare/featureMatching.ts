/**
 * Which feature of SAE A corresponds to each feature of SAE B. Two ways:
 *  - activation: Pearson correlation of the two features' activations over every shared
 *    (document, position), zeros included, from co-firing sums over the two sparse stores
 *    (r = (N Sab - Sa Sb) / sqrt((N Saa - Sa^2)(N Sbb - Sb^2))); works whatever the bases;
 *  - decoder: cosine of decoder directions, meaningful only when both models write into the
 *    same residual basis (one derived from the other).
 * For each B feature: the best A feature and the runner-up (by score), and the candidate pairs a
 * one-to-one assignment chooses among (assignment.ts). Pairs that never co-fire are not
 * candidates: a B feature that co-fires with no A feature has no match.
 */
import { pearsonFromSums } from '../index/finalizeIndex';
import { topOfProduct, unitRows } from '../index/decoderGeometry';
import type { DeviceChoice } from '../engine/executionProviders';
import type { AlignedDocument } from './alignedPositions';

export type MatchMethod = 'activation' | 'decoder';

/** Candidates kept per feature, on each side, for the assignment. */
export const CANDIDATES = 5;

export interface Candidate {
  a: number;
  b: number;
  score: number;
}

export interface MatchScores {
  method: MatchMethod;
  /** Per B feature: best A feature and its score, and the runner-up (-1 / NaN: none). */
  best: Int32Array;
  bestScore: Float64Array;
  runnerUp: Int32Array;
  runnerUpScore: Float64Array;
  candidates: Candidate[];
  /** Activation matching: shared non-BOS positions the correlations are over. */
  tokens: number | null;
}

/** Keeps the `k` highest (score, id) per row: flat arrays, sorted descending. */
class TopPerRow {
  readonly ids: Int32Array;
  readonly scores: Float64Array;
  readonly count: Uint8Array;

  constructor(
    rows: number,
    readonly k: number,
  ) {
    this.ids = new Int32Array(rows * k).fill(-1);
    this.scores = new Float64Array(rows * k).fill(Number.NEGATIVE_INFINITY);
    this.count = new Uint8Array(rows);
  }

  offer(row: number, id: number, score: number): void {
    const base = row * this.k;
    let n = this.count[row];
    if (n === this.k && !(score > this.scores[base + n - 1])) return;
    if (n < this.k) n = ++this.count[row];
    let i = n - 1;
    while (i > 0 && score > this.scores[base + i - 1]) {
      this.scores[base + i] = this.scores[base + i - 1];
      this.ids[base + i] = this.ids[base + i - 1];
      i--;
    }
    this.scores[base + i] = score;
    this.ids[base + i] = id;
  }
}

function scoresFrom(method: MatchMethod, perB: TopPerRow, perA: TopPerRow, dB: number, tokens: number | null, minCandidate: number): MatchScores {
  const best = new Int32Array(dB).fill(-1);
  const bestScore = new Float64Array(dB).fill(Number.NaN);
  const runnerUp = new Int32Array(dB).fill(-1);
  const runnerUpScore = new Float64Array(dB).fill(Number.NaN);
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  const add = (a: number, b: number, score: number) => {
    if (!(score >= minCandidate)) return;
    const key = `${a}:${b}`;
    if (seen.has(key)) return;
    seen.add(key);
    candidates.push({ a, b, score });
  };
  for (let b = 0; b < dB; b++) {
    const base = b * perB.k;
    if (perB.count[b] > 0) {
      best[b] = perB.ids[base];
      bestScore[b] = perB.scores[base];
    }
    if (perB.count[b] > 1) {
      runnerUp[b] = perB.ids[base + 1];
      runnerUpScore[b] = perB.scores[base + 1];
    }
    for (let i = 0; i < perB.count[b]; i++) add(perB.ids[base + i], b, perB.scores[base + i]);
  }
  for (let a = 0; a < perA.count.length; a++) for (let i = 0; i < perA.count[a]; i++) add(a, perA.ids[a * perA.k + i], perA.scores[a * perA.k + i]);
  return { method, best, bestScore, runnerUp, runnerUpScore, candidates, tokens };
}

/** Memory for the co-firing sums (float32 dA x dB, in bands of A features). */
const CO_FIRING_BYTES = 256 * 1024 * 1024;

/**
 * Activation matching over aligned documents (`documents()` is called once per band of A
 * features, so stores larger than the memory budget take several passes).
 */
export function matchByActivation(documents: () => Iterable<AlignedDocument>, dA: number, dB: number, bos: boolean, options: { budgetBytes?: number; onProgress?: (fraction: number) => void; totalDocuments?: number } = {}): MatchScores {
  const bands = Math.max(1, Math.ceil((dA * dB * 4) / (options.budgetBytes ?? CO_FIRING_BYTES)));
  const bandRows = Math.ceil(dA / bands);
  const sumA = new Float64Array(dA);
  const sumAA = new Float64Array(dA);
  const sumB = new Float64Array(dB);
  const sumBB = new Float64Array(dB);
  let n = 0;
  const perB = new TopPerRow(dB, CANDIDATES);
  const perA = new TopPerRow(dA, CANDIDATES);
  const first = bos ? 1 : 0;
  let docsDone = 0;
  for (let band = 0; band < bands; band++) {
    const lo = band * bandRows;
    const hi = Math.min(dA, lo + bandRows);
    const co = new Float32Array((hi - lo) * dB);
    for (const doc of documents()) {
      const { a, b } = doc;
      for (let p = first; p < doc.length; p++) {
        const a0 = a.offsets[p];
        const a1 = a.offsets[p + 1];
        const b0 = b.offsets[p];
        const b1 = b.offsets[p + 1];
        if (band === 0) {
          n++;
          for (let i = a0; i < a1; i++) {
            const v = a.values[i];
            sumA[a.ids[i]] += v;
            sumAA[a.ids[i]] += v * v;
          }
          for (let j = b0; j < b1; j++) {
            const v = b.values[j];
            sumB[b.ids[j]] += v;
            sumBB[b.ids[j]] += v * v;
          }
        }
        for (let i = a0; i < a1; i++) {
          const fa = a.ids[i];
          if (fa < lo || fa >= hi) continue;
          const row = (fa - lo) * dB;
          const va = a.values[i];
          for (let j = b0; j < b1; j++) co[row + b.ids[j]] += va * b.values[j];
        }
      }
      docsDone++;
      if (options.totalDocuments && docsDone % 64 === 0) options.onProgress?.(docsDone / (options.totalDocuments * bands));
    }
    for (let fa = lo; fa < hi; fa++) {
      const row = (fa - lo) * dB;
      for (let fb = 0; fb < dB; fb++) {
        const s = co[row + fb];
        if (s === 0) continue;
        const r = pearsonFromSums(n, sumA[fa], sumB[fb], sumAA[fa], sumBB[fb], s);
        if (r === null) continue;
        perB.offer(fb, fa, r);
        perA.offer(fa, fb, r);
      }
    }
  }
  options.onProgress?.(1);
  return scoresFrom('activation', perB, perA, dB, n, 0);
}

/** Decoder-cosine matching (both directions, for the assignment's candidates), with ORT products. */
export async function matchByDecoder(W_decA: Float32Array, dA: number, W_decB: Float32Array, dB: number, dIn: number, device: DeviceChoice): Promise<MatchScores> {
  const unitA = unitRows(W_decA, dA, dIn);
  const unitB = unitRows(W_decB, dB, dIn);
  const transpose = (m: Float32Array, rows: number) => {
    const t = new Float32Array(rows * dIn);
    for (let i = 0; i < rows; i++) for (let j = 0; j < dIn; j++) t[j * rows + i] = m[i * dIn + j];
    return t;
  };
  const [bToA] = await topOfProduct(unitB, dB, dIn, transpose(unitA, dA), dA, CANDIDATES, ['largest'], device);
  const [aToB] = await topOfProduct(unitA, dA, dIn, transpose(unitB, dB), dB, CANDIDATES, ['largest'], device);
  const perB = new TopPerRow(dB, CANDIDATES);
  const perA = new TopPerRow(dA, CANDIDATES);
  for (let b = 0; b < dB; b++) for (let i = 0; i < bToA.k; i++) perB.offer(b, bToA.ids[b * bToA.k + i], bToA.values[b * bToA.k + i]);
  for (let a = 0; a < dA; a++) for (let i = 0; i < aToB.k; i++) perA.offer(a, aToB.ids[a * aToB.k + i], aToB.values[a * aToB.k + i]);
  return scoresFrom('decoder', perB, perA, dB, null, 0);
}

/**
 * How alike two models' residual bases are: the mean cosine between their embeddings of the same
 * token (1 for a fine-tune's near-identical embeddings, ~0 for unrelated models). Decoder cosines
 * across SAEs of two models mean something only when this is high.
 */
export function embeddingAgreement(W_EA: Float32Array, W_EB: Float32Array, dVocab: number, dModel: number): number {
  let total = 0;
  for (let v = 0; v < dVocab; v++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < dModel; i++) {
      const x = W_EA[v * dModel + i];
      const y = W_EB[v * dModel + i];
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    total += na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
  }
  return total / dVocab;
}
