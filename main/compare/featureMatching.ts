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
import type { AlignedDocument, DocumentLatents } from './alignedPositions';

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

/** Memory for the co-firing sums (float64 dA x dB, in bands of A features; float32 sums stall near 2^24 terms). */
const CO_FIRING_BYTES = 256 * 1024 * 1024;
/**
 * Cache tiling of the co-firing updates: tokens are gathered in chunks, and a chunk's (A latent,
 * token) pairs are applied tile by tile of rows of the sums, so the k x k scattered writes per
 * token land in a region that stays in L2 (TILE_BYTES) instead of roaming all dA x dB floats.
 * Within a tile pairs are applied in token order, and a cell gets at most one term per token, so
 * every sum is added up in exactly the order of the plain loop (bit-identical results). Measured
 * on bench/compareBench (4096 x 4096, 1M tokens, 2 cores): 32.0 s untiled with float32 sums, 13.3-14.5 s
 * tiled with float32, 17.4-18.3 s tiled with the float64 sums used now.
 */
const TILE_BYTES = 512 * 1024;
const CHUNK_TOKENS = 16_384;

export interface CoFiringTiling {
  /** Rows of the sums per tile. */
  rows: number;
  /** Tokens gathered before they are applied. */
  tokens: number;
}

const defaultTiling = (dB: number): CoFiringTiling => ({ rows: Math.max(1, Math.floor(TILE_BYTES / (8 * dB))), tokens: CHUNK_TOKENS });

/** One chunk of tokens: B's latents per token, and A's (latent, value, token) pairs. */
class CoFiringChunk {
  tokens = 0;
  private readonly bStart: Uint32Array;
  private bIds = new Uint32Array(1024);
  private bValues = new Float32Array(1024);
  private aIds = new Uint32Array(1024);
  private aValues = new Float32Array(1024);
  private aToken = new Uint32Array(1024);
  private aCount = 0;
  private sorted = new Uint32Array(1024);

  constructor(
    private readonly lo: number,
    private readonly hi: number,
    private readonly dB: number,
    private readonly tiling: CoFiringTiling,
  ) {
    this.bStart = new Uint32Array(tiling.tokens + 1);
  }

  get full(): boolean {
    return this.tokens === this.tiling.tokens;
  }

  add(a: DocumentLatents, a0: number, a1: number, b: DocumentLatents, b0: number, b1: number): void {
    const t = this.tokens++;
    let nb = this.bStart[t];
    if (nb + (b1 - b0) > this.bIds.length) [this.bIds, this.bValues] = [grow(this.bIds, nb + (b1 - b0)), grow(this.bValues, nb + (b1 - b0))];
    for (let j = b0; j < b1; j++, nb++) {
      this.bIds[nb] = b.ids[j];
      this.bValues[nb] = b.values[j];
    }
    this.bStart[t + 1] = nb;
    if (this.aCount + (a1 - a0) > this.aIds.length) {
      const need = this.aCount + (a1 - a0);
      [this.aIds, this.aValues, this.aToken] = [grow(this.aIds, need), grow(this.aValues, need), grow(this.aToken, need)];
    }
    for (let i = a0; i < a1; i++) {
      const fa = a.ids[i];
      if (fa < this.lo || fa >= this.hi) continue;
      this.aIds[this.aCount] = fa - this.lo;
      this.aValues[this.aCount] = a.values[i];
      this.aToken[this.aCount++] = t;
    }
  }

  /** Adds the chunk's products into `co` (rows lo..hi of the sums), tile by tile, then empties it. */
  flush(co: Float64Array): void {
    const tileRows = this.tiling.rows;
    const tiles = Math.ceil((this.hi - this.lo) / tileRows);
    // Counting sort of A's pairs by tile, stable (token order kept within a tile).
    const start = new Uint32Array(tiles + 1);
    for (let e = 0; e < this.aCount; e++) start[((this.aIds[e] / tileRows) | 0) + 1]++;
    for (let x = 0; x < tiles; x++) start[x + 1] += start[x];
    if (this.sorted.length < this.aCount) this.sorted = new Uint32Array(this.aIds.length);
    const next = start.slice(0, tiles);
    for (let e = 0; e < this.aCount; e++) this.sorted[next[(this.aIds[e] / tileRows) | 0]++] = e;
    const { dB, bStart, bIds, bValues, aIds, aValues, aToken, sorted } = this;
    for (let x = 0; x < this.aCount; x++) {
      const e = sorted[x];
      const row = aIds[e] * dB;
      const va = aValues[e];
      const t = aToken[e];
      for (let j = bStart[t], end = bStart[t + 1]; j < end; j++) co[row + bIds[j]] += va * bValues[j];
    }
    this.tokens = 0;
    this.aCount = 0;
  }
}

function grow<T extends Uint32Array | Float32Array>(a: T, need: number): T {
  const out = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  out.set(a);
  return out;
}

/**
 * Activation matching over aligned documents (`documents()` is called once per band of A
 * features, so stores larger than the memory budget take several passes).
 */
export function matchByActivation(documents: () => Iterable<AlignedDocument>, dA: number, dB: number, bos: boolean, options: { budgetBytes?: number; onProgress?: (fraction: number) => void; totalDocuments?: number; tiling?: CoFiringTiling } = {}): MatchScores {
  // At least one row a band, and no band past the last row.
  const bandRows = Math.max(1, Math.ceil(dA / Math.max(1, Math.ceil((dA * dB * 8) / (options.budgetBytes ?? CO_FIRING_BYTES)))));
  const bands = Math.max(1, Math.ceil(dA / bandRows));
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
    const co = new Float64Array((hi - lo) * dB);
    const chunk = new CoFiringChunk(lo, hi, dB, options.tiling ?? defaultTiling(dB));
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
        chunk.add(a, a0, a1, b, b0, b1);
        if (chunk.full) chunk.flush(co);
      }
      docsDone++;
      if (options.totalDocuments && docsDone % 64 === 0) options.onProgress?.(docsDone / (options.totalDocuments * bands));
    }
    chunk.flush(co);
    for (let fa = lo; fa < hi; fa++) {
      const row = (fa - lo) * dB;
      for (let fb = 0; fb < dB; fb++) {
        const s = co[row + fb];
        if (s === 0) continue;
        const r = pearsonFromSums(n, sumA[fa], sumB[fb], sumAA[fa], sumBB[fb], s);
        // Co-firing less than chance (r <= 0) is no counterpart.
        if (r === null || r <= 0) continue;
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
